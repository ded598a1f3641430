//! authz-axum passes the adapter conformance kit of `authz_core::testkit::conformance`.

use authz_axum::{Auth, Rejection, Router, get};
use authz_core::testkit::conformance::{self, DocsClaims, Kit, Outcome, Request, docs};
use authz_core::{Authenticated, public, require};
use axum::body::Body;
use axum::http::{self, StatusCode};
use http_body_util::BodyExt as _;
use tower::ServiceExt;

type Authz = authz_axum::Authz<docs::Policy, DocsClaims>;

#[public]
async fn public_page() -> &'static str {
    "hello"
}

#[require(permission = "docs:read")]
async fn read() -> &'static str {
    "doc"
}

#[require(permission = "docs:write")]
async fn write() -> StatusCode {
    StatusCode::OK
}

#[require(permission = "docs:read")]
async fn note(caller: Authenticated<docs::Policy, DocsClaims>) -> Result<&'static str, Rejection> {
    Ok(conformance::read_note(&caller)?)
}

#[public]
async fn whoami(caller: Option<Auth<Authz>>) -> String {
    conformance::whoami(caller.as_deref())
}

#[tokio::test]
async fn axum_adapter_passes_the_conformance_kit() {
    let kit = Kit::new();
    let app = Router::new()
        .route("/public", get(public_page))
        .route("/docs", get(read).post(write))
        .route("/notes", get(note))
        .route("/whoami", get(whoami))
        .into_axum()
        .with_state(kit.gate());
    let send = |request: Request| {
        let app = app.clone();
        async move {
            let mut builder = http::Request::builder()
                .method(request.method)
                .uri(request.uri());
            for value in &request.authorization {
                builder = builder.header(http::header::AUTHORIZATION, value);
            }
            let response = app
                .oneshot(builder.body(Body::empty()).unwrap())
                .await
                .unwrap();
            let mut outcome = Outcome::new(response.status().as_u16());
            for (name, value) in response.headers() {
                outcome = outcome.header(name.as_str(), value.to_str().unwrap());
            }
            let body = response.into_body().collect().await.unwrap().to_bytes();
            outcome.body(String::from_utf8(body.to_vec()).unwrap())
        }
    };
    let passed = kit
        .run(send)
        .await
        .unwrap_or_else(|failures| panic!("{failures:#?}"));
    assert_eq!(passed, kit.cases().len());
}
