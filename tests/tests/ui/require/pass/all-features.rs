//! Every form of `#[require]` on real axum handlers, served by the deny-by-default router.
#![allow(dead_code)]

use authz_axum::{Auth, Router, get, post};
use authz_core::{Authenticated, Granted, Requirement, public, require};
use axum::extract::Path;
use axum::http::StatusCode;

authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write", "reports:delete", "reports:audit" }
        roles {
            "viewer" = ["reports:read"],
            "editor" = "viewer" + ["reports:write"],
            "admin" = "editor" + ["reports:delete"],
        }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<reports::Policy, Token>;

mod elsewhere {
    pub type Config = super::Authz;
}

#[public]
async fn health() -> &'static str {
    "ok"
}

#[require(permission = "reports:read", permission = "reports:write")]
async fn both(proof: Granted<_>) -> String {
    let _: Granted<reports::perm::ReportsRead> = proof.weaken();
    proof.rule().to_string()
}

#[require(any("reports:delete", "reports:audit"))]
async fn either(caller: Authenticated<reports::Policy, Token>, Path(id): Path<String>) -> String {
    format!("{} {id}", caller.subject().unwrap_or_default())
}

#[require(role = "editor")]
async fn editors() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[require(permission = "reports:read", authz = elsewhere::Config)]
#[axum::debug_handler(state = authz_axum::Gate)]
async fn debugged(_: Granted<reports::perm::ReportsRead>, Path(id): Path<u32>) -> String {
    id.to_string()
}

async fn authenticated(caller: Auth<Authz>) -> String {
    caller.claims().map(|c| c.sub.clone()).unwrap_or_default()
}

fn main() {
    let router: Router<authz_axum::Gate> = Router::new()
        .route("/health", get(health))
        .route("/both", post(both))
        .route("/either/{id}", get(either))
        .route("/editors", get(editors))
        .route("/debugged/{id}", get(debugged))
        .route("/me", get(authenticated));
    let table = router.route_table().to_string();
    assert!(table.contains("permission(reports:read) and permission(reports:write)"), "{table}");
    assert!(table.contains("any(reports:delete, reports:audit)"), "{table}");
    assert!(table.contains("role(editor)"), "{table}");
    assert!(table.contains("/me      authenticated") || table.contains("authenticated"), "{table}");
    assert_eq!(<reports::perm::ReportsRead as Requirement>::RULE.to_string(), "permission(reports:read)");
}
