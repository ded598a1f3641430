//! The verified-token cache: hits skip the signature check (and, through `validate_shared`,
//! parsing); the clock, revocation and the key set are checked on every hit. Each test runs
//! through both entry points.

use std::time::Duration;

use authz_core::testkit::{JwksServer, TestKey, claims_for, now};
use authz_core::{
    Algorithm, TokenError, Validator, token::Clock, token::InMemoryRevocation, token::RemoteConfig,
    token::ValidatorBuilder,
};
use serde_json::json;

#[derive(Debug, serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

const ISS: &str = "https://id.cache.test";
const AUD: &str = "api";

fn builder() -> ValidatorBuilder {
    Validator::builder().issuer(ISS).audience(AUD).cache(100)
}

/// A new RS256 key, and a validator with the cache on that trusts it alone.
fn rs256() -> (TestKey, Validator) {
    let key = TestKey::generate(Algorithm::RS256, "k1");
    let validator = builder()
        .algorithms([Algorithm::RS256])
        .key(key.verification_key())
        .build()
        .unwrap();
    (key, validator)
}

authz_core::policy! {
    mod notes { permissions { "notes:read" } roles { "viewer" = ["notes:read"] } }
}

/// The subject of the caller `gate` authenticates from one `Authorization` header value.
async fn authenticate(
    gate: &authz_core::Gate,
    header: &str,
) -> Result<String, authz_core::gate::Refusal> {
    let caller = gate
        .authenticate::<notes::Policy, Token>([header.as_bytes()], "/notes")
        .await?;
    Ok(caller.claims().expect("a token's caller").sub.clone())
}

/// The two ways in: `validate` (an owned result; a hit skips only the signature check) and
/// `validate_shared` (what the `Gate` uses; a hit returns the validated token kept by the cache).
#[derive(Clone, Copy, Debug)]
enum Path {
    Owned,
    Shared,
}

const PATHS: [Path; 2] = [Path::Owned, Path::Shared];

/// Validates `token` along `path`; the subject on success.
async fn validate(validator: &Validator, token: &str, path: Path) -> Result<String, TokenError> {
    match path {
        Path::Owned => Ok(validator.validate::<Token>(token).await?.claims.sub),
        Path::Shared => Ok(validator
            .validate_shared::<Token>(token)
            .await?
            .claims
            .sub
            .clone()),
    }
}

#[tokio::test]
async fn a_repeated_token_hits_and_a_different_one_misses() {
    for path in PATHS {
        let (key, validator) = rs256();
        let token = key.mint(&claims_for(ISS, AUD, "alice"));
        for _ in 0..3 {
            assert_eq!(validate(&validator, &token, path).await.unwrap(), "alice");
        }
        let stats = validator.cache_stats().unwrap();
        assert_eq!((stats.misses, stats.hits, stats.entries), (1, 2, 1));

        // The same claims under another signature: not a hit, and refused for its signature.
        // A character well inside the signature changes six significant bits (the last one
        // may carry padding bits, and would fail on base64 instead).
        let mut forged = token.clone().into_bytes();
        let at = forged.len() - 10;
        forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        let error = validate(&validator, &forged, path).await.unwrap_err();
        assert!(
            matches!(error, TokenError::BadSignature { .. }),
            "refused for its signature: {error}"
        );
        let stats = validator.cache_stats().unwrap();
        assert_eq!(
            (stats.misses, stats.hits),
            (2, 2),
            "the forgery was verified, not served"
        );
    }
}

