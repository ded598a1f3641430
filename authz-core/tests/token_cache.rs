//! The verified-token cache: hits skip only the signature check; claims, revocation and the
//! key set are checked on every hit.

use std::time::Duration;

use authz_core::test_util::{JwksServer, TestKey, claims_for, now};
use authz_core::{
    Algorithm, InMemoryRevocation, RemoteConfig, TokenError, Validator, ValidatorBuilder,
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

#[tokio::test]
async fn a_repeated_token_hits_and_a_different_one_misses() {
    let key = TestKey::generate(Algorithm::RS256, "k1");
    let validator = builder()
        .algorithms([Algorithm::RS256])
        .key(key.verification_key())
        .build()
        .unwrap();
    let token = key.mint(&claims_for(ISS, AUD, "alice"));
    for _ in 0..3 {
        assert_eq!(
            validator
                .validate::<Token>(&token)
                .await
                .unwrap()
                .claims
                .sub,
            "alice"
        );
    }
    let stats = validator.cache_stats().unwrap();
    assert_eq!((stats.misses, stats.hits, stats.entries), (1, 2, 1));

    // The same claims under another signature byte: not a hit, and refused.
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert!(validator.validate::<Token>(&forged).await.is_err());
    assert_eq!(validator.cache_stats().unwrap().hits, 2);
}

#[tokio::test]
async fn claim_checks_still_run_on_a_hit() {
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
    validator.validate::<Token>(&token).await.unwrap();
    validator.validate::<Token>(&token).await.unwrap();
    assert_eq!(validator.cache_stats().unwrap().hits, 1);

    revocations.revoke_jti("t-1", now() + 3600);
    assert!(matches!(
        validator.validate::<Token>(&token).await,
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
        other.validate::<Token>(&token).await,
        Err(TokenError::WrongAudience)
    ));
}

#[tokio::test]
async fn expired_tokens_do_not_hit() {
    let key = TestKey::generate(Algorithm::HS256, "k1");
    let mut claims = claims_for(ISS, AUD, "alice");
    claims["exp"] = json!(now() + 1);
    let token = key.mint(&claims);
    let validator = builder()
        .algorithms([Algorithm::HS256])
        .key(key.verification_key())
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    validator.validate::<Token>(&token).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(matches!(
        validator.validate::<Token>(&token).await,
        Err(TokenError::Expired { .. })
    ));
}

#[tokio::test]
async fn a_key_leaving_the_jwks_evicts_what_it_verified() {
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
    validator.validate::<Token>(&token).await.unwrap();
    validator.validate::<Token>(&token).await.unwrap();
    assert_eq!(validator.cache_stats().unwrap().hits, 1);

    // Same kid, other key material: the cached entry no longer matches.
    let replacement = TestKey::generate(Algorithm::ES256, "k1");
    jwks.set_keys(&[&replacement]);
    validator.refresh_keys().await.unwrap();
    assert!(matches!(
        validator.validate::<Token>(&token).await,
        Err(TokenError::BadSignature { .. })
    ));

    // The key gone altogether.
    jwks.set_keys(&[&old]);
    validator.refresh_keys().await.unwrap();
    validator.validate::<Token>(&token).await.unwrap();
    let other = TestKey::generate(Algorithm::ES256, "k2");
    jwks.set_keys(&[&other]);
    validator.refresh_keys().await.unwrap();
    assert!(matches!(
        validator.validate::<Token>(&token).await,
        Err(TokenError::UnknownKey { .. })
    ));
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
