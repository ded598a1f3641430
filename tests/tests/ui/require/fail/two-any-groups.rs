authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write", "reports:delete", "reports:audit" }
        roles { "viewer" = ["reports:read"], "admin" = "viewer" + ["reports:write", "reports:delete"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<reports::Policy, Token>;

#[authz_core::require(any("reports:read", "reports:write"), any("reports:delete", "reports:audit"))]
async fn read() {}

fn main() {}
