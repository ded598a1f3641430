//! authz-axum passes the adapter conformance kit of `authz_core::testkit::conformance`.

use authz_axum::{Router, get};
use authz_core::testkit::conformance::{DocsClaims, Kit, Outcome, Request, docs};
use authz_core::{public, require};
use axum::body::Body;
use axum::http::{self, StatusCode};
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

#[tokio::test]
async fn axum_adapter_passes_the_conformance_kit() {
    let kit = Kit::new();
    let app = Router::new()
        .route("/public", get(public_page))
        .route("/docs", get(read).post(write))
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
            Outcome {
                status: response.status().as_u16(),
                www_authenticate: response
                    .headers()
                    .get(http::header::WWW_AUTHENTICATE)
                    .map(|v| v.to_str().unwrap().to_owned()),
            }
        }
    };
    let passed = kit
        .run(send)
        .await
        .unwrap_or_else(|failures| panic!("{failures:#?}"));
    assert_eq!(passed, kit.cases().len());
}
