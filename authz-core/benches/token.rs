//! Full token validation beside raw `jsonwebtoken::decode`, on the same token and key, in one
//! run: HS256 (static secret), RS256, ES256 and EdDSA (remote JWKS, warm cache); and an
//! Entra-shaped access token of eighteen claims into a claims type that reads three
//! (`HS256/provider_token/*`), for the JSON work around the signature.
//!
//! `cargo bench -p authz-core --features test-util --bench token` measures the default
//! backend (aws-lc-rs); add `--no-default-features --features rust_crypto,test-util` for
//! RustCrypto.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use authz_core::testkit::{JwksServer, TestKey, claims_for};
use authz_core::{Algorithm, Claims, Validator};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{DecodingKey, Validation, jwk::Jwk};

const ISS: &str = "https://id.example";
const AUD: &str = "reports-api";

#[derive(serde::Deserialize, Claims)]
#[allow(dead_code)]
struct MyClaims {
    sub: String,
    iss: String,
    aud: String,
    exp: u64,
    iat: u64,
}

/// An application's claims type of the usual shape: the subject and its own claims.
#[derive(serde::Deserialize, Claims)]
#[allow(dead_code)]
struct AppClaims {
    sub: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    scp: Option<String>,
}

/// Polls a future that must not wait (static keys, warm cache) once, so the measurement holds
/// no executor overhead.
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("validation waited although the keys were cached"),
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(JwksServer::start()).unwrap();
    let keys: Vec<TestKey> = [
        Algorithm::HS256,
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ]
    .into_iter()
    .map(|alg| TestKey::generate(alg, &format!("kid-{alg}")))
    .collect();
    server.set_keys(
        &keys
            .iter()
            .filter(|k| !k.algorithm().is_symmetric())
            .collect::<Vec<_>>(),
    );

    let mut group = c.benchmark_group(format!("token/{}", Validator::crypto_backend()));
    for key in &keys {
        let alg = key.algorithm();
        let builder = Validator::builder()
            .algorithms([alg])
            .issuer(ISS)
            .audience(AUD);
        let validator = if alg.is_symmetric() {
            builder.key(key.verification_key()).build().unwrap()
        } else {
            builder.jwks_url(server.jwks_url()).build().unwrap()
        };
        let token = key.mint(&claims_for(ISS, AUD, "alice"));
        rt.block_on(validator.refresh_keys()).unwrap();
        assert_eq!(
            ready(validator.validate::<MyClaims>(&token))
                .unwrap()
                .claims
                .sub,
            "alice"
        );

        let jwk: Jwk = serde_json::from_value(key.public_jwk()).unwrap();
        let decoding = DecodingKey::from_jwk(&jwk).unwrap();
        let jalg = jsonwebtoken::decode_header(&token).unwrap().alg;
        let mut validation = Validation::new(jalg);
        validation.set_issuer(&[ISS]);
        validation.set_audience(&[AUD]);
        jsonwebtoken::decode::<MyClaims>(&token, &decoding, &validation).unwrap();

        group.bench_function(format!("{alg}/jsonwebtoken_decode"), |b| {
            b.iter(|| {
                jsonwebtoken::decode::<MyClaims>(black_box(&token), &decoding, &validation).unwrap()
            })
        });
        let source = if alg.is_symmetric() {
            "static_key"
        } else {
            "jwks_warm"
        };
        group.bench_function(format!("{alg}/validator_{source}"), |b| {
            b.iter(|| ready(validator.validate::<MyClaims>(black_box(&token))).unwrap())
        });
        if alg == Algorithm::RS256 {
            // The verified-token cache on a repeated token, through the shared path the `Gate`
            // takes: a SHA-256 of the token, the key, clock and revocation checks, no parsing.
            let cached = Validator::builder()
                .algorithms([alg])
                .issuer(ISS)
                .audience(AUD)
                .jwks_url(server.jwks_url())
                .cache(1000)
                .build()
                .unwrap();
            rt.block_on(cached.refresh_keys()).unwrap();
            ready(cached.validate_shared::<MyClaims>(&token)).unwrap();
            // A filter on the command line may leave this bench out: then no hits are due.
            let mut ran = false;
            group.bench_function(format!("{alg}/validator_cache_hit"), |b| {
                ran = true;
                b.iter(|| ready(cached.validate_shared::<MyClaims>(black_box(&token))).unwrap())
            });
            let stats = cached.cache_stats().unwrap();
            assert!((stats.hits > 0 || !ran) && stats.misses == 1, "{stats:?}");
        }
    }

    // A provider's access token as it comes (Entra's shape: eighteen claims), read into an
    // application's claims type that reads the subject and its own claims and skips the
    // rest: the JSON work around the signature, on HS256 where the signature costs least.
    let key = &keys[0];
    let validator = Validator::builder()
        .algorithms([key.algorithm()])
        .issuer(ISS)
        .audience(AUD)
        .key(key.verification_key())
        .build()
        .unwrap();
    let now = claims_for(ISS, AUD, "alice")["iat"].as_u64().unwrap();
    let token = key.mint(&serde_json::json!({
        "aud": AUD, "iss": ISS, "iat": now, "nbf": now, "exp": now + 300,
        "aio": "AWQAm/8TAAAAcBEYeIf3yVqmX2tLnYs0JwDBRQ1dWXwO8eSTHtUJ0",
        "azp": "6e74172b-be56-4843-9ff4-e66a39bb12e3", "azpacr": "0",
        "name": "Alice Example", "oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474",
        "preferred_username": "alice@example.com",
        "rh": "0.ARoAv4j5cvGGr0GRqy180BHbR1ZUGEMW-kdOjk7wpLszbRp0AAA.",
        "roles": ["Reports.Read", "Reports.Write"], "scp": "access_as_user",
        "sub": "alice", "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "2.0"
    }));
    assert_eq!(
        ready(validator.validate::<AppClaims>(&token))
            .unwrap()
            .claims
            .roles,
        ["Reports.Read", "Reports.Write"]
    );
    let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_issuer(&[ISS]);
    validation.set_audience(&[AUD]);
    let jwk: Jwk = serde_json::from_value(key.public_jwk()).unwrap();
    let decoding = DecodingKey::from_jwk(&jwk).unwrap();
    jsonwebtoken::decode::<AppClaims>(&token, &decoding, &validation).unwrap();
    group.bench_function("HS256/provider_token/jsonwebtoken_decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<AppClaims>(black_box(&token), &decoding, &validation).unwrap()
        })
    });
    group.bench_function("HS256/provider_token/validator_static_key", |b| {
        b.iter(|| ready(validator.validate::<AppClaims>(black_box(&token))).unwrap())
    });
    group.finish();
    drop(server);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(60)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
