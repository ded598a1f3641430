use authz_axum::{Router, get};

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

fn app() -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/reports", get(list))
}

fn main() {}
