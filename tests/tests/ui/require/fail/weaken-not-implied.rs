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

// A proof of reading cannot be weakened into a proof of deleting: refused by `cargo check`,
// on the line that asks, naming both requirements.
fn delete_everything(_: &authz_core::Granted<reports::perm::ReportsDelete>) {}

#[authz_core::require(permission = "reports:read")]
async fn read(proof: authz_core::Granted<reports::perm::ReportsRead>) {
    delete_everything(&proof.weaken());
}

fn main() {}
