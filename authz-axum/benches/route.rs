//! What protecting a route costs per request, in-process: the same handler behind
//! `#[require(permission = ...)]` and behind `#[public]`, with an HS256 token validated on every
//! request, beside raw `jsonwebtoken::decode` of the same token in the same run.
//!
//! overhead of authz beyond the signature check = protected - unprotected - raw decode
//!
//! `protected/hs256_cached` is the same route with the verified-token cache on: after the first
//! request every call is a cache hit, so it measures the guard's own cost on the path most
//! requests take.
//!
//! Run: `cargo bench -p authz-axum --bench route`

use std::hint::black_box;

use authz_axum::{Gate, Router, get};
use authz_core::testkit::{TestKey, claims_for};
use authz_core::{Algorithm, Validator, public, require};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

authz_core::policy! {
    /// The example policy.
    pub mod reports {
        permissions { "reports:read", "reports:write", "reports:delete", "reports:read_any" }
        roles {
            "viewer" = ["reports:read"],
            "editor" = "viewer" + ["reports:write"],
            "admin" = "editor" + ["reports:delete", "reports:read_any"],
        }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
    #[serde(default)]
    #[claims(roles)]
    roles: Vec<String>,
}

type Authz = authz_axum::Authz<reports::Policy, Token>;

#[public]
async fn open() -> &'static str {
    "report"
}

#[require(permission = "reports:read")]
async fn protected() -> &'static str {
    "report"
}

fn route(c: &mut Criterion) {
    let key = TestKey::generate(Algorithm::HS256, "k1");
    let validator = |cache: usize| {
        Validator::builder()
            .algorithms([Algorithm::HS256])
            .key(key.verification_key())
            .issuer("https://id.bench")
            .audience("reports")
            .cache(cache)
            .build()
            .expect("validator")
    };
    let mut claims = claims_for("https://id.bench", "reports", "alice");
    claims["exp"] = serde_json::json!(authz_core::testkit::now() + 24 * 3600);
    claims["roles"] = serde_json::json!(["viewer"]);
    let token = key.mint(&claims);
    let auth = format!("Bearer {token}");

    let app = |validator: Validator| {
        Router::new()
            .route("/open", get(open))
            .route("/protected", get(protected))
            .into_axum()
            .with_state(Gate::new(validator))
    };
    let cached = app(validator(10_000));
    let app = app(validator(0));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    let call = |app: &axum::Router, path: &'static str, auth: Option<String>| {
        let app = app.clone();
        async move {
            let mut request = Request::get(path);
            if let Some(auth) = auth {
                request = request.header("authorization", auth);
            }
            let response = app
                .oneshot(request.body(Body::empty()).expect("request"))
                .await
                .expect("infallible");
            assert_eq!(response.status(), StatusCode::OK);
            response
        }
    };

    let mut group = c.benchmark_group("route");
    group.bench_function("baseline/unprotected", |b| {
        b.to_async(&runtime)
            .iter(|| call(&app, "/open", Some(auth.clone())))
    });
    group.bench_function("protected/hs256", |b| {
        b.to_async(&runtime)
            .iter(|| call(&app, "/protected", Some(auth.clone())))
    });
    group.bench_function("protected/hs256_cached", |b| {
        b.to_async(&runtime)
            .iter(|| call(&cached, "/protected", Some(auth.clone())))
    });

    let decoding_key = jsonwebtoken::DecodingKey::from_secret(key.secret().expect("hmac secret"));
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_issuer(&["https://id.bench"]);
    validation.set_audience(&["reports"]);
    group.bench_function("baseline/jsonwebtoken_decode_hs256", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &decoding_key, &validation)
                .expect("valid")
        })
    });
    group.finish();
}

criterion_group!(benches, route);
criterion_main!(benches);
