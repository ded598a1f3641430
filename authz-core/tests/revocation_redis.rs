//! `RedisRevocation` against a real `redis-server` started by the test (Debian package
//! `redis-server`; these tests fail, not skip, without it): jti and subject revocation through a
//! validator, TTLs, sharing between instances, hostile identifiers, one command per check, the
//! opt-in cache, and what happens while Redis is down, hung, and back.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use authz_core::test_util::{RedisServer, TestKey, claims_for, now};
use authz_core::{
    Algorithm, Claims, ErrorCategory, RedisRevocation, Revocation, RevocationQuery,
    RevocationStatus, TokenError, Validator,
};
use serde_json::json;

const ISSUER: &str = "https://id.test";
const AUDIENCE: &str = "api";

#[derive(Debug, serde::Deserialize, Claims)]
struct MyClaims {
    #[allow(dead_code)]
    sub: String,
}

fn redis() -> RedisServer {
    RedisServer::start().expect("these tests need redis-server (Debian package redis-server)")
}

async fn raw(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn ttl(server: &RedisServer, key: &str) -> i64 {
    redis::cmd("TTL")
        .arg(key)
        .query_async(&mut raw(server).await)
        .await
        .unwrap()
}

fn validator(key: &TestKey, revocations: &RedisRevocation) -> Validator {
    Validator::builder()
        .algorithms([key.algorithm()])
        .key(key.verification_key())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .revocation(revocations.clone())
        .build()
        .unwrap()
}

fn token(key: &TestKey, sub: &str, jti: Option<&str>, iat: Option<u64>) -> String {
    let mut claims = claims_for(ISSUER, AUDIENCE, sub);
    if let Some(jti) = jti {
        claims["jti"] = json!(jti);
    }
    match iat {
        Some(iat) => claims["iat"] = json!(iat),
        None => {
            claims.as_object_mut().unwrap().remove("iat");
        }
    }
    key.mint(&claims)
}

async fn outcome(v: &Validator, token: &str) -> Result<(), TokenError> {
    v.validate::<MyClaims>(token).await.map(drop)
}

#[tokio::test]
async fn a_revoked_jti_is_refused_and_others_are_not() {
    let server = redis();
    let store = RedisRevocation::builder(server.url()).build().unwrap();
    let key = TestKey::generate(Algorithm::ES256, "k");
    let v = validator(&key, &store);
    let t1 = token(&key, "alice", Some("t-1"), Some(now()));
    let t2 = token(&key, "alice", Some("t-2"), Some(now()));
    assert!(outcome(&v, &t1).await.is_ok());

    store.revoke_jti("t-1", now() + 300).await.unwrap();
    let err = outcome(&v, &t1).await.unwrap_err();
    assert!(matches!(err, TokenError::Revoked), "{err:?}");
    assert_eq!(err.category(), ErrorCategory::InvalidToken);
    assert!(outcome(&v, &t2).await.is_ok());
}

#[tokio::test]
async fn a_revoked_subject_refuses_older_tokens_and_tokens_without_iat() {
    let server = redis();
    let store = RedisRevocation::builder(server.url()).build().unwrap();
    let key = TestKey::generate(Algorithm::EdDSA, "k");
    let v = validator(&key, &store);
    let t = now();
    let old = token(&key, "mallory", None, Some(t - 10));
    let undated = token(&key, "mallory", None, None);
    let fresh = token(&key, "mallory", None, Some(t + 5));
    let other = token(&key, "alice", None, Some(t - 10));
    for tok in [&old, &undated, &fresh, &other] {
        assert!(outcome(&v, tok).await.is_ok());
    }

    store.revoke_subject("mallory", t, t + 3600).await.unwrap();
    assert!(matches!(outcome(&v, &old).await, Err(TokenError::Revoked)));
    assert!(matches!(
        outcome(&v, &undated).await,
        Err(TokenError::Revoked)
    ));
    assert!(outcome(&v, &fresh).await.is_ok());
    assert!(outcome(&v, &other).await.is_ok());

    // An earlier cut-off later on does not weaken the entry.
    store
        .revoke_subject("mallory", t - 100, t + 10)
        .await
        .unwrap();
    assert!(matches!(outcome(&v, &old).await, Err(TokenError::Revoked)));
}

#[tokio::test]
async fn entries_expire_when_their_tokens_would_plus_the_leeway() {
    let server = redis();
    let store = RedisRevocation::builder(server.url())
        .leeway(Duration::from_secs(60))
        .build()
        .unwrap();
    let t = now();
    store.revoke_jti("j", t + 300).await.unwrap();
    let left = ttl(&server, &store.jti_key("j")).await;
    assert!((358..=360).contains(&left), "jti TTL {left}");

    store.revoke_subject("s", t, t + 3600).await.unwrap();
    let left = ttl(&server, &store.subject_key("s")).await;
    assert!((3658..=3660).contains(&left), "subject TTL {left}");

    // Revoking again with a shorter life keeps the longer TTL; a longer one extends it.
    store.revoke_jti("j", t + 10).await.unwrap();
    let left = ttl(&server, &store.jti_key("j")).await;
    assert!(
        (358..=360).contains(&left),
        "jti TTL after a shorter revoke {left}"
    );
    store.revoke_jti("j", t + 1000).await.unwrap();
    let left = ttl(&server, &store.jti_key("j")).await;
    assert!(
        (1058..=1060).contains(&left),
        "jti TTL after a longer revoke {left}"
    );

    // A token already past exp + leeway is refused by the validator anyway: nothing stored.
    store.revoke_jti("dead", t - 61).await.unwrap();
    assert_eq!(ttl(&server, &store.jti_key("dead")).await, -2);
    // Just inside the leeway: stored, for the seconds that remain.
    store.revoke_jti("dying", t - 50).await.unwrap();
    let left = ttl(&server, &store.jti_key("dying")).await;
    assert!((8..=10).contains(&left), "dying TTL {left}");

    // A different leeway changes the TTL accordingly.
    let strict = RedisRevocation::builder(server.url())
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    strict.revoke_jti("strict", t + 300).await.unwrap();
    let left = ttl(&server, &strict.jti_key("strict")).await;
    assert!((298..=300).contains(&left), "strict TTL {left}");
}

#[tokio::test]
async fn instances_sharing_redis_and_prefix_share_revocations() {
    let server = redis();
    let a = RedisRevocation::builder(server.url()).build().unwrap();
    let b = RedisRevocation::builder(server.url()).build().unwrap();
    let elsewhere = RedisRevocation::builder(server.url())
        .prefix("other-service:")
        .build()
        .unwrap();
    let q = RevocationQuery::new(Some("shared"), Some("bob"), Some(now()), now() + 300);
    for store in [&a, &b, &elsewhere] {
        assert_eq!(store.check(q).await.unwrap(), RevocationStatus::Active);
    }
    a.revoke_jti("shared", now() + 300).await.unwrap();
    assert_eq!(b.check(q).await.unwrap(), RevocationStatus::Revoked);
    assert_eq!(elsewhere.check(q).await.unwrap(), RevocationStatus::Active);
    assert!(
        elsewhere
            .jti_key("shared")
            .starts_with("other-service:jti:")
    );
}

#[tokio::test]
async fn hostile_identifiers_are_hashed_into_fixed_size_keys() {
    let server = redis();
    let store = RedisRevocation::builder(server.url()).build().unwrap();
    let hostile = format!("a:b:{}\u{0}\u{7f}:{}", "x".repeat(1 << 20), "sub:");
    // One clock reading for the whole test: two calls to `now()` may straddle a second, and a
    // token issued in the very second of the cut-off is not "issued before" it.
    let t = now();
    store.revoke_jti(&hostile, t + 300).await.unwrap();
    store.revoke_subject(&hostile, t, t + 300).await.unwrap();
    let exp = t + 300;
    let q = |jti, sub| RevocationQuery::new(jti, sub, Some(t - 1), exp);
    assert_eq!(
        store.check(q(Some(&hostile), None)).await.unwrap(),
        RevocationStatus::Revoked
    );
    assert_eq!(
        store.check(q(None, Some(&hostile))).await.unwrap(),
        RevocationStatus::Revoked
    );
    // Neither a prefix of it, nor the same text as the other kind of identifier, matches.
    let prefix = &hostile[..hostile.len() - 1];
    assert_eq!(
        store.check(q(Some(prefix), Some(prefix))).await.unwrap(),
        RevocationStatus::Active
    );
    let mut conn = raw(&server).await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 2);
    let used: i64 = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(store.jti_key(&hostile))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(used < 512, "a 1 MiB jti took {used} bytes in Redis");
}

