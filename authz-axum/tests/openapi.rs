//! The route table in an OpenAPI document: each guard's rule as security alternatives, every
//! method of a service route, wildcards as parameters, the fallback left out, and what the
//! document already said kept.
#![cfg(feature = "openapi")]

use authz_axum::openapi::utoipa::openapi::path::{HttpMethod, Operation};
use authz_axum::openapi::utoipa::openapi::{OpenApi, Paths};
use authz_axum::{Auth, Gate, Public, Router, get, post};
use authz_core::{public, require};
use serde_json::{Value, json};

authz_core::policy! {
    /// Invoices.
    pub mod invoices {
        permissions { "invoices:read", "invoices:export", "invoices:audit", "invoices:approve" }
        roles { "clerk" = ["invoices:read"], "controller" = "clerk" + ["invoices:approve"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<invoices::Policy, Token>;

#[require(
    permission = "invoices:read",
    any("invoices:export", "invoices:audit"),
    role = "controller"
)]
async fn export() {}

#[require(permission = "invoices:approve")]
async fn approve() {}

async fn me(_: Auth<Authz>) {}

#[public]
async fn not_found() {}

fn document(existing: OpenApi) -> Value {
    let files = tower::service_fn(|_: axum::extract::Request| async {
        Ok::<_, std::convert::Infallible>("file")
    });
    let router: Router<Gate> = Router::new()
        .route("/invoices/export", get(export))
        .route("/invoices/{id}/approve", post(approve))
        .route("/me", get(me))
        .nest_service::<Public<Authz>>("/files", files)
        .fallback(not_found);
    serde_json::to_value(router.route_table().document(existing)).unwrap()
}

#[test]
fn an_any_group_is_one_alternative_per_permission() {
    let doc = document(OpenApi::default());
    let export = &doc["paths"]["/invoices/export"]["get"];
    assert_eq!(
        export["security"],
        json!([
            {"bearerAuth": ["invoices:read", "invoices:export", "controller"]},
            {"bearerAuth": ["invoices:read", "invoices:audit", "controller"]},
        ])
    );
    assert_eq!(
        export["x-authz-access"],
        "permission(invoices:read) and any(invoices:export, invoices:audit) and role(controller)"
    );
    assert!(export["responses"]["401"].is_object() && export["responses"]["403"].is_object());
}

#[test]
fn authenticated_routes_need_a_token_and_no_scope() {
    let doc = document(OpenApi::default());
    let me = &doc["paths"]["/me"]["get"];
    assert_eq!(me["security"], json!([{"bearerAuth": []}]));
    assert!(me["responses"]["401"].is_object());
    assert!(me["responses"]["403"].is_null(), "no rule to fail: {me}");
}

#[test]
fn services_cover_every_method_and_wildcards_become_parameters() {
    let doc = document(OpenApi::default());
    for path in ["/files", "/files/{rest}"] {
        let item = doc["paths"][path].as_object().unwrap();
        assert_eq!(item.len(), 8, "{path}: {item:?}");
        assert!(
            item.values().all(|op| op["security"] == json!([])),
            "{path}"
        );
    }
    // The fallback has no path; nothing else was added.
    assert_eq!(doc["paths"].as_object().unwrap().len(), 5);
}

#[test]
fn what_the_document_said_is_kept_and_its_security_replaced() {
    let mut operation = Operation::new();
    operation.summary = Some("Approve an invoice".to_owned());
    operation.security = Some(Vec::new()); // a hand-written document that says "public"
    let mut paths = Paths::new();
    paths.add_path_operation("/invoices/{id}/approve", vec![HttpMethod::Post], operation);
    let doc = document(OpenApi::new(
        authz_axum::openapi::utoipa::openapi::Info::new("t", "1"),
        paths,
    ));
    let approve = &doc["paths"]["/invoices/{id}/approve"]["post"];
    assert_eq!(approve["summary"], "Approve an invoice");
    assert_eq!(
        approve["security"],
        json!([{"bearerAuth": ["invoices:approve"]}])
    );
}