#[tokio::test]
async fn claim_checks_still_run_on_a_hit() {
    for path in PATHS {
        let key = TestKey::generate(Algorithm::HS256, "k1");
        let mut claims = claims_for(ISS, AUD, "alice");
        claims["exp"] = json!(now() + 3600);
        claims["jti"] = json!("t-1");
        let token = key.mint(&claims);
        let revocations = std::sync::Arc::new(InMemoryRevocation::new());
        let validator = builder()
            .algorithms([Algorithm::HS256])
            .key(key.verification_key())
            .revocation(revocations.clone())
            .build()
            .unwrap();
        validate(&validator, &token, path).await.unwrap();
        validate(&validator, &token, path).await.unwrap();
        assert_eq!(validator.cache_stats().unwrap().hits, 1);

        revocations.revoke_jti("t-1", now() + 3600);
        assert!(matches!(
            validate(&validator, &token, path).await,
            Err(TokenError::Revoked)
        ));
        assert_eq!(
            validator.cache_stats().unwrap().hits,
            2,
            "the revoked token was a cache hit"
        );

        // A validator with another audience shares nothing, and refuses the token.
        let other = Validator::builder()
            .issuer(ISS)
            .audience("other")
            .cache(100)
            .algorithms([Algorithm::HS256])
            .key(key.verification_key())
            .build()
            .unwrap();
        assert!(matches!(
            validate(&other, &token, path).await,
            Err(TokenError::WrongAudience)
        ));
    }
}

#[tokio::test]
async fn expired_tokens_do_not_hit() {
    for path in PATHS {
        let key = TestKey::generate(Algorithm::HS256, "k1");
        let t = now();
        let clock = Clock::manual(t);
        let mut claims = claims_for(ISS, AUD, "alice");
        claims["exp"] = json!(t + 1);
        let token = key.mint(&claims);
        let validator = builder()
            .algorithms([Algorithm::HS256])
            .key(key.verification_key())
            .leeway(Duration::ZERO)
            .clock(clock.clone())
            .build()
            .unwrap();
        validate(&validator, &token, path).await.unwrap();
        clock.advance(Duration::from_secs(1));
        assert!(matches!(
            validate(&validator, &token, path).await,
            Err(TokenError::Expired { .. })
        ));
    }
}

#[tokio::test]
async fn a_key_leaving_the_jwks_evicts_what_it_verified() {
    for path in PATHS {
        let old = TestKey::generate(Algorithm::ES256, "k1");
        let jwks = JwksServer::start().await.unwrap();
        jwks.set_keys(&[&old]);
        let config = RemoteConfig {
            refetch_cooldown: Duration::from_millis(1),
            ..RemoteConfig::default()
        };
        let validator = builder()
            .algorithms([Algorithm::ES256])
            .jwks_url(jwks.jwks_url())
            .remote_config(config)
            .build()
            .unwrap();
        let token = old.mint(&claims_for(ISS, AUD, "alice"));
        validate(&validator, &token, path).await.unwrap();
        validate(&validator, &token, path).await.unwrap();
        assert_eq!(validator.cache_stats().unwrap().hits, 1);

        // Same kid, other key material: the cached entry no longer matches.
        let replacement = TestKey::generate(Algorithm::ES256, "k1");
        jwks.set_keys(&[&replacement]);
        validator.refresh_keys().await.unwrap();
        assert!(matches!(
            validate(&validator, &token, path).await,
            Err(TokenError::BadSignature { .. })
        ));

        // The key gone altogether.
        jwks.set_keys(&[&old]);
        validator.refresh_keys().await.unwrap();
        validate(&validator, &token, path).await.unwrap();
        let other = TestKey::generate(Algorithm::ES256, "k2");
        jwks.set_keys(&[&other]);
        validator.refresh_keys().await.unwrap();
        assert!(matches!(
            validate(&validator, &token, path).await,
            Err(TokenError::UnknownKey { .. })
        ));
    }
}

