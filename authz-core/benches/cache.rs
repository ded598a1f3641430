//! The verified-token cache under a flood of unique valid tokens: the per-token cost of
//! `validate_shared` on a token never seen before, into a cache already full at 1,000, 10,000
//! and 100,000 entries (each such token evicts one entry), beside the same work into an empty
//! cache too large to evict anything (a fresh one each sample), and with the cache off.
//!
//! `cargo bench -p authz-core --bench cache`
//!
//! Eviction is O(1): the three `full` figures should stay within 1.5x of each other (the map
//! this replaced scanned every entry on each such insert: 2.5 ms a token at 100,000). What
//! still grows from 1,000 to 100,000 entries is CPU-cache misses (the entries, and the evicted
//! validated tokens freed, no longer fit in the caches), not work: the cost is flat from
//! 30,000 to 400,000 entries. `full − cache_off` is what the cache adds to a miss (the SHA-256
//! of the token, the lookup, the insert, the eviction and freeing the evicted token). HS256
//! keeps the signature check, which a miss pays whatever the cache does, as cheap as it gets.
//!
//! Tokens are minted with `jsonwebtoken::encode` before each sample, outside the timed loop;
//! each carries a distinct `jti`, so no token is validated twice.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use authz_core::{Algorithm, Claims, Key, Validator};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use jsonwebtoken::{EncodingKey, Header};

const ISS: &str = "https://id.example";
const AUD: &str = "reports-api";
const SECRET: &[u8; 32] = b"cache-bench-secret-of-32-bytes!!";
/// Full-cache sizes the per-insert cost is compared at.
const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
/// A capacity no sample comes near: inserts never evict.
const LARGE: usize = 1 << 26;

#[derive(serde::Deserialize, Claims)]
#[allow(dead_code)]
struct MyClaims {
    sub: String,
    iss: String,
    aud: String,
    exp: u64,
    iat: u64,
    jti: String,
}

/// Polls a future that must not wait (static key) once, so the measurement holds no executor
/// overhead.
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("validation waited although the key is static"),
    }
}

/// Mints distinct valid HS256 tokens, numbered from a counter shared by the whole run.
struct Minter {
    key: EncodingKey,
    header: Header,
    next: u64,
    now: u64,
}

impl Minter {
    fn new() -> Self {
        Self {
            key: EncodingKey::from_secret(SECRET),
            header: Header::new(jsonwebtoken::Algorithm::HS256),
            next: 0,
            now: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        }
    }

    fn mint(&mut self, n: u64) -> Vec<String> {
        (0..n)
            .map(|_| {
                self.next += 1;
                let claims = serde_json::json!({
                    "sub": format!("user-{}", self.next % 1000),
                    "iss": ISS,
                    "aud": AUD,
                    "iat": self.now,
                    "exp": self.now + 3600,
                    "jti": format!("t-{}", self.next),
                });
                jsonwebtoken::encode(&self.header, &claims, &self.key).unwrap()
            })
            .collect()
    }
}

fn validator(cache: usize) -> Validator {
    Validator::builder()
        .algorithms([Algorithm::HS256])
        .issuer(ISS)
        .audience(AUD)
        .key(Key::hmac_secret(SECRET))
        .cache(cache)
        .build()
        .unwrap()
}

/// Validates every token, timed; each must be a miss that verifies and fills the cache.
fn validate_all(validator: &Validator, tokens: &[String]) -> Duration {
    let start = Instant::now();
    for token in tokens {
        black_box(ready(validator.validate_shared::<MyClaims>(black_box(token))).unwrap());
    }
    start.elapsed()
}

fn bench(c: &mut Criterion) {
    let mut minter = Minter::new();
    let mut group = c.benchmark_group(format!(
        "cache_insert_unique/{}",
        Validator::crypto_backend()
    ));

    // Baselines: the same work with the cache off, and into a cache that never evicts (a
    // fresh one each sample).
    group.bench_function("cache_off", |b| {
        let off = validator(0);
        b.iter_custom(|iters| validate_all(&off, &minter.mint(iters)))
    });
    group.bench_function("empty_large", |b| {
        b.iter_custom(|iters| {
            let tokens = minter.mint(iters);
            let empty = validator(LARGE);
            let elapsed = validate_all(&empty, &tokens);
            assert_eq!(empty.cache_stats().unwrap().entries as u64, iters);
            elapsed
        })
    });

    for size in SIZES {
        let full = validator(size);
        validate_all(&full, &minter.mint(size as u64 + size as u64 / 2));
        let filled = full.cache_stats().unwrap();
        assert!(
            filled.entries <= size && filled.entries >= size * 9 / 10,
            "{size}: {filled:?}"
        );
        group.bench_with_input(BenchmarkId::new("full", size), &size, |b, _| {
            b.iter_custom(|iters| validate_all(&full, &minter.mint(iters)))
        });
        let stats = full.cache_stats().unwrap();
        assert_eq!(stats.hits, 0, "{stats:?}");
        assert!(stats.entries <= size, "{stats:?}");
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
