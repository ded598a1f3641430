//! A handler that takes the caller beside its guard authenticates the request once.

use authz_axum::{Auth, Router, get};
use authz_core::require;
use authz_core::testkit::fixture::{Fixture, NotesClaims, notes};
use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

type Authz = authz_axum::Authz<notes::Policy, NotesClaims>;

#[require(permission = "notes:read")]
async fn both(me: Auth<Authz>, again: Option<Auth<Authz>>) -> String {
    assert!(again.is_some());
    me.subject().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_guard_and_the_caller_share_one_authentication() {
    let fixture = Fixture::new();
    let (gate, validations) = fixture.counting_gate();
    let app = Router::new()
        .route("/both", get(both))
        .into_axum()
        .with_state(gate);
    let request = Request::get("/both")
        .header("authorization", fixture.bearer("vic", &["viewer"]))
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(validations.count(), 1);
}
