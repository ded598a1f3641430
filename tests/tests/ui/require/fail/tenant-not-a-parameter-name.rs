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

// A path parameter's name starts with a letter or `_`.
#[authz_core::require(permission = "reports:read", tenant = "{2org}")]
async fn read() {}

fn main() {}
