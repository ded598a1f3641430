//! One criterion bench per step of a cached request's path, so that a change to any step
//! shows up as a number: bearer parsing, the cache key (SHA-256 of the token, with the
//! baselines of the `sha2` crate and aws-lc-rs), a verified-token cache hit, the revocation
//! check (a list in memory with a thousand entries, answered without a future), claims
//! resolution, an authorization with its audit event, and the whole gate (authenticate, which
//! records the route, and authorize) on a cache hit.
//!
//! Run: `cargo bench -p authz-core --bench hot_path --features test-util`

use std::hint::black_box;

use authz_core::testkit::{TestKey, claims_for};
use authz_core::{Algorithm, Authenticated, Claims, Gate, Validator, gate::bearer_credentials};
use criterion::{Criterion, criterion_group, criterion_main};
use sha2::Digest;

authz_core::policy! {
    /// The bench policy.
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

fn steps(c: &mut Criterion) {
    let key = TestKey::generate(Algorithm::HS256, "k1");
    let validator = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(key.verification_key())
        .issuer("https://id.bench")
        .audience("reports")
        .cache(1024)
        .build()
        .expect("validator");
    let mut claims = claims_for("https://id.bench", "reports", "alice");
    claims["exp"] = serde_json::json!(authz_core::testkit::now() + 24 * 3600);
    claims["roles"] = serde_json::json!(["viewer", "editor"]);
    let token = key.mint(&claims);
    let header = format!("Bearer {token}");
    let gate = Gate::new(validator.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime
        .block_on(validator.validate_shared::<Token>(&token))
        .expect("valid");

    let mut group = c.benchmark_group("hot_path");
    group.bench_function("bearer_parse", |b| {
        b.iter(|| bearer_credentials([black_box(header.as_bytes())]))
    });
    group.bench_function("baseline/sha256_sha2_crate", |b| {
        b.iter(|| sha2::Sha256::digest(black_box(token.as_bytes())))
    });
    group.bench_function("baseline/sha256_aws_lc_rs", |b| {
        b.iter(|| {
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, black_box(token.as_bytes()))
        })
    });
    group.bench_function("cache_hit", |b| {
        b.iter(|| {
            runtime
                .block_on(validator.validate_shared::<Token>(black_box(&token)))
                .expect("valid")
        })
    });
    let revocations = authz_core::token::InMemoryRevocation::new();
    let later = authz_core::testkit::now() + 3600;
    for i in 0..1000 {
        revocations.revoke_jti(format!("jti-{i}"), later);
        revocations.revoke_subject(format!("sub-{i}"), later, later);
    }
    group.bench_function("revocation_check", |b| {
        use authz_core::token::{Revocation, RevocationQuery, RevocationStatus};
        let query = RevocationQuery::new(Some("jti-alice"), Some("alice"), Some(1), later);
        b.iter(|| {
            let status = revocations.check_now(black_box(&query));
            assert!(matches!(status, Some(Ok(RevocationStatus::Active))));
        })
    });
    let validated = runtime
        .block_on(validator.validate_shared::<Token>(&token))
        .expect("valid");
    group.bench_function("resolve", |b| {
        b.iter(|| black_box(&validated.claims).resolve::<reports::Policy>())
    });
    let caller: Authenticated<reports::Policy, Token> = Authenticated::from(validated.clone());
    group.bench_function("authorize_with_audit_event", |b| {
        b.iter(|| {
            gate.authorize::<reports::perm::ReportsRead, _>(black_box(&caller), "/reports")
                .expect("granted")
        })
    });
    group.bench_function("gate_cache_hit", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let caller = gate
                    .authenticate::<reports::Policy, Token>([header.as_bytes()], "/reports")
                    .await
                    .expect("authenticated");
                gate.authorize::<reports::perm::ReportsRead, _>(&caller, "/reports")
                    .expect("granted")
            })
        })
    });
    group.finish();
}

criterion_group!(benches, steps);
criterion_main!(benches);