/// `cmdstat_<name>:calls=N` from `INFO commandstats`.
async fn calls(server: &RedisServer, command: &str) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut raw(server).await)
        .await
        .unwrap();
    let needle = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|line| line.strip_prefix(&needle))
        .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
}

async fn reset_stats(server: &RedisServer) {
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async(&mut raw(server).await)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_check_is_one_mget_and_the_cache_is_opt_in() {
    let server = redis();
    let plain = RedisRevocation::builder(server.url()).build().unwrap();
    let q = RevocationQuery::new(Some("j"), Some("s"), Some(now()), now() + 300);
    plain.check(q).await.unwrap(); // connects
    reset_stats(&server).await;
    for _ in 0..10 {
        plain.check(q).await.unwrap();
    }
    assert_eq!(calls(&server, "mget").await, 10);
    assert_eq!(calls(&server, "get").await, 0);
    assert_eq!(calls(&server, "eval").await, 0);
    // No jti and no sub: nothing to ask.
    reset_stats(&server).await;
    let anonymous = RevocationQuery::new(None, None, None, now() + 300);
    assert_eq!(
        plain.check(anonymous).await.unwrap(),
        RevocationStatus::Active
    );
    assert_eq!(calls(&server, "mget").await, 0);

    let cached = RedisRevocation::builder(server.url())
        .cache(Duration::from_secs(30), 100)
        .build()
        .unwrap();
    reset_stats(&server).await;
    for _ in 0..10 {
        cached.check(q).await.unwrap();
    }
    assert_eq!(calls(&server, "mget").await, 1);
}

#[tokio::test]
async fn the_cache_is_stale_for_at_most_its_bound_and_never_for_its_own_revocations() {
    let server = redis();
    let staleness = Duration::from_millis(1500);
    let cached = RedisRevocation::builder(server.url())
        .cache(staleness, 100)
        .build()
        .unwrap();
    let other = RedisRevocation::builder(server.url()).build().unwrap();
    let exp = now() + 300;
    let q = RevocationQuery::new(Some("stolen"), None, None, exp);
    assert_eq!(cached.check(q).await.unwrap(), RevocationStatus::Active);

    // Revoked elsewhere: this instance may answer from its cache until the bound passes...
    other.revoke_jti("stolen", exp).await.unwrap();
    assert_eq!(cached.check(q).await.unwrap(), RevocationStatus::Active);
    tokio::time::sleep(staleness + Duration::from_millis(100)).await;
    // ...and not after it.
    assert_eq!(cached.check(q).await.unwrap(), RevocationStatus::Revoked);

    // Revoked through this instance: at once.
    let q2 = RevocationQuery::new(Some("second"), None, None, exp);
    assert_eq!(cached.check(q2).await.unwrap(), RevocationStatus::Active);
    cached.revoke_jti("second", exp).await.unwrap();
    assert_eq!(cached.check(q2).await.unwrap(), RevocationStatus::Revoked);
}

/// Counts `tracing` events at ERROR level, on this thread.
#[derive(Default)]
struct ErrorCounter(Arc<Mutex<Vec<String>>>);

impl tracing::Subscriber for ErrorCounter {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::ERROR {
            struct Message<'a>(&'a mut String);
            impl tracing::field::Visit for Message<'_> {
                fn record_debug(
                    &mut self,
                    field: &tracing::field::Field,
                    value: &dyn std::fmt::Debug,
                ) {
                    if field.name() == "message" {
                        *self.0 = format!("{value:?}");
                    }
                }
            }
            let mut message = String::new();
            event.record(&mut Message(&mut message));
            self.0.lock().unwrap().push(message);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn redis_down_fails_closed_with_an_error_logged_then_recovers_without_restart() {
    let logged = Arc::new(Mutex::new(Vec::new()));
    let subscriber = ErrorCounter(Arc::clone(&logged));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        rt.block_on(async {
            let mut server = redis();
            let store = RedisRevocation::builder(server.url()).build().unwrap();
            let open = RedisRevocation::builder(server.url())
                .insecure_fail_open()
                .build()
                .unwrap();
            let key = TestKey::generate(Algorithm::ES256, "k");
            let v = validator(&key, &store);
            let v_open = validator(&key, &open);
            let good = token(&key, "alice", Some("good"), Some(now()));
            let revoked = token(&key, "alice", Some("revoked"), Some(now()));
            store.revoke_jti("revoked", now() + 300).await.unwrap();
            assert!(outcome(&v, &good).await.is_ok());
            assert!(outcome(&v_open, &good).await.is_ok());
            assert!(matches!(
                outcome(&v_open, &revoked).await,
                Err(TokenError::Revoked)
            ));
            assert!(logged.lock().unwrap().is_empty());

            server.stop();
            // Fail closed: every token is refused as unavailable, the revoked one included.
            for tok in [&good, &revoked] {
                let err = outcome(&v, tok).await.unwrap_err();
                assert!(
                    matches!(err, TokenError::RevocationUnavailable(_)),
                    "{err:?}"
                );
                assert_eq!(err.category(), ErrorCategory::Unavailable);
            }
            assert!(store.revoke_jti("x", now() + 300).await.is_err());
            let closed_logs = logged.lock().unwrap().clone();
            assert!(
                closed_logs.iter().any(|m| m.contains("fail closed")),
                "{closed_logs:?}"
            );
            // Fail open, when asked for: accepted (the revoked token too), and logged.
            assert!(outcome(&v_open, &good).await.is_ok());
            assert!(outcome(&v_open, &revoked).await.is_ok());
            let open_logs = logged.lock().unwrap().clone();
            assert!(
                open_logs.iter().any(|m| m.contains("ACCEPTING")),
                "{open_logs:?}"
            );

            // Back on the same port (empty: it persisted nothing): used again, same instances.
            server.restart().unwrap();
            let mut recovered = false;
            for _ in 0..40 {
                if outcome(&v, &good).await.is_ok() {
                    recovered = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(recovered, "the restarted Redis was not used again");
            store.revoke_jti("good", now() + 300).await.unwrap();
            assert!(matches!(outcome(&v, &good).await, Err(TokenError::Revoked)));
            assert!(matches!(
                outcome(&v_open, &good).await,
                Err(TokenError::Revoked)
            ));
        });
    });
}

#[tokio::test]
async fn a_hung_redis_fails_closed_within_the_timeout() {
    let server = redis();
    let store = RedisRevocation::builder(server.url())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let q = RevocationQuery::new(Some("j"), None, None, now() + 300);
    assert_eq!(store.check(q).await.unwrap(), RevocationStatus::Active);
    let pid = server.pid().unwrap().to_string();
    let signal = |sig: &str| {
        let status = std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap();
        assert!(status.success());
    };
    signal("-STOP");
    let started = std::time::Instant::now();
    let result = store.check(q).await;
    let waited = started.elapsed();
    signal("-CONT");
    assert!(result.is_err(), "{result:?}");
    // Two attempts (the stale connection, then a new one) of at most 200 ms each, with slack.
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
    let mut back = false;
    for _ in 0..40 {
        if store.check(q).await.is_ok() {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "not used again after SIGCONT");
}
