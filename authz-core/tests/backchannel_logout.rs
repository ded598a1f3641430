//! OpenID Connect Back-Channel Logout 1.0 (issue 15): logout tokens revoking by `sub` and by
//! `sid`, and each forged or misused logout token refused: replayed, with a `nonce` (an ID
//! token), for another audience, with a bad signature, too old, without the event, with
//! another `typ`. On Redis, a logout received by one instance is honoured by another.

use std::sync::Arc;

use authz_core::store::RedisRevocation;
use authz_core::testkit::{RedisServer, TestKey, now};
use authz_core::token::{
    BACKCHANNEL_LOGOUT_EVENT, BackChannelLogout, InMemoryRevocation, LogoutError, Revocation,
    TokenError,
};
use authz_core::{Algorithm, Validator};
use serde_json::{Value, json};

const ISS: &str = "https://id.example";
const CLIENT: &str = "reports-web";
const API: &str = "reports-api";

#[derive(serde::Deserialize, authz_core::Claims)]
struct Access {
    sub: String,
}

fn validator(key: &TestKey, audience: &str, revocation: Option<impl Revocation>) -> Validator {
    let builder = Validator::builder()
        .algorithms([Algorithm::RS256])
        .key(key.verification_key())
        .issuer(ISS)
        .audience(audience);
    match revocation {
        Some(revocation) => builder.revocation(revocation),
        None => builder,
    }
    .build()
    .unwrap()
}

