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

// Two independent mistakes: exactly two errors, and none from routing the handler.
#[authz_core::require(permission = "reports:raed", role = "admni")]
async fn read() {}

fn router() -> authz_axum::Router<authz_axum::Gate> {
    authz_axum::Router::new().route("/reports", authz_axum::get(read))
}

fn main() {}
