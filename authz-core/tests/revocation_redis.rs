//! `RedisRevocation` against a real `redis-server` started by the test (Debian package
//! `redis-server`; these tests fail, not skip, without it): jti and subject revocation through a
//! validator, subjects of one issuer, TTLs (an entry outlives every token it covers), sharing
//! between instances, hostile identifiers, one command per check, the opt-in cache, and what
//! happens while Redis is down, hung, and back.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use authz_core::testkit::{RedisServer, TestKey, claims_for, now};
use authz_core::{
    Algorithm, Claims, Issuer, TokenError, Validator, store::RedisRevocation, token::Clock,
    token::ErrorCategory, token::Revocation, token::RevocationQuery, token::RevocationStatus,
    token::ValidatorBuilder,
};
use serde_json::json;

const ISSUER: &str = "https://id.test";
const AUDIENCE: &str = "api";
/// Two issuers a validator trusts at once, for subjects of one issuer.
const ISSUER_A: &str = "https://a.test";
const ISSUER_B: &str = "https://b.test";

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
    validator_builder(key, revocations).build().unwrap()
}

fn validator_builder(key: &TestKey, revocations: &RedisRevocation) -> ValidatorBuilder {
    Validator::builder()
        .algorithms([key.algorithm()])
        .key(key.verification_key())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .revocation(revocations.clone())
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

/// A query for a token of `iss`.
fn query_of<'a>(
    iss: Option<&'a str>,
    sub: &'a str,
    iat: Option<u64>,
    exp: u64,
) -> RevocationQuery<'a> {
    let mut q = RevocationQuery::new(None, Some(sub), iat, exp);
    q.iss = iss;
    q
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

