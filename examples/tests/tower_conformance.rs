//! The tower adapter (no axum) passes the same conformance kit as authz-axum.

use std::convert::Infallible;

use authz_core::testkit::conformance::{self, DocsClaims, Kit, Outcome, Request, docs};
use authz_core::{Granted, Refusal};
use authz_examples::tower_adapter::{Caller, Routes, refusal_response};
use http::{Method, Response};
use tower::{ServiceExt, service_fn};

type DocsCaller = Caller<docs::Policy, DocsClaims>;

async fn ok(_: http::Request<String>) -> Result<Response<String>, Infallible> {
    Ok(Response::new("ok".into()))
}

/// A handler that insists on its proof and caller being there.
async fn write(request: http::Request<String>) -> Result<Response<String>, Infallible> {
    let granted = request
        .extensions()
        .get::<Granted<docs::perm::DocsWrite>>()
        .is_some();
    let caller = request.extensions().get::<DocsCaller>();
    let writer = caller
        .and_then(|c| c.0.subject().map(str::to_owned))
        .unwrap_or_default();
    assert!(
        granted && !writer.is_empty(),
        "the adapter hands the proof and the caller over"
    );
    Ok(Response::new(writer))
}

/// The owner check, answered as the adapter answers refusals.
async fn note(request: http::Request<String>) -> Result<Response<String>, Infallible> {
    let caller = request.extensions().get::<DocsCaller>().expect("a caller");
    Ok(match conformance::read_note(&caller.0) {
        Ok(note) => Response::new(note.to_owned()),
        Err(denied) => refusal_response(&Refusal::from(denied)),
    })
}

async fn whoami(request: http::Request<String>) -> Result<Response<String>, Infallible> {
    let caller = request.extensions().get::<DocsCaller>();
    Ok(Response::new(conformance::whoami(caller.map(|c| &*c.0))))
}

#[tokio::test]
async fn tower_adapter_passes_the_conformance_kit() {
    let kit = Kit::new();
    let routes = Routes::<docs::Policy, DocsClaims, String, String>::new(kit.gate())
        .public(Method::GET, "/public", service_fn(ok))
        .require::<docs::perm::DocsRead, _>(Method::GET, "/docs", service_fn(ok))
        .require::<docs::perm::DocsWrite, _>(Method::POST, "/docs", service_fn(write))
        .require::<docs::perm::DocsRead, _>(Method::GET, "/notes", service_fn(note))
        .optional(Method::GET, "/whoami", service_fn(whoami));
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
            let mut outcome = Outcome::new(response.status().as_u16());
            for (name, value) in response.headers() {
                outcome = outcome.header(name.as_str(), value.to_str().unwrap());
            }
            outcome.body(response.into_body())
        }
    };
    let passed = kit
        .run(send)
        .await
        .unwrap_or_else(|failures| panic!("{failures:#?}"));
    assert_eq!(passed, kit.cases().len());
}
