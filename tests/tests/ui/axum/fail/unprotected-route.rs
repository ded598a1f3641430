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

async fn list() -> &'static str {
    "every report"
}

#[authz_core::public]
async fn health() {}

fn app() -> authz_axum::Router {
    authz_axum::Router::new()
        .route("/health", authz_axum::get(health))
        .route("/reports", authz_axum::get(list))
}

fn main() {}
