//! A loop of cached requests through the axum router, for instruction-level profiles of the
//! per-request path (`valgrind --tool=callgrind`, see docs/performance.md, "Where a cached
//! request goes"): `ROUNDS` requests to the route named by the first argument (`open` or
//! `protected`, default `protected`), with the verified-token cache on. The test kit's fixture (its
//! policy, claims and ES256 key); the key is made once, before the loop, so the difference
//! between two runs of different lengths is the requests alone.
//!
//! Run: `cargo run --release -p authz-axum --example cached_request_loop -- protected 20000`

use authz_axum::{Gate, Router, get};
use authz_core::testkit::fixture::{Fixture, NotesClaims, notes};
use authz_core::{public, require};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

type Authz = authz_axum::Authz<notes::Policy, NotesClaims>;

#[public]
async fn open() -> &'static str {
    "report"
}

#[require(permission = "notes:read")]
async fn protected() -> &'static str {
    "report"
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = match args.next().as_deref() {
        Some("open") => "/open",
        _ => "/protected",
    };
    let rounds: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let fixture = Fixture::new();
    let validator = fixture
        .validator_builder()
        .cache(1024)
        .build()
        .expect("validator");
    let auth = fixture.bearer("alice", &["viewer"]);
    let app = Router::new()
        .route("/open", get(open))
        .route("/protected", get(protected))
        .into_axum()
        .with_state(Gate::new(validator));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    for _ in 0..rounds {
        let request = Request::get(path)
            .header("authorization", auth.as_str())
            .body(Body::empty())
            .expect("request");
        let response = runtime
            .block_on(app.clone().oneshot(request))
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK);
    }
}