#[tokio::test]
async fn max_lifetime_bounds_tokens_with_and_without_iat() {
    let key = TestKey::generate(Algorithm::HS256, "k1");
    let validator = Validator::builder()
        .issuer(ISS)
        .audience(AUD)
        .algorithms([Algorithm::HS256])
        .key(key.verification_key())
        .max_lifetime(Duration::from_secs(3600))
        .build()
        .unwrap();
    let mint = |iat: Option<u64>, exp: u64| {
        let mut claims = claims_for(ISS, AUD, "alice");
        match iat {
            Some(iat) => claims["iat"] = json!(iat),
            None => drop(claims.as_object_mut().unwrap().remove("iat")),
        }
        claims["exp"] = json!(exp);
        key.mint(&claims)
    };
    let t = now();
    assert!(
        validator
            .validate::<Token>(&mint(Some(t), t + 3000))
            .await
            .is_ok()
    );
    assert!(
        validator
            .validate::<Token>(&mint(None, t + 3000))
            .await
            .is_ok(),
        "iat stays optional"
    );
    assert!(matches!(
        validator
            .validate::<Token>(&mint(Some(t - 100), t + 3600))
            .await,
        Err(TokenError::LifetimeTooLong { .. })
    ));
    assert!(matches!(
        validator.validate::<Token>(&mint(None, t + 2 * 3600)).await,
        Err(TokenError::LifetimeTooLong { .. })
    ));
}

#[tokio::test]
async fn a_shared_hit_returns_the_kept_token_without_parsing_it_again() {
    let (key, validator) = rs256();
    let token = key.mint(&claims_for(ISS, AUD, "alice"));
    let first = validator.validate_shared::<Token>(&token).await.unwrap();
    let second = validator.validate_shared::<Token>(&token).await.unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&first, &second),
        "the same validated token"
    );
    let stats = validator.cache_stats().unwrap();
    assert_eq!((stats.misses, stats.hits, stats.entries), (1, 1, 1));

    // Another claims type on the same token: verified again, never the other type's value.
    #[derive(serde::Deserialize, authz_core::Claims)]
    struct Other {
        sub: String,
        aud: String,
    }
    let other = validator.validate_shared::<Other>(&token).await.unwrap();
    assert_eq!(
        (other.claims.sub.as_str(), other.claims.aud.as_str()),
        ("alice", AUD)
    );
    // An entry filled by `validate` keeps no value: `validate_shared` verifies and fills it.
    let fresh = key.mint(&claims_for(ISS, AUD, "bob"));
    validator.validate::<Token>(&fresh).await.unwrap();
    let bob = validator.validate_shared::<Token>(&fresh).await.unwrap();
    assert_eq!(bob.claims.sub, "bob");
    let again = validator.validate_shared::<Token>(&fresh).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&bob, &again));
}

#[tokio::test]
async fn the_maximum_age_is_checked_on_a_hit() {
    for path in PATHS {
        let key = TestKey::generate(Algorithm::HS256, "k1");
        let t = now();
        let clock = Clock::manual(t);
        let mut claims = claims_for(ISS, AUD, "alice");
        claims["iat"] = json!(t - 10);
        claims["exp"] = json!(t + 3600);
        let token = key.mint(&claims);
        let validator = builder()
            .algorithms([Algorithm::HS256])
            .key(key.verification_key())
            .leeway(Duration::ZERO)
            .max_age(Duration::from_secs(11))
            .clock(clock.clone())
            .build()
            .unwrap();
        validate(&validator, &token, path).await.unwrap();
        validate(&validator, &token, path).await.unwrap();
        assert_eq!(validator.cache_stats().unwrap().hits, 1, "{path:?}");
        clock.advance(Duration::from_secs(2));
        assert!(
            matches!(
                validate(&validator, &token, path).await,
                Err(TokenError::TooOld { .. })
            ),
            "{path:?}"
        );
        assert_eq!(
            validator.cache_stats().unwrap().hits,
            2,
            "{path:?}: refused on a hit"
        );
    }
}

/// `alice`'s token, cached, and the closest forgery of it: the claims of `mallo` (the same
/// length) under alice's signature, so the same length, header and signature, and only the
/// payload differs. Returns (validator, token, forgery).
async fn cached_token_and_its_lookalike(path: Path) -> (Validator, String, String) {
    let (key, validator) = rs256();
    let claims = claims_for(ISS, AUD, "alice");
    let token = key.mint(&claims);
    let mut other = claims.clone();
    other["sub"] = json!("mallo");
    let theirs = key.mint(&other);
    let (signed, _) = theirs.rsplit_once('.').unwrap();
    let (_, signature) = token.rsplit_once('.').unwrap();
    let forgery = format!("{signed}.{signature}");
    assert_eq!(forgery.len(), token.len(), "the premise: a lookalike");
    assert_ne!(forgery, token);
    assert_eq!(validate(&validator, &token, path).await.unwrap(), "alice");
    (validator, token, forgery)
}

