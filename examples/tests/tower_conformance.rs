//! The tower adapter (no axum) passes the same conformance kit as authz-axum.

use std::convert::Infallible;

use authz_core::Granted;
use authz_core::testkit::conformance::{DocsClaims, Kit, Outcome, Request, docs};
use authz_examples::tower_adapter::{Caller, Routes};
use http::{Method, Response};
use tower::{ServiceExt, service_fn};

async fn ok(_: http::Request<String>) -> Result<Response<String>, Infallible> {
    Ok(Response::new("ok".into()))
}

/// A handler that insists on its proof and caller being there.
async fn write(request: http::Request<String>) -> Result<Response<String>, Infallible> {
    let granted = request
        .extensions()
        .get::<Granted<docs::perm::DocsWrite>>()
        .is_some();
    let caller = request
        .extensions()
        .get::<Caller<docs::Policy, DocsClaims>>();
    let writer = caller
        .and_then(|c| c.0.subject().map(str::to_owned))
        .unwrap_or_default();
    assert!(
        granted && !writer.is_empty(),
        "the adapter hands the proof and the caller over"
    );
    Ok(Response::new(writer))
}

#[tokio::test]
async fn tower_adapter_passes_the_conformance_kit() {
    let kit = Kit::new();
    let routes = Routes::<docs::Policy, DocsClaims, String, String>::new(kit.gate())
        .public(Method::GET, "/public", service_fn(ok))
        .require::<docs::perm::DocsRead, _>(Method::GET, "/docs", service_fn(ok))
        .require::<docs::perm::DocsWrite, _>(Method::POST, "/docs", service_fn(write));
    let send = |request: Request| {
        let routes = routes.clone();
        async move {
            let mut builder = http::Request::builder()
                .method(request.method)
                .uri(request.uri());
            for value in &request.authorization {
                builder = builder.header(http::header::AUTHORIZATION, value);
            }
            let response = routes
                .oneshot(builder.body(String::new()).unwrap())
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
