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

fn delete_everything(_proof: authz_core::Granted<reports::perm::ReportsDelete>) {}

fn attacker() {
    delete_everything(authz_core::Granted { _requirement: std::marker::PhantomData });
}

fn main() {}
