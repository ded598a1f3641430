authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write", "reports:delete" }
        roles { "viewer" = ["reports:read"], "admin" = "viewer" + ["reports:write", "reports:delete"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<reports::Policy, Token>;

// The name travels in the requirement's type, in 32 bytes; this one has 33.
#[authz_core::require(permission = "reports:read", tenant = "{organisation_identifier_of_33byte}")]
async fn read() {}

fn main() {}
