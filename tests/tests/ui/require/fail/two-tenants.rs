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

// A route acts in one tenant.
#[authz_core::require(permission = "reports:read", tenant = "{org}", tenant = credential)]
async fn read() {}

fn main() {}