fn logout_claims(jti: &str, extra: Value) -> Value {
    let mut claims = json!({
        "iss": ISS, "aud": CLIENT, "iat": now(), "exp": now() + 120, "jti": jti,
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    });
    for (name, value) in extra.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

fn logout_token(key: &TestKey, jti: &str, extra: Value) -> String {
    key.sign(
        &json!({ "alg": "RS256", "kid": key.kid(), "typ": "logout+jwt" }),
        &logout_claims(jti, extra),
    )
}

fn access_token(key: &TestKey, sub: &str, iat: u64, sid: Option<&str>) -> String {
    let mut claims = json!({ "iss": ISS, "aud": API, "sub": sub, "iat": iat, "exp": now() + 600 });
    if let Some(sid) = sid {
        claims["sid"] = json!(sid);
    }
    key.mint(&claims)
}

struct Setup {
    key: TestKey,
    logout: BackChannelLogout,
    api: Validator,
}

fn setup() -> Setup {
    let key = TestKey::generate(Algorithm::RS256, "k1");
    let store = Arc::new(InMemoryRevocation::new());
    Setup {
        logout: BackChannelLogout::new(
            validator(&key, CLIENT, None::<InMemoryRevocation>),
            store.clone(),
        ),
        api: validator(&key, API, Some(store)),
        key,
    }
}

#[tokio::test]
async fn a_logout_by_sub_refuses_the_users_earlier_tokens_only() {
    let s = setup();
    let before = access_token(&s.key, "ann", now() - 30, None);
    let bob = access_token(&s.key, "bob", now() - 30, None);
    s.api.validate::<Access>(&before).await.unwrap();

    let done = s
        .logout
        .receive(&logout_token(&s.key, "l-1", json!({ "sub": "ann" })))
        .await
        .unwrap();
    assert_eq!(
        (done.issuer(), done.subject(), done.session()),
        (ISS, Some("ann"), None)
    );

    assert!(matches!(
        s.api.validate::<Access>(&before).await,
        Err(TokenError::Revoked)
    ));
    s.api.validate::<Access>(&bob).await.unwrap();
    // A login after the logout works.
    let after = access_token(&s.key, "ann", now() + 2, None);
    s.api.validate::<Access>(&after).await.unwrap();
}

#[tokio::test]
async fn a_logout_by_sid_refuses_that_sessions_tokens_only() {
    let s = setup();
    let laptop = access_token(&s.key, "ann", now() - 30, Some("sess-laptop"));
    let phone = access_token(&s.key, "ann", now() - 30, Some("sess-phone"));
    s.logout
        .receive(&logout_token(
            &s.key,
            "l-2",
            json!({ "sid": "sess-laptop" }),
        ))
        .await
        .unwrap();
    assert!(matches!(
        s.api.validate::<Access>(&laptop).await,
        Err(TokenError::Revoked)
    ));
    s.api.validate::<Access>(&phone).await.unwrap();
}

#[tokio::test]
async fn a_replayed_logout_token_is_refused() {
    let s = setup();
    let token = logout_token(&s.key, "l-3", json!({ "sub": "ann" }));
    s.logout.receive(&token).await.unwrap();
    let error = s.logout.receive(&token).await.unwrap_err();
    assert!(matches!(error, LogoutError::Replayed), "{error}");
    assert_eq!(error.error_code(), "invalid_request");
    assert!(!error.body().contains(&token));
}

#[tokio::test]
async fn forged_and_misused_logout_tokens_are_refused() {
    let s = setup();
    let other = TestKey::generate(Algorithm::RS256, "k1");
    let cases: Vec<(&str, String)> = vec![
        // An ID token (which carries a nonce) presented as a logout token.
        (
            "nonce",
            logout_token(
                &s.key,
                "f-1",
                json!({ "sub": "ann", "nonce": "n-0S6_WzA2Mj" }),
            ),
        ),
        // A logout token for another client.
        (
            "audience",
            logout_token(
                &s.key,
                "f-2",
                json!({ "sub": "ann", "aud": "other-client" }),
            ),
        ),
        // Signed by another key with the same kid.
        (
            "signature",
            logout_token(&other, "f-3", json!({ "sub": "ann" })),
        ),
        (
            "no event",
            logout_token(&s.key, "f-4", json!({ "sub": "ann", "events": {} })),
        ),
        ("no sub or sid", logout_token(&s.key, "f-5", json!({}))),
        (
            "no jti",
            logout_token(&s.key, "f-6", json!({ "sub": "ann", "jti": null })),
        ),
        (
            "too old",
            logout_token(&s.key, "f-7", json!({ "sub": "ann", "iat": now() - 3600 })),
        ),
        // An access token for this client, with the wrong typ.
        (
            "typ",
            s.key.sign(
                &json!({ "alg": "RS256", "kid": "k1", "typ": "at+jwt" }),
                &logout_claims("f-8", json!({ "sub": "ann" })),
            ),
        ),
    ];
    for (what, token) in cases {
        let error = s.logout.receive(&token).await.unwrap_err();
        assert_eq!(error.error_code(), "invalid_request", "{what}: {error}");
        let body: Value = serde_json::from_str(&error.body()).unwrap();
        assert_eq!(body["error"], "invalid_request", "{what}");
        assert!(!error.body().contains(&token), "{what}");
    }
    // None of them logged anyone out.
    let ann = access_token(&s.key, "ann", now() - 30, None);
    s.api.validate::<Access>(&ann).await.unwrap();
}

#[tokio::test]
async fn on_redis_a_logout_received_by_one_instance_is_honoured_by_another() {
    let redis = RedisServer::start().expect("these tests need redis-server");
    let key = TestKey::generate(Algorithm::RS256, "k1");
    let instance_a = RedisRevocation::builder(redis.url()).build().unwrap();
    let instance_b = RedisRevocation::builder(redis.url()).build().unwrap();
    let logout = BackChannelLogout::new(
        validator(&key, CLIENT, None::<InMemoryRevocation>),
        instance_a,
    );
    let api_b = validator(&key, API, Some(instance_b));
    let ann = access_token(&key, "ann", now() - 30, Some("s-1"));
    api_b.validate::<Access>(&ann).await.unwrap();
    let token = logout_token(&key, "r-1", json!({ "sid": "s-1" }));
    logout.receive(&token).await.unwrap();
    // Pushed to the other instance: refused there within the bound (milliseconds).
    let mut refused = false;
    for _ in 0..100 {
        if matches!(
            api_b.validate::<Access>(&ann).await,
            Err(TokenError::Revoked)
        ) {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(refused, "not refused by the other instance within 1 s");
    // The replay is known to every instance too.
    let logout_b = BackChannelLogout::new(
        validator(&key, CLIENT, None::<InMemoryRevocation>),
        RedisRevocation::builder(redis.url()).build().unwrap(),
    );
    assert!(matches!(
        logout_b.receive(&token).await,
        Err(LogoutError::Replayed)
    ));
}
