//! Heap allocations per request, counted by dhat's global allocator: the same handler behind
//! `#[public]` (what axum itself allocates) and behind `#[require(permission = ...)]` with the
//! verified-token cache on (the cached path), and without it. The count is process-wide, so
//! this binary has no test harness.
//!
//! Run: `cargo test -p authz-axum --test request_allocations` (it prints the counts).

use authz_axum::{Gate, Router, get};
use authz_core::testkit::fixture::{Fixture, NotesClaims, notes};
use authz_core::{public, require};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

type Authz = authz_axum::Authz<notes::Policy, NotesClaims>;

#[public]
async fn open() -> &'static str {
    "report"
}

#[require(permission = "notes:read")]
async fn protected() -> &'static str {
    "report"
}

const ROUNDS: u64 = 200;

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let fixture = Fixture::new();
    let validator = |cache: usize| {
        fixture
            .validator_builder()
            .cache(cache)
            .build()
            .expect("validator")
    };
    let auth = fixture.bearer("alice", &["viewer"]);
    let app = |cache| {
        Router::new()
            .route("/open", get(open))
            .route("/protected", get(protected))
            .into_axum()
            .with_state(Gate::new(validator(cache)))
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let per_request = |app: &axum::Router, path: &'static str| {
        let call = || {
            let request = Request::get(path)
                .header("authorization", auth.as_str())
                .body(Body::empty())
                .expect("request");
            let response = runtime
                .block_on(app.clone().oneshot(request))
                .expect("infallible");
            assert_eq!(response.status(), StatusCode::OK, "{path}");
        };
        // Warm: the cache entry, lazily built state.
        for _ in 0..10 {
            call();
        }
        let before = dhat::HeapStats::get();
        for _ in 0..ROUNDS {
            call();
        }
        let after = dhat::HeapStats::get();
        let blocks = (after.total_blocks - before.total_blocks) as f64 / ROUNDS as f64;
        let bytes = (after.total_bytes - before.total_bytes) as f64 / ROUNDS as f64;
        (blocks, bytes)
    };
    let cached = app(1024);
    let uncached = app(0);
    let (open_blocks, open_bytes) = per_request(&cached, "/open");
    let (cached_blocks, cached_bytes) = per_request(&cached, "/protected");
    let (uncached_blocks, uncached_bytes) = per_request(&uncached, "/protected");
    println!("allocations per request (blocks, bytes):");
    println!("  unprotected route           {open_blocks:>5.1} {open_bytes:>7.0}");
    println!("  protected, token cache on   {cached_blocks:>5.1} {cached_bytes:>7.0}");
    println!("  protected, no cache         {uncached_blocks:>5.1} {uncached_bytes:>7.0}");
    // The cached path allocates what axum allocates for the unprotected route, and one block
    // more: the caller kept in the request's extensions for the next extractor (a `Box` that
    // `http::Extensions` makes). Parsing, the cache hit, the route name, the check and its
    // audit event allocate nothing.
    assert!(
        cached_blocks <= open_blocks + 1.0,
        "the cached path allocates {cached_blocks} blocks a request, the unprotected route {open_blocks}"
    );
    println!("test request_allocations ... ok");
}