#[tokio::test]
async fn a_lookalike_of_a_cached_token_is_verified_not_served() {
    for path in PATHS {
        let (validator, token, forgery) = cached_token_and_its_lookalike(path).await;
        let error = validate(&validator, &forgery, path).await.unwrap_err();
        assert!(
            matches!(error, TokenError::BadSignature { .. }),
            "{path:?}: refused for its signature, not served as alice: {error}"
        );
        let stats = validator.cache_stats().unwrap();
        assert_eq!(
            (stats.misses, stats.hits, stats.entries),
            (2, 0, 1),
            "{path:?}: the lookalike missed and put nothing in the cache"
        );
        assert_eq!(validate(&validator, &token, path).await.unwrap(), "alice");
    }
}

#[tokio::test]
async fn the_gate_looks_up_only_the_plain_header_and_parses_the_rest() {
    use authz_core::Gate;
    use authz_core::gate::RefusalKind;
    let (validator, token, forgery) = cached_token_and_its_lookalike(Path::Shared).await;
    let gate = Gate::new(validator.clone());
    assert_eq!(
        authenticate(&gate, &format!("Bearer {token}"))
            .await
            .unwrap(),
        "alice"
    );
    assert_eq!(
        authenticate(&gate, &format!("bEARER {token}"))
            .await
            .unwrap(),
        "alice"
    );
    let hits = validator.cache_stats().unwrap().hits;
    assert_eq!(hits, 2, "the plain form is looked up before it is parsed");

    let refusal = authenticate(&gate, &format!("Bearer {forgery}"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            refusal.kind(),
            RefusalKind::Token(TokenError::BadSignature { .. })
        ),
        "the lookalike is verified and refused: {refusal}"
    );
    // Other spellings of the same header go through the parser, which still accepts them.
    for header in [format!("Bearer  {token}"), format!(" Bearer {token}\t")] {
        assert_eq!(
            authenticate(&gate, &header).await.unwrap(),
            "alice",
            "{header:?}"
        );
    }
    // And bytes around the cached token are never served from the cache.
    for header in [
        format!("Bearer {token} x"),
        format!("Bearer {token},{token}"),
    ] {
        let refusal = authenticate(&gate, &header).await.unwrap_err();
        assert!(
            matches!(refusal.kind(), RefusalKind::InvalidRequest(_)),
            "{header:?}: refused as malformed: {refusal}"
        );
    }
    let refusal = gate
        .authenticate::<notes::Policy, Token>(
            [
                format!("Bearer {token}").as_bytes(),
                format!("Bearer {token}").as_bytes(),
            ],
            "/notes",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refusal.kind(), RefusalKind::InvalidRequest(_)),
        "two Authorization headers, each a cached token: {refusal}"
    );
}

/// A token the gate has not seen is verified once, and the entry its miss fills is the one the
/// next request finds, whichever spelling of the header came first (the plain form's lookup
/// computes the entry's key on the miss; the other spellings are parsed and keyed then).
#[tokio::test]
async fn the_gate_fills_the_entry_its_next_lookup_finds() {
    use authz_core::Gate;
    let (key, validator) = rs256();
    let gate = Gate::new(validator.clone());
    for (i, first) in ["Bearer {}", "Bearer  {}", "bearer {}"]
        .into_iter()
        .enumerate()
    {
        let token = key.mint(&claims_for(ISS, AUD, &format!("user{i}")));
        for header in [first.replace("{}", &token), format!("Bearer {token}")] {
            assert_eq!(
                authenticate(&gate, &header).await.unwrap(),
                format!("user{i}")
            );
        }
        let stats = validator.cache_stats().unwrap();
        assert_eq!(
            (stats.misses, stats.hits, stats.entries as u64),
            (i as u64 + 1, i as u64 + 1, i as u64 + 1),
            "{first:?}: one verification, then a hit on the entry it filled"
        );
    }
}

