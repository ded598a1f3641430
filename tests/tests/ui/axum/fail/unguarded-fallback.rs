// The fallback answers every unmatched request, so it must declare who may call it too.
use authz_axum::{Router, get};
use authz_core::public;

authz_core::policy! {
    pub mod invoices {
        permissions { "invoices:read" }
        roles { "clerk" = ["invoices:read"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<invoices::Policy, Token>;

#[public]
async fn health() -> &'static str {
    "ok"
}

async fn catch_all(uri: axum::http::Uri) -> String {
    format!("served {uri}")
}

fn main() {
    let _app: Router<authz_axum::Gate> =
        Router::new().route("/health", get(health)).fallback(catch_all);
}
