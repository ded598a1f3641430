//! The revocation check a request pays (issue 16), beside the verified-token cache hit it
//! sits next to, in one run:
//!
//! - `in_memory`: [`InMemoryRevocation`], one process's list (the floor);
//! - `redis_push`: [`RedisRevocation`] reading its pushed copy in memory (the default);
//! - `redis_per_request`: [`RedisRevocation`] with `push(false)`, one `MGET` over loopback;
//! - `cache_hit`: `Validator::validate_shared` on a cached HS256 token, no revocation hook;
//! - `cache_hit_redis_push`: the same hit with `redis_push` as the revocation hook (the keys a
//!   token is looked up by are derived once per cached token, not per hit).
//!
//! Each check is for a token with a `jti`, a `sub`, an `iss` and an `iat`, against a store
//! holding 10,000 revoked `jti`s and 1,000 revoked subjects (none of them this token's).
//! Starts its own `redis-server` (Debian package `redis-server`).
//!
//! `cargo bench -p authz-core --bench revocation`

use std::hint::black_box;
use std::time::Duration;

use authz_core::store::RedisRevocation;
use authz_core::testkit::{RedisServer, TestKey, claims_for, now};
use authz_core::token::{InMemoryRevocation, Revocation, RevocationQuery};
use authz_core::{Algorithm, Claims, Validator};
use criterion::{Criterion, criterion_group, criterion_main};

#[derive(serde::Deserialize, Claims)]
struct Token {
    sub: String,
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let redis = RedisServer::start().expect("redis-server");
    let exp = now() + 3600;
    let memory = InMemoryRevocation::new();
    let push = RedisRevocation::builder(redis.url()).build().unwrap();
    let per_request = RedisRevocation::builder(redis.url())
        .push(false)
        .build()
        .unwrap();
    runtime.block_on(async {
        for i in 0..10_000 {
            let jti = format!("revoked-{i}");
            memory.revoke_jti(jti.as_str(), exp);
            push.revoke_jti(&jti, exp).await.unwrap();
        }
        for i in 0..1_000 {
            let sub = format!("gone-{i}");
            memory.revoke_subject_of("https://id.example", sub.as_str(), now(), exp);
            push.revoke_subject_of("https://id.example", &sub, now(), exp)
                .await
                .unwrap();
        }
        push.start();
        while !push.is_synced() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    assert_eq!(push.entries_in_memory(), 11_000);
    let query = RevocationQuery::new(Some("live-token"), Some("alice"), Some(now()), exp)
        .with_issuer("https://id.example");

    let mut group = c.benchmark_group("revocation_check");
    group.bench_function("in_memory", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(memory.check(black_box(query)).await.unwrap()) });
    });
    group.bench_function("redis_push", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(push.check(black_box(query)).await.unwrap()) });
    });
    group.bench_function("redis_per_request", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(per_request.check(black_box(query)).await.unwrap()) });
    });

    let key = TestKey::generate(Algorithm::HS256, "k");
    let cached = || {
        Validator::builder()
            .algorithms([Algorithm::HS256])
            .key(key.verification_key())
            .issuer("https://id.example")
            .audience("api")
            .cache(1000)
    };
    let validator = cached().build().unwrap();
    let token = key.mint(&claims_for("https://id.example", "api", "alice"));
    runtime
        .block_on(validator.validate_shared::<Token>(&token))
        .unwrap();
    let with_push = cached().revocation(push.clone()).build().unwrap();
    runtime
        .block_on(with_push.validate_shared::<Token>(&token))
        .unwrap();
    for (name, validator) in [
        ("cache_hit", &validator),
        ("cache_hit_redis_push", &with_push),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                black_box(
                    validator
                        .validate_shared::<Token>(black_box(&token))
                        .await
                        .unwrap(),
                )
            });
        });
    }
    group.finish();
    assert!(push.is_synced(), "the copy stayed trusted through the run");
    runtime.block_on(memory_per_entry(&redis));
}

/// The resident memory a loaded copy takes per entry: 100,000 `jti` entries written to Redis
/// (pipelines of `SET ... EX`), then a fresh store loads them; printed, not benchmarked.
async fn memory_per_entry(redis: &RedisServer) {
    const ENTRIES: usize = 100_000;
    let prefix = "memory:";
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let probe = RedisRevocation::builder(redis.url())
        .prefix(prefix)
        .build()
        .unwrap();
    // Pipelines of 1000: one of 100,000 outlasts the client's response timeout on a busy
    // machine.
    for start in (0..ENTRIES).step_by(1000) {
        let mut pipe = redis::pipe();
        for i in start..start + 1000 {
            pipe.cmd("SET")
                .arg(probe.jti_key(&format!("memory-{i}")))
                .arg(now() + 3600)
                .arg("EX")
                .arg(3600)
                .ignore();
        }
        let () = pipe.query_async(&mut connection).await.unwrap();
    }
    let before = resident_bytes();
    let store = RedisRevocation::builder(redis.url())
        .prefix(prefix)
        .build()
        .unwrap();
    store.start();
    while !store.is_synced() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after = resident_bytes();
    assert_eq!(store.entries_in_memory(), ENTRIES);
    println!(
        "push copy: {ENTRIES} entries, resident memory +{:.1} MiB, {} bytes an entry",
        after.saturating_sub(before) as f64 / (1 << 20) as f64,
        after.saturating_sub(before) / ENTRIES as u64,
    );
}

/// VmRSS of this process, from /proc (0 where there is none).
fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|kb| kb.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

criterion_group!(benches, bench);
criterion_main!(benches);