/// A revocation backend that only answers through its future (no `check_now`), after a
/// yield: what a database or a remote store is to the validator.
#[derive(Default)]
struct AnswersLater {
    revoked: std::sync::Mutex<Vec<String>>,
    asked: std::sync::atomic::AtomicUsize,
}

impl authz_core::token::Revocation for AnswersLater {
    fn check<'a>(
        &'a self,
        token: authz_core::token::RevocationQuery<'a>,
    ) -> authz_core::token::BoxFuture<
        'a,
        Result<authz_core::token::RevocationStatus, authz_core::token::RevocationError>,
    > {
        Box::pin(async move {
            tokio::task::yield_now().await;
            self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let revoked = self.revoked.lock().unwrap();
            Ok(match token.jti {
                Some(jti) if revoked.iter().any(|r| r == jti) => {
                    authz_core::token::RevocationStatus::Revoked
                }
                _ => authz_core::token::RevocationStatus::Active,
            })
        })
    }
}

/// A hit answers at once when its keys are fresh and its revocation backend answers from
/// memory. When the keys are stale, or the backend must be awaited, the hit waits for them,
/// and what they say still decides: a key replaced under its kid, or a revocation only the
/// backend's future reports, refuses the cached token.
#[tokio::test]
async fn a_hit_that_must_wait_for_its_keys_or_its_revocation_still_checks_them() {
    for path in PATHS {
        let old = TestKey::generate(Algorithm::ES256, "k1");
        let jwks = JwksServer::start().await.unwrap();
        jwks.set_keys(&[&old]);
        // Keys stale a millisecond after each fetch, so every later hit refetches them first.
        let config = RemoteConfig {
            cache_ttl: Duration::from_millis(1),
            refetch_cooldown: Duration::from_millis(1),
            ..RemoteConfig::default()
        };
        let backend = std::sync::Arc::new(AnswersLater::default());
        let validator = builder()
            .algorithms([Algorithm::ES256])
            .jwks_url(jwks.jwks_url())
            .remote_config(config)
            .revocation(backend.clone())
            .build()
            .unwrap();
        let token = |jti: &str| {
            let mut claims = claims_for(ISS, AUD, "alice");
            claims["jti"] = json!(jti);
            old.mint(&claims)
        };
        let (first, second) = (token("t-1"), token("t-2"));
        let asked =
            |backend: &AnswersLater| backend.asked.load(std::sync::atomic::Ordering::SeqCst);

        validate(&validator, &first, path).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(validate(&validator, &first, path).await.unwrap(), "alice");
        assert_eq!(validator.cache_stats().unwrap().hits, 1, "{path:?}");
        assert_eq!(asked(&backend), 2, "{path:?}: the hit asked the backend");

        // Revoked where only the backend's future says so.
        validate(&validator, &second, path).await.unwrap();
        backend.revoked.lock().unwrap().push("t-2".to_owned());
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(
            matches!(
                validate(&validator, &second, path).await,
                Err(TokenError::Revoked)
            ),
            "{path:?}"
        );
        assert_eq!(validator.cache_stats().unwrap().hits, 2, "{path:?}");

        // The same kid, other key material, seen only by the refetch the stale keys cause.
        let replacement = TestKey::generate(Algorithm::ES256, "k1");
        jwks.set_keys(&[&replacement]);
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(
            matches!(
                validate(&validator, &first, path).await,
                Err(TokenError::BadSignature { .. })
            ),
            "{path:?}"
        );
        assert_eq!(
            validator.cache_stats().unwrap().hits,
            2,
            "{path:?}: the entry of the replaced key was not served"
        );
    }
}
