//! Remote JWKS and OIDC discovery against a real HTTP server on loopback (`test-util`'s
//! `JwksServer`): rotation, endpoint failure, cooldown and single flight, discovery.
//! The validators read a manual clock: a test of a TTL or a cooldown advances it, and never
//! sleeps for the window to pass.

use std::time::Duration;

use authz_core::testkit::{JwksServer, ServeMode, TestKey, claims_for, now};
use authz_core::{
    Algorithm, Claims, TokenError, Validator, token::Clock, token::ConfigError,
    token::ErrorCategory, token::RemoteConfig, token::Validated,
};
use serde_json::json;

const ISS: &str = "https://id.example";
const AUD: &str = "reports-api";

#[derive(Debug, serde::Deserialize, Claims)]
struct MyClaims {
    sub: String,
}

fn config(ttl_ms: u64, cooldown_ms: u64) -> RemoteConfig {
    RemoteConfig {
        cache_ttl: Duration::from_millis(ttl_ms),
        refetch_cooldown: Duration::from_millis(cooldown_ms),
        timeout: Duration::from_millis(500),
        ..RemoteConfig::default()
    }
}

/// A validator of `server`'s keys reading `clock`.
fn remote(
    server: &JwksServer,
    algs: &[Algorithm],
    config: RemoteConfig,
    clock: &Clock,
) -> Validator {
    Validator::builder()
        .clock(clock.clone())
        .algorithms(algs.iter().copied())
        .jwks_url(server.jwks_url())
        .remote_config(config)
        .issuer(ISS)
        .audience(AUD)
        .build()
        .unwrap()
}

async fn check(v: &Validator, token: &str) -> Result<Validated<MyClaims>, TokenError> {
    v.validate::<MyClaims>(token).await
}

fn token(key: &TestKey) -> String {
    key.mint(&claims_for(ISS, AUD, "alice"))
}

#[tokio::test]
async fn rotation_is_picked_up_without_restart() {
    let clock = Clock::manual(now());
    let server = JwksServer::start().await.unwrap();
    let k1 = TestKey::generate(Algorithm::ES256, "k1");
    let k2 = TestKey::generate(Algorithm::ES256, "k2");
    server.set_keys(&[&k1]);
    let v = remote(&server, &[Algorithm::ES256], config(60_000, 100), &clock);

    check(&v, &token(&k1)).await.unwrap();
    assert_eq!(server.hits("/jwks.json"), 1);
    check(&v, &token(&k1)).await.unwrap();
    assert_eq!(server.hits("/jwks.json"), 1, "a cache hit fetched");

    // The issuer publishes k2 and starts signing with it.
    server.set_keys(&[&k1, &k2]);
    clock.advance(Duration::from_millis(150)); // past the cooldown
    let ok = check(&v, &token(&k2)).await.unwrap();
    assert_eq!(ok.kid(), Some("k2"));
    assert_eq!(server.hits("/jwks.json"), 2);
    check(&v, &token(&k1)).await.unwrap();
    assert_eq!(server.hits("/jwks.json"), 2);
}

#[tokio::test]
async fn retired_keys_stop_working_after_the_ttl() {
    let clock = Clock::manual(now());
    let server = JwksServer::start().await.unwrap();
    let k1 = TestKey::generate(Algorithm::EdDSA, "k1");
    let k2 = TestKey::generate(Algorithm::EdDSA, "k2");
    server.set_keys(&[&k1]);
    let v = remote(&server, &[Algorithm::EdDSA], config(100, 50), &clock);
    check(&v, &token(&k1)).await.unwrap();
    server.set_keys(&[&k2]);
    clock.advance(Duration::from_millis(150));
    // The request that finds the cache expired refreshes it.
    let err = check(&v, &token(&k1)).await.unwrap_err();
    assert!(matches!(err, TokenError::UnknownKey { .. }), "{err}");
    check(&v, &token(&k2)).await.unwrap();
}

