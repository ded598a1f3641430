//! authz against its peers on one policy, in one run (see `src/lib.rs` for the policy in each
//! engine and `tests/agree.rs` for the proof that they answer alike).
//!
//! - `decision`: the decision alone, inputs already in each engine's own form; a hand-written
//!   `u64` AND is the floor.
//! - `claims_decision`: from a deserialized claims struct (subject + role names) to the answer.
//! - `request`: a whole in-process axum request (tower `oneshot`) with an RS256 token on
//!   `reports-api`'s router, beside its unprotected `GET /health`, raw RS256 verification with
//!   `jsonwebtoken::decode`, and the same route behind jwt-authorizer 0.15 (axum 0.7).
//!
//! Run (from `benches/peers`): `cargo bench --bench peers`

use std::hint::black_box;

use authz_core::testkit::{TestKey, claims_for, jwks};
use authz_core::{Algorithm, Authenticated, Validator};
use authz_peers_bench::{
    AUDIENCE, CASES, Cedar, ISSUER, Token, alice_claims, authz_claims_decide, authz_decide,
    casbin_claims_decide, casbin_decide, casbin_enforcer, casbin_request, jwt_authorizer_app,
    reports, reports_api,
};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A caller as handlers receive it: validated once (HS256 here, the key type does not matter
/// to the decision), permissions resolved once.
fn caller(
    runtime: &tokio::runtime::Runtime,
    sub: &str,
    role: &str,
) -> Authenticated<reports::Policy, Token> {
    let key = TestKey::generate(Algorithm::HS256, "k1");
    let validator = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(key.verification_key())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .expect("validator");
    let mut claims = claims_for(ISSUER, AUDIENCE, sub);
    claims["roles"] = serde_json::json!([role]);
    runtime
        .block_on(validator.validate::<Token>(&key.mint(&claims)))
        .expect("valid token")
        .into()
}

fn decision(c: &mut Criterion) {
    let runtime = runtime();
    let enforcer = runtime.block_on(casbin_enforcer()).expect("casbin");
    let cedar = Cedar::new();

    let mut group = c.benchmark_group("decision");
    group.bench_function("baseline/u64_and", |b| {
        let (held, needed) = (black_box(0b0011u64), black_box(0b0010u64));
        b.iter(|| black_box(held) & black_box(needed) == black_box(needed))
    });
    // The owner check by hand: one string comparison, then the AND for the override.
    group.bench_function("baseline/owner_str_eq_or_and", |b| {
        let (sub, owner) = (
            black_box(String::from("alice")),
            black_box(String::from("alice")),
        );
        let (held, needed) = (black_box(0b0001u64), black_box(0b1000u64));
        b.iter(|| {
            black_box(sub.as_str()) == black_box(owner.as_str())
                || black_box(held) & black_box(needed) == black_box(needed)
        })
    });
    for case in CASES {
        let caller = caller(&runtime, case.sub, case.role);
        assert_eq!(authz_decide(&caller, case.ask), case.expected);
        group.bench_function(format!("authz/{}", case.name), |b| {
            b.iter(|| authz_decide(black_box(&caller), black_box(case.ask)))
        });

        let request = casbin_request(case.sub, case.role, case.ask);
        assert_eq!(casbin_decide(&enforcer, request), case.expected);
        group.bench_function(format!("casbin/{}", case.name), |b| {
            b.iter(|| casbin_decide(&enforcer, black_box(request)))
        });

        let (request, entities) = cedar.request(case.sub, [case.role], case.ask);
        assert_eq!(cedar.decide(&request, &entities), case.expected);
        group.bench_function(format!("cedar/{}", case.name), |b| {
            b.iter(|| cedar.decide(black_box(&request), black_box(&entities)))
        });
    }
    group.finish();
}

fn claims_decision(c: &mut Criterion) {
    let runtime = runtime();
    let enforcer = runtime.block_on(casbin_enforcer()).expect("casbin");
    let cedar = Cedar::new();

    let mut group = c.benchmark_group("claims_decision");
    for case in CASES {
        let token = case.token();
        assert_eq!(authz_claims_decide(&token, case.ask), case.expected);
        assert_eq!(
            casbin_claims_decide(&enforcer, &token, case.ask),
            case.expected
        );
        assert_eq!(cedar.claims_decide(&token, case.ask), case.expected);
        group.bench_function(format!("authz/{}", case.name), |b| {
            b.iter(|| authz_claims_decide(black_box(&token), black_box(case.ask)))
        });
        group.bench_function(format!("casbin/{}", case.name), |b| {
            b.iter(|| casbin_claims_decide(&enforcer, black_box(&token), black_box(case.ask)))
        });
        group.bench_function(format!("cedar/{}", case.name), |b| {
            b.iter(|| cedar.claims_decide(black_box(&token), black_box(case.ask)))
        });
    }
    group.finish();
}

/// `GET path` on `app` with an optional bearer token; asserts 200.
async fn get<S>(app: S, path: &'static str, auth: Option<&str>)
where
    S: tower::Service<Request<Body>, Response = axum::response::Response> + Send,
    S::Error: std::fmt::Debug,
{
    let mut request = Request::get(path);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let response = app
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
}

/// The same call for the axum 0.7 router of jwt-authorizer (its own `http` types are the same
/// crate, `http` 1).
async fn get07(app: axum07::Router, path: &'static str, auth: Option<&str>) {
    let mut request = axum07::http::Request::get(path);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let request = request.body(axum07::body::Body::empty()).expect("request");
    let response = app.oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
}

fn request(c: &mut Criterion) {
    let runtime = runtime();
    let key = TestKey::generate(Algorithm::RS256, "k1");
    let token = key.mint(&alice_claims(24 * 3600));
    let auth = format!("Bearer {token}");

    // reports-api's router and state, as its binary builds them (see `reports_api`), with the
    // key given directly instead of through a JWKS URL; once without the cache, once with it.
    let builder = || {
        Validator::builder()
            .algorithms([Algorithm::RS256])
            .key(key.verification_key())
    };
    let (app, _) = reports_api(builder(), 0);
    let (cached_app, cached) = reports_api(builder(), 10_000);

    let jwks_text = jwks(&[&key]).to_string();
    let peer = runtime.block_on(async {
        let authorizer = jwt_authorizer_app::authorizer_from_jwks_text(&jwks_text)
            .await
            .expect("jwt-authorizer");
        jwt_authorizer_app::router(authorizer)
    });

    let pem = key.public_pem().expect("RSA key");
    let decoding_key = jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()).expect("PEM");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);

    let mut group = c.benchmark_group("request");
    group.bench_function("baseline/unprotected_health", |b| {
        b.to_async(&runtime)
            .iter(|| get(app.clone(), "/health", None))
    });
    let open = authz_peers_bench::store::open_reports();
    group.bench_function("baseline/unprotected_report", |b| {
        b.to_async(&runtime)
            .iter(|| get(open.clone(), "/open/reports/r1", None))
    });
    group.bench_function("baseline/jsonwebtoken_decode_rs256", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &decoding_key, &validation)
                .expect("valid")
        })
    });
    // The signature check alone, with aws-lc-rs: the key parsed on every call (as jsonwebtoken
    // 11 does from a JWK's n and e), and parsed once. The difference is work done per request
    // that could be done once per key.
    {
        use aws_lc_rs::signature::{
            ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey,
        };
        use base64::Engine as _;
        let (message, signature) = token.rsplit_once('.').expect("three segments");
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .expect("base64");
        let der = key.public_der().expect("RSA key").to_vec();
        let parsed = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &der).expect("key");
        group.bench_function("baseline/aws_lc_rs_rs256_verify_key_parsed_per_call", |b| {
            b.iter(|| {
                UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, black_box(&der))
                    .verify(black_box(message.as_bytes()), black_box(&signature))
                    .expect("valid")
            })
        });
        group.bench_function("baseline/aws_lc_rs_rs256_verify_key_parsed_once", |b| {
            b.iter(|| {
                parsed
                    .verify_sig(black_box(message.as_bytes()), black_box(&signature))
                    .expect("valid")
            })
        });
    }
    // The least a cache hit must do: hash the whole token, the cache's key, with the same
    // crate (`sha2`) authz-core's cache uses.
    group.bench_function("baseline/sha256_of_token", |b| {
        b.iter(|| {
            use sha2::Digest as _;
            sha2::Sha256::digest(black_box(token.as_bytes()))
        })
    });
    group.bench_function("authz/rs256_no_cache", |b| {
        b.to_async(&runtime)
            .iter(|| get(app.clone(), "/reports/r1", Some(&auth)))
    });
    group.bench_function("authz/rs256_cache", |b| {
        b.to_async(&runtime)
            .iter(|| get(cached_app.clone(), "/reports/r1", Some(&auth)))
    });
    let stats = cached.cache_stats().expect("cache on");
    assert!(stats.hits > 0 && stats.misses == 1, "{stats:?}");
    group.bench_function("jwt_authorizer/rs256", |b| {
        b.to_async(&runtime)
            .iter(|| get07(peer.clone(), "/reports/r1", Some(&auth)))
    });
    group.bench_function("jwt_authorizer/unprotected_health", |b| {
        b.to_async(&runtime)
            .iter(|| get07(peer.clone(), "/health", None))
    });
    group.finish();
}

criterion_group!(benches, decision, claims_decision, request);
criterion_main!(benches);
