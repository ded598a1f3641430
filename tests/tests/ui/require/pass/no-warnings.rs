// The rewritten handlers add no warning to the user's code: a one-expression body, an unused
// caller or proof, a `#[public]` handler, all under `deny(warnings)`.
#![deny(warnings)]

use authz_core::{Authenticated, Granted, public, require};

authz_core::policy! {
    pub mod reports {
        permissions { "reports:read" }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<reports::Policy, Token>;

#[require(permission = "reports:read")]
async fn one_expression() -> String { format!("{}", 1) }

#[require(permission = "reports:read")]
async fn with_caller(_caller: Authenticated<reports::Policy, Token>, _proof: Granted<_>) -> &'static str { "b" }

#[public]
async fn health() -> &'static str { "ok" }

fn main() {
    let _ = authz_axum::Router::<authz_axum::Gate>::new()
        .route("/a", authz_axum::get(one_expression))
        .route("/b", authz_axum::get(with_caller))
        .route("/c", authz_axum::get(health));
}