#[tokio::test]
async fn known_keys_keep_working_when_the_endpoint_fails() {
    let clock = Clock::manual(now());
    let server = JwksServer::start().await.unwrap();
    let k1 = TestKey::generate(Algorithm::RS256, "k1");
    server.set_keys(&[&k1]);
    let v = Validator::builder()
        .clock(clock.clone())
        .algorithms([Algorithm::RS256])
        .jwks_url(server.jwks_url())
        .remote_config(RemoteConfig {
            max_response_bytes: 4096,
            ..config(50, 20)
        })
        .issuer(ISS)
        .audience(AUD)
        .build()
        .unwrap();
    check(&v, &token(&k1)).await.unwrap();
    let mut attempts = server.hits("/jwks.json");
    for mode in [
        ServeMode::Status(500),
        ServeMode::Status(404),
        ServeMode::Garbage,
        ServeMode::Oversized(10_000),
        ServeMode::Delay(Duration::from_millis(800)), // past the 500 ms timeout
    ] {
        server.set_mode(mode.clone());
        clock.advance(Duration::from_millis(60)); // cache expired, cooldown over
        let ok = check(&v, &token(&k1)).await;
        assert!(ok.is_ok(), "{mode:?}: {:?}", ok.err());
        assert!(
            server.hits("/jwks.json") > attempts,
            "{mode:?}: no refresh was tried"
        );
        attempts = server.hits("/jwks.json");
        // And refresh_keys reports the failure.
        clock.advance(Duration::from_millis(30));
        let err = v.refresh_keys().await.unwrap_err();
        assert_eq!(err.category(), ErrorCategory::Unavailable, "{mode:?}");
        attempts = server.hits("/jwks.json").max(attempts);
    }
    // Unknown kids still get a clean refusal while the endpoint is down.
    server.set_mode(ServeMode::Status(503));
    clock.advance(Duration::from_millis(30));
    let other = TestKey::generate(Algorithm::RS256, "other");
    assert!(matches!(
        check(&v, &token(&other)).await,
        Err(TokenError::UnknownKey { .. })
    ));
}