/// The keys a token's revocation is looked up by are derived once, kept with the token in the
/// verified-token cache; what is kept must be the keys, never the answer. Each kind of
/// revocation made after the tokens were cached refuses its token on the next hit, and only
/// that token.
#[tokio::test]
async fn each_kind_of_revocation_refuses_a_token_already_in_the_cache() {
    let server = redis();
    let store = RedisRevocation::builder(server.url()).build().unwrap();
    let key = TestKey::generate(Algorithm::ES256, "k");
    let v = validator_builder(&key, &store).cache(64).build().unwrap();
    let issued = now() - 10;
    let by_jti = token(&key, "ann", Some("c-1"), Some(issued));
    let by_subject = token(&key, "bob", Some("c-2"), Some(issued));
    let by_issuer_subject = token(&key, "cat", Some("c-3"), Some(issued));
    let by_session = {
        let mut claims = claims_for(ISSUER, AUDIENCE, "dan");
        claims["jti"] = json!("c-4");
        claims["iat"] = json!(issued);
        claims["sid"] = json!("s-1");
        key.mint(&claims)
    };
    let untouched = token(&key, "eve", Some("c-5"), Some(issued));
    let all = [
        &by_jti,
        &by_subject,
        &by_issuer_subject,
        &by_session,
        &untouched,
    ];
    for token in all {
        for _ in 0..2 {
            v.validate_shared::<MyClaims>(token).await.unwrap();
        }
    }
    let hits = v.cache_stats().unwrap().hits;
    assert_eq!(
        hits, 5,
        "each token's second validation was not a cache hit"
    );

    store.revoke_jti("c-1", now() + 300).await.unwrap();
    store
        .revoke_subject("bob", now(), now() + 300)
        .await
        .unwrap();
    store
        .revoke_subject_of(ISSUER, "cat", now(), now() + 300)
        .await
        .unwrap();
    store
        .revoke_session(ISSUER, "s-1", now(), now() + 300)
        .await
        .unwrap();
    for (name, token) in [
        ("jti", &by_jti),
        ("subject", &by_subject),
        ("issuer and subject", &by_issuer_subject),
        ("session", &by_session),
    ] {
        let err = v.validate_shared::<MyClaims>(token).await.unwrap_err();
        assert!(matches!(err, TokenError::Revoked), "by {name}: {err:?}");
    }
    v.validate_shared::<MyClaims>(&untouched).await.unwrap();
    assert_eq!(
        v.cache_stats().unwrap().hits,
        hits + 5,
        "the checks after the revocations were not cache hits"
    );
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
async fn entries_expire_once_no_token_they_name_can_be_accepted() {
    let server = redis();
    let store = RedisRevocation::builder(server.url())
        .leeway(Duration::from_secs(60))
        .build()
        .unwrap();
    // One clock reading; the store reads its own, at most a second later, and Redis rounds
    // TTL to the nearest second: hence the 2 s ranges below, never above the bound.
    let t = now();
    // jti: the validator accepts the token while now < exp + leeway.
    store.revoke_jti("j", t + 300).await.unwrap();
    let left = ttl(&server, &store.jti_key("j")).await;
    assert!((358..=360).contains(&left), "jti TTL {left}");

    // Subject: a covered token can carry an exp up to `until + leeway` (its issuer's clock may
    // run the leeway ahead, and without iat nothing shows when it was issued) and is accepted
    // until that plus the leeway: the bound is until + 2 × leeway = t + 3720.
    store.revoke_subject("s", t, t + 3600).await.unwrap();
    let left = ttl(&server, &store.subject_key("s")).await;
    assert!((3718..=3720).contains(&left), "subject TTL {left}");
    store
        .revoke_subject_of(ISSUER, "s", t, t + 3600)
        .await
        .unwrap();
    let left = ttl(&server, &store.issuer_subject_key(ISSUER, "s")).await;
    assert!((3718..=3720).contains(&left), "issuer's subject TTL {left}");
    // `until` passed 100 s ago: such a token may still be accepted for 20 s, so it is stored
    // (the old rule, until + leeway, stored nothing)...
    store.revoke_subject("late", t, t - 100).await.unwrap();
    let left = ttl(&server, &store.subject_key("late")).await;
    assert!((18..=20).contains(&left), "late subject TTL {left}");
    // ...and once no covered token can be accepted any more, nothing is.
    store
        .revoke_subject("gone", t - 200, t - 120)
        .await
        .unwrap();
    assert_eq!(ttl(&server, &store.subject_key("gone")).await, -2);

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
    strict.revoke_subject("strict", t, t + 300).await.unwrap();
    let left = ttl(&server, &strict.subject_key("strict")).await;
    assert!((298..=300).contains(&left), "strict subject TTL {left}");
}

/// Security finding 6 of issue 11, performed: the subject entry used to live `until + leeway`,
/// while a token it covers can be accepted until `until + 2 × leeway`.
#[tokio::test]
async fn a_subject_entry_outlives_every_token_it_covers() {
    const LEEWAY: u64 = 3;
    const LIFETIME: u64 = 1;
    let server = redis();
    let store = RedisRevocation::builder(server.url())
        .leeway(Duration::from_secs(LEEWAY))
        .build()
        .unwrap();
    let key = TestKey::generate(Algorithm::ES256, "k");
    let v = Validator::builder()
        .algorithms([key.algorithm()])
        .key(key.verification_key())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .leeway(Duration::from_secs(LEEWAY))
        .revocation(store.clone())
        .build()
        .unwrap();
    let t = now();
    // Issued at t, by an issuer whose clock reads t + LEEWAY (a skew the validator accepts):
    // no iat, exp = t + LEEWAY + LIFETIME. Covered by a revocation of everything issued before
    // t, whose last token expires at t + LIFETIME by our clock.
    let mint = |sub: &str| {
        let mut claims = claims_for(ISSUER, AUDIENCE, sub);
        claims.as_object_mut().unwrap().remove("iat");
        claims["exp"] = json!(t + LEEWAY + LIFETIME);
        key.mint(&claims)
    };
    let (stolen, stolen_of_issuer, control) = (mint("mallory"), mint("eve"), mint("alice"));
    for tok in [&stolen, &stolen_of_issuer, &control] {
        assert!(outcome(&v, tok).await.is_ok());
    }
    store
        .revoke_subject("mallory", t, t + LIFETIME)
        .await
        .unwrap();
    store
        .revoke_subject_of(ISSUER, "eve", t, t + LIFETIME)
        .await
        .unwrap();
    assert!(matches!(
        outcome(&v, &stolen).await,
        Err(TokenError::Revoked)
    ));

    // The old entry (until + leeway = t + 4) expired before the tokens it covers, which the
    // clock accepts until t + 7 (exp + leeway). Without waiting for Redis to expire it: each
    // entry's expiry time is at or past that last second.
    let accepted_until = t + LEEWAY + LIFETIME + LEEWAY;
    let client = redis::Client::open(server.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    for entry in [
        store.subject_key("mallory"),
        store.issuer_subject_key(ISSUER, "eve"),
    ] {
        let expires: i64 = redis::cmd("EXPIRETIME")
            .arg(&entry)
            .query_async(&mut connection)
            .await
            .unwrap();
        assert!(
            expires >= i64::try_from(accepted_until).unwrap(),
            "{entry} expires at {expires}; the tokens it covers are accepted until {accepted_until}"
        );
    }
    // At that last second (a validator reading a clock moved there, the same store), the
    // covered tokens are refused and the same token shape for another subject is accepted:
    // the clock alone would let the stolen ones through.
    let late = Validator::builder()
        .algorithms([key.algorithm()])
        .key(key.verification_key())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .leeway(Duration::from_secs(LEEWAY))
        .revocation(store.clone())
        .clock(Clock::manual(accepted_until - 1))
        .build()
        .unwrap();
    let stolen_now = outcome(&late, &stolen).await;
    let stolen_of_issuer_now = outcome(&late, &stolen_of_issuer).await;
    assert!(
        outcome(&late, &control).await.is_ok(),
        "the clock refuses the control"
    );
    assert!(
        matches!(stolen_now, Err(TokenError::Revoked)),
        "a covered token came back: {stolen_now:?}"
    );
    assert!(
        matches!(stolen_of_issuer_now, Err(TokenError::Revoked)),
        "a covered token of the issuer came back: {stolen_of_issuer_now:?}"
    );
}

fn two_issuer_validator(a: &TestKey, b: &TestKey, revocations: &RedisRevocation) -> Validator {
    Validator::builder()
        .algorithms([a.algorithm(), b.algorithm()])
        .trust(Issuer::new(ISSUER_A).key(a.verification_key()))
        .trust(Issuer::new(ISSUER_B).key(b.verification_key()))
        .audience(AUDIENCE)
        .revocation(revocations.clone())
        .build()
        .unwrap()
}

fn token_of(key: &TestKey, iss: &str, sub: &str, iat: u64) -> String {
    let mut claims = claims_for(iss, AUDIENCE, sub);
    claims["iat"] = json!(iat);
    key.mint(&claims)
}

#[tokio::test]
async fn a_subject_can_be_revoked_at_one_issuer_or_at_every_issuer() {
    let server = redis();
    let store = RedisRevocation::builder(server.url()).build().unwrap();
    let key_a = TestKey::generate(Algorithm::ES256, "a");
    let key_b = TestKey::generate(Algorithm::EdDSA, "b");
    let v = two_issuer_validator(&key_a, &key_b, &store);
    let t = now();
    let alice_a = token_of(&key_a, ISSUER_A, "alice", t - 10);
    let alice_b = token_of(&key_b, ISSUER_B, "alice", t - 10);
    let bob_a = token_of(&key_a, ISSUER_A, "bob", t - 10);
    let alice_a_later = token_of(&key_a, ISSUER_A, "alice", t + 5);
    for tok in [&alice_a, &alice_b, &bob_a, &alice_a_later] {
        assert!(outcome(&v, tok).await.is_ok());
    }

    store
        .revoke_subject_of(ISSUER_A, "alice", t, t + 3600)
        .await
        .unwrap();
    let err = outcome(&v, &alice_a).await.unwrap_err();
    assert!(matches!(err, TokenError::Revoked), "{err:?}");
    // Another issuer's alice is someone else; the issuer's other subjects and alice's newer
    // tokens are untouched.
    assert!(outcome(&v, &alice_b).await.is_ok());
    assert!(outcome(&v, &bob_a).await.is_ok());
    assert!(outcome(&v, &alice_a_later).await.is_ok());
    // A token without iss is not one of that issuer's.
    let exp = t + 300;
    assert_eq!(
        store
            .check(query_of(None, "alice", Some(t - 10), exp))
            .await
            .unwrap(),
        RevocationStatus::Active
    );
    // Without iat it cannot show it is newer.
    assert_eq!(
        store
            .check(query_of(Some(ISSUER_A), "alice", None, exp))
            .await
            .unwrap(),
        RevocationStatus::Revoked
    );

    // Every issuer's alice.
    store.revoke_subject("alice", t, t + 3600).await.unwrap();
    assert!(matches!(
        outcome(&v, &alice_a).await,
        Err(TokenError::Revoked)
    ));
    assert!(matches!(
        outcome(&v, &alice_b).await,
        Err(TokenError::Revoked)
    ));
    assert_eq!(
        store
            .check(query_of(None, "alice", Some(t - 10), exp))
            .await
            .unwrap(),
        RevocationStatus::Revoked
    );
    assert!(outcome(&v, &bob_a).await.is_ok());

    // An earlier cut-off later on does not weaken the issuer's entry.
    store
        .revoke_subject_of(ISSUER_A, "bob", t, t + 3600)
        .await
        .unwrap();
    store
        .revoke_subject_of(ISSUER_A, "bob", t - 100, t + 10)
        .await
        .unwrap();
    assert!(matches!(
        outcome(&v, &bob_a).await,
        Err(TokenError::Revoked)
    ));
}

#[tokio::test]
async fn hostile_issuer_and_subject_pairs_cannot_collide() {
    let server = redis();
    let store = RedisRevocation::builder(server.url()).build().unwrap();
    let long = format!("{}:sub:", "é".repeat(1 << 19));
    let t = now();
    let exp = t + 300;
    let status = async |iss: &str, sub: &str| {
        store
            .check(query_of(Some(iss), sub, Some(t - 1), exp))
            .await
            .unwrap()
    };
    let revoked = [
        ("a:b", "c"),
        ("", "x:y"),
        ("isub:", "é\u{0}"),
        (long.as_str(), "z"),
    ];
    for (iss, sub) in revoked {
        store.revoke_subject_of(iss, sub, t, t + 300).await.unwrap();
    }
    for (iss, sub) in revoked {
        assert_eq!(status(iss, sub).await, RevocationStatus::Revoked, "{sub}");
    }
    // The same bytes split elsewhere, one character off, or as an any-issuer subject.
    let near = [
        ("a", "b:c"),
        ("a:", "bc"),
        ("a:bc", ""),
        ("", "a:b:c"),
        (":", "x:y"),
        ("x", ":y"),
        ("isub:é", "\u{0}"),
        ("isub:", "e\u{301}\u{0}"),
        (&long[..long.len() - 1], "z"),
        (&long[..long.len() - 1], ":z"),
    ];
    for (iss, sub) in near {
        let iss_start: String = iss.chars().take(20).collect();
        assert_eq!(
            status(iss, sub).await,
            RevocationStatus::Active,
            "{iss_start}|{sub}"
        );
    }
    for sub in ["c", "a:b:c", "x:y", "z"] {
        let q = RevocationQuery::new(None, Some(sub), Some(t - 1), exp);
        assert_eq!(store.check(q).await.unwrap(), RevocationStatus::Active);
    }
    // Fixed-size keys, one per revocation.
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut raw(&server).await)
        .await
        .unwrap();
    assert_eq!(keys.len(), revoked.len());
    for key in &keys {
        assert_eq!(key.len(), "authz:revoked:isub:".len() + 64, "{key}");
    }
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
    // Pushed to `b`: refused there within the bound (a second), in practice milliseconds.
    let mut revoked = false;
    for _ in 0..100 {
        if b.check(q).await.unwrap() == RevocationStatus::Revoked {
            revoked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(revoked);
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
    // Per request (no push copy): one MGET a check.
    let plain = RedisRevocation::builder(server.url())
        .push(false)
        .build()
        .unwrap();
    let q = RevocationQuery::new(Some("j"), Some("s"), Some(now()), now() + 300);
    plain.check(q).await.unwrap(); // connects
    reset_stats(&server).await;
    for _ in 0..10 {
        plain.check(q).await.unwrap();
    }
    assert_eq!(calls(&server, "mget").await, 10);
    assert_eq!(calls(&server, "get").await, 0);
    assert_eq!(calls(&server, "eval").await, 0);
    // With iss too: still one MGET, which now also holds the issuer's subject key.
    let mut with_issuer = q;
    with_issuer.iss = Some(ISSUER);
    reset_stats(&server).await;
    for _ in 0..10 {
        plain.check(with_issuer).await.unwrap();
    }
    assert_eq!(calls(&server, "mget").await, 10);
    assert_eq!(calls(&server, "get").await, 0);
    // No jti and no sub: nothing to ask.
    reset_stats(&server).await;
    let anonymous = RevocationQuery::new(None, None, None, now() + 300);
    assert_eq!(
        plain.check(anonymous).await.unwrap(),
        RevocationStatus::Active
    );
    assert_eq!(calls(&server, "mget").await, 0);

    let cached = RedisRevocation::builder(server.url())
        .push(false)
        .cache(Duration::from_secs(30), 100)
        .build()
        .unwrap();
    reset_stats(&server).await;
    for _ in 0..10 {
        cached.check(q).await.unwrap();
    }
    assert_eq!(calls(&server, "mget").await, 1);

    // With the push copy (the default), once loaded: no command per check at all.
    let pushed = RedisRevocation::builder(server.url()).build().unwrap();
    pushed.check(q).await.unwrap();
    wait_until(|| pushed.is_synced()).await;
    reset_stats(&server).await;
    for _ in 0..10 {
        pushed.check(q).await.unwrap();
    }
    assert_eq!(calls(&server, "mget").await, 0);
    assert_eq!(calls(&server, "get").await, 0);
}

/// Waits up to 3 s for `condition`.
async fn wait_until(condition: impl Fn() -> bool) {
    for _ in 0..300 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not met within 3 s");
}

#[tokio::test]
async fn the_cache_is_stale_for_at_most_its_bound_and_never_for_its_own_revocations() {
    let server = redis();
    let staleness = Duration::from_millis(1500);
    let clock = Clock::manual(now());
    let cached = RedisRevocation::builder(server.url())
        .clock(clock.clone())
        .push(false)
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
    clock.advance(staleness + Duration::from_millis(100));
    // ...and not after it.
    assert_eq!(cached.check(q).await.unwrap(), RevocationStatus::Revoked);

    // Revoked through this instance: at once.
    let q2 = RevocationQuery::new(Some("second"), None, None, exp);
    assert_eq!(cached.check(q2).await.unwrap(), RevocationStatus::Active);
    cached.revoke_jti("second", exp).await.unwrap();
    assert_eq!(cached.check(q2).await.unwrap(), RevocationStatus::Revoked);

    // The issuer's subject key is cached like the others: stale for at most the bound when
    // revoked elsewhere, at once when revoked here.
    let t = now();
    let q3 = query_of(Some(ISSUER), "carol", Some(t - 1), exp);
    assert_eq!(cached.check(q3).await.unwrap(), RevocationStatus::Active);
    other
        .revoke_subject_of(ISSUER, "carol", t, t + 300)
        .await
        .unwrap();
    assert_eq!(cached.check(q3).await.unwrap(), RevocationStatus::Active);
    clock.advance(staleness + Duration::from_millis(100));
    assert_eq!(cached.check(q3).await.unwrap(), RevocationStatus::Revoked);
    let q4 = query_of(Some(ISSUER), "dave", Some(t - 1), exp);
    assert_eq!(cached.check(q4).await.unwrap(), RevocationStatus::Active);
    cached
        .revoke_subject_of(ISSUER, "dave", t, t + 300)
        .await
        .unwrap();
    assert_eq!(cached.check(q4).await.unwrap(), RevocationStatus::Revoked);
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
            // The push channel's loss is noticed (at once for a closed connection), and
            // checks go back to Redis, which is down.
            for _ in 0..300 {
                if !store.is_synced() && !open.is_synced() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert!(!store.is_synced() && !open.is_synced());
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
            // At once through the instance that revoked; pushed to the other within the bound.
            assert!(matches!(outcome(&v, &good).await, Err(TokenError::Revoked)));
            let mut refused = false;
            for _ in 0..100 {
                if matches!(outcome(&v_open, &good).await, Err(TokenError::Revoked)) {
                    refused = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert!(refused, "the other instance did not refuse within 1 s");
        });
    });
}

#[tokio::test]
async fn a_hung_redis_fails_closed_within_the_timeout() {
    let server = redis();
    // The per-request path's timeout (a paused server with the push copy on is
    // `a_paused_redis_makes_checks_fail_closed_then_recover`).
    let store = RedisRevocation::builder(server.url())
        .push(false)
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

/// The push copy (issue 16): each revocation reaches the other instances within a second,
/// and a copy that cannot be trusted is never read.
#[tokio::test]
async fn a_revocation_reaches_every_instance_within_a_second() {
    let server = redis();
    let a = RedisRevocation::builder(server.url()).build().unwrap();
    let b = RedisRevocation::builder(server.url()).build().unwrap();
    a.start();
    b.start();
    wait_until(|| a.is_synced() && b.is_synced()).await;
    for i in 0..50 {
        let jti = format!("token-{i}");
        let q = RevocationQuery::new(Some(&jti), None, None, now() + 300);
        assert_eq!(b.check(q).await.unwrap(), RevocationStatus::Active);
        let sent = std::time::Instant::now();
        a.revoke_jti(&jti, now() + 300).await.unwrap();
        while b.check(q).await.unwrap() != RevocationStatus::Revoked {
            assert!(
                sent.elapsed() < Duration::from_secs(1),
                "{jti} not pushed within 1 s"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // Read from memory, not asked of Redis.
        assert!(b.is_synced());
    }
    assert_eq!(b.entries_in_memory(), 50);
}

#[tokio::test]
async fn after_an_outage_an_instance_reloads_and_misses_no_revocation_made_meanwhile() {
    let mut server = redis();
    let timeout = Duration::from_millis(300);
    let a = RedisRevocation::builder(server.url())
        .timeout(timeout)
        .build()
        .unwrap();
    let b = RedisRevocation::builder(server.url())
        .timeout(timeout)
        .build()
        .unwrap();
    a.start();
    b.start();
    wait_until(|| a.is_synced() && b.is_synced()).await;
    a.revoke_jti("before", now() + 300).await.unwrap();
    let loads = b.loads();

    server.stop();
    wait_until(|| !b.is_synced()).await;
    server.restart().unwrap();
    // Revoked through `a` as soon as Redis takes writes again, before `b` has resubscribed.
    let q = RevocationQuery::new(Some("during"), None, None, now() + 300);
    let mut written = false;
    for _ in 0..100 {
        if a.revoke_jti("during", now() + 300).await.is_ok() {
            written = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(written, "Redis took no write after the restart");
    // From then on, `b` never accepts the token: it refuses it, or fails closed, until it has
    // reloaded (the restarted Redis persisted nothing, so `before` is gone, as on any empty
    // Redis; `during` is there).
    for _ in 0..200 {
        match b.check(q).await {
            Ok(RevocationStatus::Revoked) | Err(_) => {}
            Ok(RevocationStatus::Active) => panic!("a revocation made during the gap was missed"),
        }
        if b.is_synced() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        b.is_synced(),
        "the copy was not trusted again after the outage"
    );
    assert!(b.loads() > loads, "trusted again without a reload");
    assert_eq!(b.check(q).await.unwrap(), RevocationStatus::Revoked);
}

#[tokio::test]
async fn a_paused_redis_makes_checks_fail_closed_then_recover() {
    let server = redis();
    let timeout = Duration::from_millis(300);
    let store = RedisRevocation::builder(server.url())
        .timeout(timeout)
        .build()
        .unwrap();
    store.start();
    wait_until(|| store.is_synced()).await;
    let q = RevocationQuery::new(Some("x"), None, None, now() + 300);
    assert_eq!(store.check(q).await.unwrap(), RevocationStatus::Active);
    let pid = server.pid().expect("pid").to_string();
    let signal = |name: &str| {
        let status = std::process::Command::new("kill")
            .args([name, &pid])
            .status()
            .expect("kill");
        assert!(status.success());
    };
    // SIGSTOP: the connection stays open, and nothing answers.
    signal("-STOP");
    let paused = std::time::Instant::now();
    while store.is_synced() {
        assert!(
            paused.elapsed() < Duration::from_secs(2),
            "a silent channel was trusted"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        store.check(q).await.is_err(),
        "fail closed while Redis is paused"
    );
    signal("-CONT");
    wait_until(|| store.is_synced()).await;
    assert_eq!(store.check(q).await.unwrap(), RevocationStatus::Active);
}

/// `PUBLISH channel message` from a client of the test's own: what anyone who can reach the
/// server can do. The number of subscribers that received it.
async fn publish(server: &RedisServer, channel: &str, message: &str) -> i64 {
    redis::cmd("PUBLISH")
        .arg(channel)
        .arg(message)
        .query_async(&mut raw(server).await)
        .await
        .unwrap()
}

/// Waits until `store` refuses `jti`, within 3 s.
async fn wait_refused(store: &RedisRevocation, jti: &str) {
    let q = RevocationQuery::new(Some(jti), None, None, now() + 300);
    for _ in 0..300 {
        if store.check(q).await.unwrap() == RevocationStatus::Revoked {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{jti} not refused within 3 s");
}

const CHANNEL: &str = "authz:revoked:events";

/// Audit finding 5 (issue 21), performed: one forged message on the channel used to revoke
/// alice on every instance, though Redis held nothing for her. A push is now a hint the
/// instance reads back from Redis.
#[tokio::test]
async fn a_forged_push_revokes_no_one() {
    let server = redis();
    let a = RedisRevocation::builder(server.url()).build().unwrap();
    let b = RedisRevocation::builder(server.url()).build().unwrap();
    a.start();
    b.start();
    wait_until(|| a.is_synced() && b.is_synced()).await;
    let t = now();
    let alice = RevocationQuery::new(Some("alice-token"), Some("alice"), Some(t - 10), t + 300);
    assert_eq!(b.check(alice).await.unwrap(), RevocationStatus::Active);

    // The writers' own form, and the key alone, for alice's subject and her token's jti.
    let forged = [
        format!("{} {t} 3600", b.subject_key("alice")),
        b.subject_key("alice"),
        format!("{} {} 3600", b.jti_key("alice-token"), t + 300),
    ];
    for message in &forged {
        assert_eq!(
            publish(&server, CHANNEL, message).await,
            2,
            "both instances hear it"
        );
    }
    // A genuine revocation published after the forged messages: once `b` has it, it has
    // handled them (one subscription delivers in order).
    a.revoke_jti("marker", t + 300).await.unwrap();
    wait_refused(&b, "marker").await;
    assert!(b.is_synced(), "answered from memory");
    assert_eq!(b.check(alice).await.unwrap(), RevocationStatus::Active);
    assert_eq!(a.check(alice).await.unwrap(), RevocationStatus::Active);
    assert_eq!(b.entries_in_memory(), 1, "only the genuine entry is kept");

    // A hint for an entry Redis does hold (written by another tool) is read back and kept.
    let key = b.jti_key("written-by-hand");
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(t + 300)
        .arg("PX")
        .arg(60_000)
        .query_async(&mut raw(&server).await)
        .await
        .unwrap();
    publish(&server, CHANNEL, &key).await;
    wait_refused(&b, "written-by-hand").await;
    assert!(b.is_synced());
    assert_eq!(b.entries_in_memory(), 2);
}

/// Audit finding 5, performed: 100,000 forged messages with chosen digests (all alike in the
/// bytes the old, unkeyed hasher read) used to be kept, made inserts quadratic, and let a
/// genuine revocation be accepted for 40-52 s while the copy said it was trusted. Now none is
/// kept, and a revocation made during the flood is refused within the documented bound, 250 ms
/// plus the timeout, by the copy or by Redis once the copy stops being trusted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_forged_pushes_keeps_the_bound_and_nothing_forged() {
    const FORGED: usize = 100_000;
    let server = redis();
    let timeout = Duration::from_millis(500);
    let bound = Duration::from_millis(250) + timeout;
    let instance = || {
        RedisRevocation::builder(server.url())
            .timeout(timeout)
            .build()
            .unwrap()
    };
    let (a, b) = (instance(), instance());
    a.start();
    b.start();
    wait_until(|| a.is_synced() && b.is_synced()).await;
    let t = now();
    let alice = RevocationQuery::new(None, Some("alice"), Some(t - 10), t + 300);

    let flood = {
        let url = server.url();
        let prefix_of = |key: String| key[..key.len() - 64].to_owned();
        // The same prefix and kinds as the store's keys, digests chosen to agree on all but
        // their last bytes; alice's real subject key among them.
        let kinds = [
            prefix_of(b.jti_key("")),
            prefix_of(b.subject_key("")),
            prefix_of(b.issuer_subject_key("", "")),
            prefix_of(b.session_key("", "")),
        ];
        let alice_key = b.subject_key("alice");
        tokio::spawn(async move {
            let client = redis::Client::open(url).unwrap();
            let mut connection = client.get_multiplexed_async_connection().await.unwrap();
            for start in (0..FORGED).step_by(1000) {
                let mut pipe = redis::pipe();
                for n in start..start + 1000 {
                    let key = if n % 1000 == 0 {
                        alice_key.clone()
                    } else {
                        format!("{}{}{n:016x}", kinds[n % 4], "ab".repeat(24))
                    };
                    pipe.cmd("PUBLISH")
                        .arg(CHANNEL)
                        .arg(format!("{key} {t} 4294967295"))
                        .ignore();
                }
                let () = pipe.query_async(&mut connection).await.unwrap();
            }
        })
    };

    // Genuine revocations through `a` while the flood lasts, each timed until `b` refuses it.
    let mut slowest = Duration::ZERO;
    let mut accepted_until = Duration::ZERO;
    let mut untrusted_seen = false;
    let mut genuine = 0;
    while !flood.is_finished() || genuine < 5 {
        let jti = format!("genuine-{genuine}");
        let q = RevocationQuery::new(Some(&jti), None, None, now() + 300);
        a.revoke_jti(&jti, now() + 300).await.unwrap();
        let written = std::time::Instant::now();
        let refused_after = loop {
            // The bound is about when a check is asked: one asked after it must refuse.
            let asked = written.elapsed();
            let synced = b.is_synced();
            untrusted_seen |= !synced;
            match b.check(q).await {
                Ok(RevocationStatus::Revoked) | Err(_) => break asked,
                Ok(RevocationStatus::Active) => {
                    assert!(
                        asked < bound,
                        "{jti} accepted when asked {asked:?} after it was revoked (copy \
                         trusted: {synced})"
                    );
                    accepted_until = accepted_until.max(asked);
                }
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        slowest = slowest.max(refused_after);
        assert!(
            b.entries_in_memory() <= genuine + 1,
            "a forged entry was kept"
        );
        genuine += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    flood.await.unwrap();
    println!(
        "{FORGED} forged pushes: of {genuine} revocations, the latest still accepted was asked \
         {accepted_until:?} after it was written, the first refusal came {slowest:?} after at \
         the slowest (bound {bound:?}); the copy stopped being trusted meanwhile: \
         {untrusted_seen}"
    );

    // Once the flood is over, the copy is trusted again, and holds the genuine entries once the
    // last of them has been read back: never a forged one.
    for store in [&a, &b] {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !(store.is_synced() && store.entries_in_memory() == genuine) {
            assert!(
                store.entries_in_memory() <= genuine,
                "a forged entry was kept"
            );
            assert!(
                std::time::Instant::now() < deadline,
                "not trusted and whole again after the flood: {} entries, trusted: {}",
                store.entries_in_memory(),
                store.is_synced()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(store.check(alice).await.unwrap(), RevocationStatus::Active);
    }
}

/// Audit finding 9 (issue 21), performed: a copy loaded from Redis used to forget an entry up
/// to a second early (whole-second TTLs added to a whole-second clock), so a revoked `jti` was
/// accepted in its last second while Redis still held it. Entries are written with
/// millisecond expiries here, spread over a second so that one of them falls at any point of
/// the clock's second; a freshly loaded copy must refuse each for as long as Redis holds it.
#[tokio::test]
async fn a_loaded_entry_is_refused_until_its_last_millisecond_in_redis() {
    const KEYS: usize = 10;
    let server = redis();
    let store = RedisRevocation::builder(server.url()).build().unwrap();
    let jtis: Vec<String> = (0..KEYS).map(|i| format!("last-second-{i}")).collect();
    let mut connection = raw(&server).await;
    for (i, jti) in jtis.iter().enumerate() {
        let _: () = redis::cmd("SET")
            .arg(store.jti_key(jti))
            .arg(now() + 300)
            .arg("PX")
            .arg(2500 + 100 * i)
            .query_async(&mut connection)
            .await
            .unwrap();
    }
    store.start();
    wait_until(|| store.is_synced()).await;
    assert_eq!(store.entries_in_memory(), KEYS, "loaded, not pushed");
    // Each jti, until Redis has dropped it: refused from memory while Redis holds it, and
    // seen so at least once within its last second there.
    let mut in_last_second = [false; KEYS];
    let mut left = KEYS;
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    while left > 0 {
        assert!(std::time::Instant::now() < deadline, "Redis kept the keys");
        left = 0;
        for (i, jti) in jtis.iter().enumerate() {
            let key = store.jti_key(jti);
            let before: i64 = redis::cmd("PTTL")
                .arg(&key)
                .query_async(&mut connection)
                .await
                .unwrap();
            if before == -2 {
                continue;
            }
            left += 1;
            let q = RevocationQuery::new(Some(jti), None, None, now() + 300);
            let status = store.check(q).await.unwrap();
            assert!(store.is_synced(), "read from memory");
            let after: i64 = redis::cmd("EXISTS")
                .arg(&key)
                .query_async(&mut connection)
                .await
                .unwrap();
            if status == RevocationStatus::Active {
                assert_eq!(after, 0, "{jti} forgotten while Redis still held it");
            } else if before < 1000 {
                in_last_second[i] = true;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(in_last_second, [true; KEYS]);
}

/// Audit finding 5: a copy that would hold more entries than its capacity stops being
/// trusted, and checks ask Redis, which still refuses every revoked token.
#[tokio::test]
async fn past_its_capacity_the_copy_is_not_trusted() {
    let server = redis();
    let a = RedisRevocation::builder(server.url()).build().unwrap();
    let b = RedisRevocation::builder(server.url())
        .push_capacity(5)
        .build()
        .unwrap();
    b.start();
    wait_until(|| b.is_synced()).await;
    for i in 0..6 {
        a.revoke_jti(&format!("t-{i}"), now() + 300).await.unwrap();
    }
    wait_until(|| !b.is_synced()).await;
    assert!(b.entries_in_memory() <= 5);
    for i in 0..6 {
        let jti = format!("t-{i}");
        let q = RevocationQuery::new(Some(&jti), None, None, now() + 300);
        assert_eq!(b.check(q).await.unwrap(), RevocationStatus::Revoked);
    }
    assert!(!b.is_synced(), "trusted again while over its capacity");
}
