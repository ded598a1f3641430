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

// Domain code that demands a proof, called without one.
fn delete_report(_: &authz_core::Granted<reports::perm::ReportsDelete>) {}

#[authz_core::public]
async fn sneaky() {
    delete_report(&());
}

fn main() {}