#[tokio::test]
async fn no_keys_yet_and_endpoint_down_is_unavailable() {
    let clock = Clock::manual(now());
    let server = JwksServer::start().await.unwrap();
    server.set_mode(ServeMode::Status(500));
    let k1 = TestKey::generate(Algorithm::ES256, "k1");
    let v = remote(&server, &[Algorithm::ES256], config(60_000, 10_000), &clock);
    let err = check(&v, &token(&k1)).await.unwrap_err();
    assert!(matches!(err, TokenError::KeysUnavailable(_)), "{err}");
    assert_eq!(err.category(), ErrorCategory::Unavailable);
    // Within the cooldown the endpoint is not asked again.
    let err = check(&v, &token(&k1)).await.unwrap_err();
    assert_eq!(err.category(), ErrorCategory::Unavailable);
    assert_eq!(server.hits("/jwks.json"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kid_bursts_cause_at_most_one_fetch_per_cooldown() {
    let clock = Clock::manual(now());
    let server = JwksServer::start().await.unwrap();
    let k1 = TestKey::generate(Algorithm::ES256, "k1");
    let forger = TestKey::generate(Algorithm::ES256, "forger");
    server.set_keys(&[&k1]);
    let v = remote(&server, &[Algorithm::ES256], config(60_000, 400), &clock);
    check(&v, &token(&k1)).await.unwrap();
    assert_eq!(server.hits("/jwks.json"), 1);

    let burst = |round: usize| {
        let handles: Vec<_> = (0..40)
            .map(|i| {
                let v = v.clone();
                let mut header = forger.header();
                header["kid"] = json!(format!("forged-{round}-{i}"));
                let t = forger.sign(&header, &claims_for(ISS, AUD, "mallory"));
                tokio::spawn(async move { v.validate::<MyClaims>(&t).await })
            })
            .collect();
        async move {
            for h in handles {
                let err = h.await.unwrap().unwrap_err();
                assert!(matches!(err, TokenError::UnknownKey { .. }), "{err}");
            }
        }
    };

    // Within the cooldown of the first fetch: nothing is fetched.
    burst(0).await;
    assert_eq!(server.hits("/jwks.json"), 1);
    // After it: 40 concurrent misses share a single fetch.
    clock.advance(Duration::from_millis(450));
    burst(1).await;
    assert_eq!(server.hits("/jwks.json"), 2);
    burst(2).await;
    assert_eq!(server.hits("/jwks.json"), 2);
    // The good key was never disturbed.
    check(&v, &token(&k1)).await.unwrap();
}

#[tokio::test]
async fn oidc_discovery_finds_the_jwks() {
    let server = JwksServer::start().await.unwrap();
    let k1 = TestKey::generate(Algorithm::RS256, "k1");
    server.set_keys(&[&k1]);
    let issuer = server.issuer();
    let v = Validator::builder()
        .algorithms([Algorithm::RS256])
        .oidc_issuer(&issuer)
        .audience(AUD)
        .build()
        .unwrap();
    let ok = v
        .validate::<MyClaims>(&k1.mint(&claims_for(&issuer, AUD, "alice")))
        .await
        .unwrap();
    assert_eq!(ok.issuer(), Some(issuer.as_str()));
    assert_eq!(server.hits("/.well-known/openid-configuration"), 1);
    assert_eq!(server.hits("/jwks.json"), 1);
    // A token from another issuer is refused even though the key is known.
    let err = check(&v, &token(&k1)).await.unwrap_err();
    assert!(matches!(err, TokenError::WrongIssuer), "{err}");
}

#[tokio::test]
async fn oidc_discovery_with_a_mismatched_issuer_is_refused() {
    let server = JwksServer::start().await.unwrap();
    let k1 = TestKey::generate(Algorithm::RS256, "k1");
    server.set_keys(&[&k1]);
    server.set_discovery_issuer("https://evil.example");
    let issuer = server.issuer();
    let v = Validator::builder()
        .algorithms([Algorithm::RS256])
        .oidc_issuer(&issuer)
        .audience(AUD)
        .build()
        .unwrap();
    let err = v.refresh_keys().await.unwrap_err();
    assert!(err.to_string().contains("evil.example"), "{err}");
    let err = v
        .validate::<MyClaims>(&k1.mint(&claims_for(&issuer, AUD, "a")))
        .await
        .unwrap_err();
    assert_eq!(err.category(), ErrorCategory::Unavailable, "{err}");
    assert_eq!(
        server.hits("/jwks.json"),
        0,
        "the JWKS of an unverified issuer was fetched"
    );
}

#[tokio::test]
async fn provider_shaped_keys_work_out_of_the_box() {
    // Keys without `alg` (as many providers publish them), at+jwt tokens, and `Ed25519`.
    let server = JwksServer::start().await.unwrap();
    let rsa = TestKey::generate(Algorithm::RS256, "rsa");
    let ec = TestKey::generate(Algorithm::ES256, "ec");
    let ed = TestKey::generate(Algorithm::EdDSA, "ed");
    let mut keys = Vec::new();
    for (k, keep_alg) in [(&rsa, false), (&ec, true), (&ed, false)] {
        let mut jwk = k.public_jwk();
        if !keep_alg {
            jwk.as_object_mut().unwrap().remove("alg");
            jwk.as_object_mut().unwrap().remove("use");
        }
        keys.push(jwk);
    }
    server.set_jwks(json!({ "keys": keys }));
    let v = Validator::builder()
        .algorithms([Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA])
        .jwks_url(server.jwks_url())
        .issuer(ISS)
        .audience(AUD)
        .typ("at+jwt")
        .build()
        .unwrap();
    for (k, alg) in [(&rsa, "RS256"), (&ec, "ES256"), (&ed, "Ed25519")] {
        let header = json!({ "alg": alg, "typ": "at+jwt", "kid": k.kid() });
        let ok = check(&v, &k.sign(&header, &claims_for(ISS, AUD, "alice"))).await;
        assert!(ok.is_ok(), "{alg}: {:?}", ok.err());
    }
}

#[tokio::test]
async fn unusable_remote_keys_are_skipped() {
    let clock = Clock::manual(now());
    let server = JwksServer::start().await.unwrap();
    let good = TestKey::generate(Algorithm::ES256, "good");
    let enc = TestKey::generate(Algorithm::ES256, "enc");
    let no_verify = TestKey::generate(Algorithm::ES256, "no-verify");
    let bound = TestKey::generate(Algorithm::ES256, "bound");
    let hmac = TestKey::generate(Algorithm::HS256, "hmac");
    let mut enc_jwk = enc.public_jwk();
    enc_jwk["use"] = json!("enc");
    let mut ops_jwk = no_verify.public_jwk();
    ops_jwk["key_ops"] = json!(["encrypt"]);
    ops_jwk.as_object_mut().unwrap().remove("use");
    // A P-256 key whose `crv` says P-384: bound by crv, so refused for ES256.
    let mut crv_jwk = bound.public_jwk();
    crv_jwk["crv"] = json!("P-384");
    crv_jwk.as_object_mut().unwrap().remove("alg");
    server.set_jwks(json!({ "keys": [good.public_jwk(), enc_jwk, ops_jwk, crv_jwk, hmac.public_jwk(), {"kty": "XYZ"}, 5] }));
    let v = remote(&server, &[Algorithm::ES256], config(60_000, 10_000), &clock);
    check(&v, &token(&good)).await.unwrap();
    for k in [&enc, &no_verify, &bound] {
        let err = check(&v, &token(k)).await.unwrap_err();
        assert!(
            matches!(err, TokenError::UnknownKey { .. }),
            "{}: {err}",
            k.kid()
        );
    }
    // HMAC algorithms cannot be combined with a remote key set at all.
    let mixed = Validator::builder()
        .clock(clock.clone())
        .algorithms([Algorithm::HS256])
        .jwks_url(server.jwks_url())
        .issuer(ISS)
        .audience(AUD)
        .build();
    assert!(matches!(mixed, Err(ConfigError::MixedKeyKinds)));
}

#[tokio::test]
async fn duplicate_kids_are_not_resolved_by_order() {
    let clock = Clock::manual(now());
    let server = JwksServer::start().await.unwrap();
    let a = TestKey::generate(Algorithm::ES256, "same");
    let b = TestKey::generate(Algorithm::ES256, "same");
    let ed = TestKey::generate(Algorithm::EdDSA, "same");
    server.set_keys(&[&a, &b, &ed]);
    let v = remote(
        &server,
        &[Algorithm::ES256, Algorithm::EdDSA],
        config(60_000, 10_000),
        &clock,
    );
    for k in [&a, &b] {
        let err = check(&v, &token(k)).await.unwrap_err();
        assert!(
            matches!(err, TokenError::AmbiguousKey { candidates: 2, .. }),
            "{err}"
        );
    }
    // The one EdDSA key under that kid is unambiguous.
    check(&v, &token(&ed)).await.unwrap();
}

#[test]
fn plain_http_to_a_remote_host_needs_the_opt_in() {
    let build = |allow: bool| {
        let b = Validator::builder()
            .algorithms([Algorithm::RS256])
            .jwks_url("http://id.example/jwks.json")
            .issuer(ISS)
            .audience(AUD);
        if allow { b.allow_insecure_http() } else { b }.build()
    };
    assert!(matches!(build(false), Err(ConfigError::Url(_))));
    assert!(build(true).is_ok());
    let discovery = Validator::builder()
        .algorithms([Algorithm::RS256])
        .oidc_issuer("http://id.example")
        .audience(AUD)
        .build();
    assert!(matches!(discovery, Err(ConfigError::Url(_))));
}

// --- Issue 11, findings 4, 5 and 8: withdrawn keys, kid-less keys, credentials in URLs. ---

#[tokio::test]
async fn a_fetched_key_set_is_authoritative_even_when_empty() {
    let clock = Clock::manual(now());
    let server = JwksServer::start().await.unwrap();
    let k1 = TestKey::generate(Algorithm::ES256, "k1");
    server.set_keys(&[&k1]);
    let v = remote(&server, &[Algorithm::ES256], config(50, 20), &clock);
    check(&v, &token(&k1)).await.unwrap();

    // The issuer withdraws its only key (after a compromise, say): once the cache expires,
    // the key stops verifying, and the refusal is the token's (401), not the endpoint's.
    server.set_jwks(json!({ "keys": [] }));
    clock.advance(Duration::from_millis(80));
    let err = check(&v, &token(&k1)).await.unwrap_err();
    assert!(matches!(err, TokenError::UnknownKey { .. }), "{err}");
    assert_eq!(v.refresh_keys().await.unwrap(), 0);

    // The same for a set whose only key is now an encryption key.
    server.set_keys(&[&k1]);
    clock.advance(Duration::from_millis(80));
    check(&v, &token(&k1)).await.unwrap();
    let mut enc = k1.public_jwk();
    enc["use"] = json!("enc");
    server.set_jwks(json!({ "keys": [enc] }));
    clock.advance(Duration::from_millis(80));
    let err = check(&v, &token(&k1)).await.unwrap_err();
    assert!(matches!(err, TokenError::UnknownKey { .. }), "{err}");
}

#[tokio::test]
async fn known_keys_stop_verifying_after_stale_if_error() {
    let clock = Clock::manual(now());
    let server = JwksServer::start().await.unwrap();
    let k1 = TestKey::generate(Algorithm::ES256, "k1");
    server.set_keys(&[&k1]);
    let v = remote(
        &server,
        &[Algorithm::ES256],
        RemoteConfig {
            stale_if_error: Duration::from_millis(400),
            ..config(100, 20)
        },
        &clock,
    );
    check(&v, &token(&k1)).await.unwrap();
    server.set_mode(ServeMode::Status(500));
    // Past the TTL but within stale-if-error: the last keys still serve.
    clock.advance(Duration::from_millis(200));
    check(&v, &token(&k1)).await.unwrap();
    // Past both: the endpoint still fails, and the old keys are no longer trusted.
    clock.advance(Duration::from_millis(400));
    let err = check(&v, &token(&k1)).await.unwrap_err();
    assert!(matches!(err, TokenError::KeysUnavailable(_)), "{err}");
    assert_eq!(err.category(), ErrorCategory::Unavailable);
    // The endpoint recovers: keys verify again.
    server.set_mode(ServeMode::Normal);
    clock.advance(Duration::from_millis(30));
    check(&v, &token(&k1)).await.unwrap();
}

#[tokio::test]
async fn a_jwks_key_without_kid_does_not_answer_for_unknown_kids() {
    let clock = Clock::manual(now());
    let server = JwksServer::start().await.unwrap();
    let old = TestKey::generate(Algorithm::ES256, "old");
    let new = TestKey::generate(Algorithm::ES256, "new");
    let mut kidless = old.public_jwk();
    kidless.as_object_mut().unwrap().remove("kid");
    server.set_jwks(json!({ "keys": [kidless.clone()] }));
    let v = remote(&server, &[Algorithm::ES256], config(600_000, 20), &clock);

    // A token without kid is verified by the one key.
    let mut header = old.header();
    header.as_object_mut().unwrap().remove("kid");
    check(&v, &old.sign(&header, &claims_for(ISS, AUD, "alice")))
        .await
        .unwrap();
    assert_eq!(server.hits("/jwks.json"), 1);

    // The issuer publishes a new key. A token naming its kid must trigger the refetch at once
    // (it used to be tried against the kid-less key and refused as a bad signature until the
    // 10-minute TTL ran out).
    server.set_jwks(json!({ "keys": [kidless, new.public_jwk()] }));
    clock.advance(Duration::from_millis(30));
    check(&v, &token(&new)).await.unwrap();
    assert_eq!(server.hits("/jwks.json"), 2);

    // And a token naming a kid nobody has is refused as unknown, not tried on the kid-less key.
    let stranger = TestKey::generate(Algorithm::ES256, "stranger");
    clock.advance(Duration::from_millis(30));
    let err = check(&v, &token(&stranger)).await.unwrap_err();
    assert!(matches!(err, TokenError::UnknownKey { .. }), "{err}");

    // A static JWKS document behaves the same.
    let mut kidless = old.public_jwk();
    kidless.as_object_mut().unwrap().remove("kid");
    let v = Validator::builder()
        .clock(clock.clone())
        .algorithms([Algorithm::ES256])
        .jwks_json(&json!({ "keys": [kidless] }).to_string())
        .issuer(ISS)
        .audience(AUD)
        .build()
        .unwrap();
    let err = check(&v, &token(&old)).await.unwrap_err();
    assert!(matches!(err, TokenError::UnknownKey { .. }), "{err}");
}

#[tokio::test]
async fn credentials_in_a_jwks_url_are_never_shown() {
    // Nothing listens on port 1: the fetch fails, and its error text is what reaches logs and
    // the audit `reason`.
    let k1 = TestKey::generate(Algorithm::ES256, "k1");
    let v = Validator::builder()
        .algorithms([Algorithm::ES256])
        .jwks_url("http://svc-user:s3cret-pw@127.0.0.1:1/jwks.json?token=qs-secret")
        .issuer(ISS)
        .audience(AUD)
        .build()
        .unwrap();
    let err = check(&v, &token(&k1)).await.unwrap_err();
    // The HTTP client's own error is kept as the source, without its URL: an error reporter
    // that walks the chain shows no secret either.
    let mut shown = format!("{err} {err:?} {v:?}");
    let TokenError::KeysUnavailable(fetch) = &err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(fetch, authz_core::token::FetchError::Request { .. }),
        "{fetch:?}"
    );
    let mut source = std::error::Error::source(fetch);
    let mut depth = 0;
    while let Some(error) = source {
        shown.push_str(&format!(" | {error} {error:?}"));
        source = error.source();
        depth += 1;
    }
    assert!(depth >= 1, "the HTTP client's error is kept: {shown}");
    for secret in ["svc-user", "s3cret-pw", "qs-secret"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("127.0.0.1:1/jwks.json"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
    assert_eq!(
        authz_core::token::redact_url("https://u:p@id.example/jwks"),
        "https://[redacted]@id.example/jwks"
    );
}
