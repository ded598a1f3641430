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

// A route in a tenant hands the body a proof of any requirement its own implies; deleting is
// not implied by reading.
#[authz_core::require(permission = "reports:read", tenant = credential)]
async fn read(_proof: authz_core::Granted<reports::perm::ReportsDelete>) {}

fn main() {}
