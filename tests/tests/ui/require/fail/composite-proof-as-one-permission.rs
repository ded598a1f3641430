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

// The proof of two permissions taken as the proof of one of them.
#[authz_core::require(permission = "reports:read", permission = "reports:write")]
async fn update(_proof: authz_core::Granted<reports::perm::ReportsWrite>) {}

fn main() {}
