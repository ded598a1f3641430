//! OpenID Connect Back-Channel Logout 1.0 (issue 15): logout tokens revoking by `sub` and by
//! `sid`, and each forged or misused logout token refused: replayed, with a `nonce` (an ID
//! token), for another audience, with a bad signature, too old, without the event, with
//! another `typ`. On Redis, a logout received by one instance is honoured by another.
//!
//! Issue 21 (audit findings 6, 7, 8, 12), each attack performed as the audit describes: a
//! logout with `sid` and `sub` leaves no token of the user without `sid` valid; a store that
//! fails between the two writes does not lose the logout; issuer B's logout token with A's
//! `jti` neither revokes A's access token nor pre-empts A's logout; an `iat` in the future
//! does not revoke a later login; a non-object event value is refused; a logout token is
//! refused as an access token.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use authz_core::store::RedisRevocation;
use authz_core::testkit::{RedisServer, TestKey, now};
use authz_core::token::{
    BACKCHANNEL_LOGOUT_EVENT, BackChannelLogout, BoxFuture, InMemoryRevocation, LogoutError,
    Revocation, RevocationError, RevocationQuery, RevocationStatus, RevocationStore, TokenError,
};
use authz_core::{Algorithm, Validator};
use serde_json::{Value, json};

const ISS: &str = "https://id.example";
const CLIENT: &str = "reports-web";
const API: &str = "reports-api";

#[derive(Debug, serde::Deserialize, authz_core::Claims)]
struct Access {
    sub: String,
}

fn validator(key: &TestKey, audience: &str, revocation: Option<impl RevocationStore>) -> Validator {
    validator_of(ISS, key, audience, revocation)
}

/// The receiver of `key`'s logout tokens for the access tokens `api` validates: it writes to
/// the store `api` consults.
fn receiver(key: &TestKey, api: &Validator) -> BackChannelLogout {
    BackChannelLogout::new(validator(key, CLIENT, None::<InMemoryRevocation>), api).unwrap()
}

fn validator_of(
    issuer: &str,
    key: &TestKey,
    audience: &str,
    revocation: Option<impl RevocationStore>,
) -> Validator {
    let builder = Validator::builder()
        .algorithms([Algorithm::RS256])
        .key(key.verification_key())
        .issuer(issuer)
        .audience(audience);
    match revocation {
        Some(revocation) => builder.revocation_store(revocation),
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
    let api = validator(&key, API, Some(InMemoryRevocation::new()));
    Setup {
        logout: receiver(&key, &api),
        api,
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
    let logout = receiver(&key, &validator(&key, API, Some(instance_a)));
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
    let instance_c = RedisRevocation::builder(redis.url()).build().unwrap();
    let logout_b = receiver(&key, &validator(&key, API, Some(instance_c)));
    assert!(matches!(
        logout_b.receive(&token).await,
        Err(LogoutError::Replayed)
    ));
}

// Finding 6: with both `sid` and `sub`, the session is revoked and so are the user's access
// tokens that carry no `sid` (documented: every token of the user issued up to the logout).
#[tokio::test]
async fn a_logout_by_sid_and_sub_leaves_no_earlier_token_of_the_user_valid() {
    let s = setup();
    let without_sid = access_token(&s.key, "ann", now() - 30, None);
    let laptop = access_token(&s.key, "ann", now() - 30, Some("sess-laptop"));
    let phone = access_token(&s.key, "ann", now() - 30, Some("sess-phone"));
    let bob = access_token(&s.key, "bob", now() - 30, None);
    s.api.validate::<Access>(&without_sid).await.unwrap();

    let done = s
        .logout
        .receive(&logout_token(
            &s.key,
            "l-6",
            json!({ "sid": "sess-laptop", "sub": "ann" }),
        ))
        .await
        .unwrap();
    assert_eq!(
        (done.subject(), done.session()),
        (Some("ann"), Some("sess-laptop"))
    );
    for (what, token) in [
        ("no sid", &without_sid),
        ("the session", &laptop),
        ("another session, issued before", &phone),
    ] {
        let error = s.api.validate::<Access>(token).await.unwrap_err();
        assert!(matches!(error, TokenError::Revoked), "{what}: {error}");
    }
    s.api.validate::<Access>(&bob).await.unwrap();
    // A login after the logout works.
    let after = access_token(&s.key, "ann", now() + 2, None);
    s.api.validate::<Access>(&after).await.unwrap();
}

/// A store whose writes of one kind fail while their flag is set: Redis timing out between
/// two writes of one logout.
#[derive(Default)]
struct Flaky {
    inner: Arc<InMemoryRevocation>,
    fail_session: AtomicBool,
    fail_subject: AtomicBool,
    fail_marker: AtomicBool,
}

/// `write()`, unless `flag` is set: then an error, and nothing is written (the in-memory
/// store writes when called, not when awaited).
fn fails<'a, T: Send + 'a>(
    flag: &AtomicBool,
    write: impl FnOnce() -> BoxFuture<'a, Result<T, RevocationError>>,
) -> BoxFuture<'a, Result<T, RevocationError>> {
    if flag.load(Ordering::SeqCst) {
        Box::pin(async { Err(RevocationError::new("timed out (Redis stopped answering)")) })
    } else {
        write()
    }
}

impl Revocation for Flaky {
    fn check<'a>(
        &'a self,
        token: RevocationQuery<'a>,
    ) -> BoxFuture<'a, Result<RevocationStatus, RevocationError>> {
        self.inner.check(token)
    }
}

impl RevocationStore for Flaky {
    fn revoke_jti<'a>(
        &'a self,
        jti: &'a str,
        exp: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        RevocationStore::revoke_jti(&self.inner, jti, exp)
    }

    fn revoke_subject_of<'a>(
        &'a self,
        iss: &'a str,
        sub: &'a str,
        issued_before: u64,
        until: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        fails(&self.fail_subject, || {
            RevocationStore::revoke_subject_of(&self.inner, iss, sub, issued_before, until)
        })
    }

    fn revoke_session<'a>(
        &'a self,
        iss: &'a str,
        sid: &'a str,
        issued_before: u64,
        until: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        fails(&self.fail_session, || {
            RevocationStore::revoke_session(&self.inner, iss, sid, issued_before, until)
        })
    }

    fn logout_received<'a>(
        &'a self,
        iss: &'a str,
        jti: &'a str,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        RevocationStore::logout_received(&self.inner, iss, jti)
    }

    fn record_logout<'a>(
        &'a self,
        iss: &'a str,
        jti: &'a str,
        until: u64,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        fails(&self.fail_marker, || {
            RevocationStore::record_logout(&self.inner, iss, jti, until)
        })
    }
}

// Finding 7: the receiver used to record the jti first; a failure of the revocation write
// after it made the provider's retry a "replay", and the session stayed valid.
#[tokio::test]
async fn a_store_failing_between_the_writes_does_not_lose_the_logout() {
    let key = TestKey::generate(Algorithm::RS256, "k1");
    let store = Arc::new(Flaky::default());
    // Access tokens are checked through the flaky store too: only its writes fail.
    let api = validator(&key, API, Some(store.clone()));
    let logout = receiver(&key, &api);
    let cases = [
        // The revocation write fails (the audit's case: it came after the jti's).
        (
            "session",
            &store.fail_session,
            json!({ "sid": "s-ann" }),
            "ann",
            Some("s-ann"),
        ),
        // sid and sub: the session is stored, the second write (the subject's) fails.
        (
            "subject",
            &store.fail_subject,
            json!({ "sid": "s-bob", "sub": "bob" }),
            "bob",
            None,
        ),
        // Both revocations are stored, the marker (written last) fails.
        (
            "marker",
            &store.fail_marker,
            json!({ "sub": "cy" }),
            "cy",
            None,
        ),
    ];
    for (i, (what, flag, names, user, sid)) in cases.into_iter().enumerate() {
        let access = access_token(&key, user, now() - 30, sid);
        let token = logout_token(&key, &format!("l-7-{i}"), names);
        flag.store(true, Ordering::SeqCst);
        let error = logout.receive(&token).await.unwrap_err();
        assert!(
            matches!(error, LogoutError::Unavailable(_)),
            "{what}: {error}"
        );
        assert_eq!(error.error_code(), "temporarily_unavailable", "{what}");
        // The provider retries once the store answers again: accepted, not a replay.
        flag.store(false, Ordering::SeqCst);
        let retried = logout.receive(&token).await;
        assert!(retried.is_ok(), "{what}: {:?}", retried.err());
        let error = api.validate::<Access>(&access).await.unwrap_err();
        assert!(matches!(error, TokenError::Revoked), "{what}: {error}");
        // And only now is it a replay.
        let error = logout.receive(&token).await.unwrap_err();
        assert!(matches!(error, LogoutError::Replayed), "{what}: {error}");
    }
}

// Finding 8: logout jtis shared the access tokens' jti deny-list, without the issuer.
#[tokio::test]
async fn another_issuers_logout_jti_neither_revokes_an_access_token_nor_pre_empts_a_logout() {
    const ISS_B: &str = "https://partner.example";
    let key_a = TestKey::generate(Algorithm::RS256, "a1");
    let key_b = TestKey::generate(Algorithm::RS256, "b1");
    let api_a = validator_of(ISS, &key_a, API, Some(InMemoryRevocation::new()));
    // Both issuers' receivers write to the store that `api_a` consults.
    let logout_a = BackChannelLogout::new(
        validator_of(ISS, &key_a, CLIENT, None::<InMemoryRevocation>),
        &api_a,
    )
    .unwrap();
    let logout_b = BackChannelLogout::new(
        validator_of(ISS_B, &key_b, CLIENT, None::<InMemoryRevocation>),
        &api_a,
    )
    .unwrap();
    let ann = key_a.mint(&json!({
        "iss": ISS, "aud": API, "sub": "ann", "iat": now() - 30, "exp": now() + 600,
        "jti": "at-0001",
    }));
    api_a.validate::<Access>(&ann).await.unwrap();

    // Issuer B's logout token (for B's user zed) with the jti of A's access token.
    let from_b = key_b.sign(
        &json!({ "alg": "RS256", "kid": "b1", "typ": "logout+jwt" }),
        &logout_claims("at-0001", json!({ "iss": ISS_B, "sub": "zed" })),
    );
    logout_b.receive(&from_b).await.unwrap();
    // A's access token with that jti is still valid.
    api_a.validate::<Access>(&ann).await.unwrap();
    // A's own logout with the same jti is no replay: it is honoured.
    let from_a = logout_token(&key_a, "at-0001", json!({ "sub": "ann" }));
    logout_a.receive(&from_a).await.unwrap();
    assert!(matches!(
        api_a.validate::<Access>(&ann).await,
        Err(TokenError::Revoked)
    ));
    // Each is a replay of its own issuer only.
    for (logout, token) in [(&logout_a, &from_a), (&logout_b, &from_b)] {
        let error = logout.receive(token).await.unwrap_err();
        assert!(matches!(error, LogoutError::Replayed), "{error}");
    }
}

// Finding 12: an `iat` ahead of this clock (within the leeway) revoked logins made after the
// logout; the cut-off is clamped to the present.
#[tokio::test]
async fn a_logout_iat_in_the_future_does_not_revoke_a_later_login() {
    let s = setup();
    let before = access_token(&s.key, "ann", now() - 30, None);
    let later = access_token(&s.key, "ann", now() + 5, None);
    s.logout
        .receive(&logout_token(
            &s.key,
            "l-12a",
            json!({ "sub": "ann", "iat": now() + 50 }),
        ))
        .await
        .unwrap();
    assert!(matches!(
        s.api.validate::<Access>(&before).await,
        Err(TokenError::Revoked)
    ));
    s.api.validate::<Access>(&later).await.unwrap();
}

// Finding 12: an `events` member whose value is not an object was accepted.
#[tokio::test]
async fn a_logout_event_whose_value_is_not_an_object_is_refused() {
    let s = setup();
    for (i, value) in [
        json!("logout"),
        json!(true),
        json!([]),
        json!(1),
        json!(null),
    ]
    .into_iter()
    .enumerate()
    {
        let token = logout_token(
            &s.key,
            &format!("l-12b-{i}"),
            json!({ "sub": "ann", "events": { BACKCHANNEL_LOGOUT_EVENT: value } }),
        );
        let error = s.logout.receive(&token).await.unwrap_err();
        assert!(
            matches!(error, LogoutError::NotLogout(_)),
            "{value}: {error}"
        );
        assert_eq!(
            error.description(),
            "the back-channel logout event's value is not an object",
            "{value}"
        );
    }
    let ann = access_token(&s.key, "ann", now() - 30, None);
    s.api.validate::<Access>(&ann).await.unwrap();
}

// Finding 12: a logout token was accepted as an access token when the audiences coincide
// and no `typ` is required.
#[tokio::test]
async fn a_logout_token_is_refused_as_an_access_token() {
    let key = TestKey::generate(Algorithm::RS256, "k1");
    // The API's audience is the logout client's: the audiences coincide. No typ required.
    let api = validator(&key, CLIENT, None::<InMemoryRevocation>);
    let cached = Validator::builder()
        .algorithms([Algorithm::RS256])
        .key(key.verification_key())
        .issuer(ISS)
        .audience(CLIENT)
        .cache(16)
        .build()
        .unwrap();
    let with_typ = logout_token(&key, "l-12c", json!({ "sub": "ann" }));
    let without_typ = key.sign(
        &json!({ "alg": "RS256", "kid": "k1" }),
        &logout_claims("l-12d", json!({ "sub": "ann" })),
    );
    let bad_event_value = key.sign(
        &json!({ "alg": "RS256", "kid": "k1" }),
        &logout_claims(
            "l-12e",
            json!({ "sub": "ann", "events": { BACKCHANNEL_LOGOUT_EVENT: "x" } }),
        ),
    );
    for token in [&with_typ, &without_typ, &bad_event_value] {
        for validator in [&api, &cached] {
            let error = validator.validate::<Access>(token).await.unwrap_err();
            assert!(matches!(error, TokenError::LogoutToken), "{error}");
            assert_eq!(error.description(), "a logout token is not an access token");
            // Twice: a refused token is never cached into acceptance.
            let error = validator
                .validate_shared::<Access>(token)
                .await
                .unwrap_err();
            assert!(matches!(error, TokenError::LogoutToken), "{error}");
            let error = validator
                .validate_shared::<Access>(token)
                .await
                .unwrap_err();
            assert!(matches!(error, TokenError::LogoutToken), "{error}");
        }
    }
    // A token with other events is an access token as before.
    let other_event = key.mint(&json!({
        "iss": ISS, "aud": CLIENT, "sub": "ann", "iat": now(), "exp": now() + 60,
        "events": { "https://example.com/event/other": {} },
    }));
    api.validate::<Access>(&other_event).await.unwrap();
    // The receiver still takes the logout token.
    let logout = receiver(&key, &validator(&key, API, Some(InMemoryRevocation::new())));
    logout.receive(&without_typ).await.unwrap();
}

// Findings 7 and 8 on Redis: the marker lives under `lrp:`, keyed by (issuer, jti), with a
// millisecond expiry equal to the logout token's remaining window; no `jti:` entry is made.
#[tokio::test]
async fn on_redis_replay_markers_are_their_own_keys_per_issuer_and_expire_with_the_token() {
    let redis = RedisServer::start().expect("these tests need redis-server");
    let key = TestKey::generate(Algorithm::RS256, "k1");
    let store = RedisRevocation::builder(redis.url())
        .prefix("t:")
        .build()
        .unwrap();
    let logout = receiver(&key, &validator(&key, API, Some(store.clone())));
    let exp = now() + 30;
    let token = logout_token(&key, "at-0001", json!({ "sub": "ann", "exp": exp }));
    logout.receive(&token).await.unwrap();

    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg("t:*")
        .query_async(&mut connection)
        .await
        .unwrap();
    keys.sort();
    let marker = store.logout_replay_key(ISS, "at-0001");
    assert!(marker.starts_with("t:lrp:"), "{marker}");
    assert_eq!(keys, [store.issuer_subject_key(ISS, "ann"), marker.clone()]);
    assert!(!keys.contains(&store.jti_key("at-0001")));
    assert_ne!(
        marker,
        store.logout_replay_key("https://partner.example", "at-0001")
    );
    // The window: the token is refused from `exp + leeway` or `iat + max_age + 1` (a minute
    // and 2 minutes by default), whichever is first; here `exp + 60` s.
    let pttl: i64 = redis::cmd("PTTL")
        .arg(&marker)
        .query_async(&mut connection)
        .await
        .unwrap();
    let window_ms = i64::try_from((exp + 60 - now()) * 1000).unwrap();
    assert!(
        pttl > window_ms - 3000 && pttl <= window_ms + 1000,
        "{pttl} ms, window {window_ms} ms"
    );
    assert!(matches!(
        logout.receive(&token).await,
        Err(LogoutError::Replayed)
    ));
}

// Issue 23, item 6: the receiver has no store of its own. Built for an access-token validator
// that only reads revocations (or none), it is refused, so that a logout cannot be answered
// 200 while the tokens it names stay valid.
#[test]
fn a_receiver_for_a_validator_without_a_revocation_store_cannot_be_built() {
    let key = TestKey::generate(Algorithm::RS256, "k1");
    let logout_tokens = || validator(&key, CLIENT, None::<InMemoryRevocation>);
    let read_only = Validator::builder()
        .algorithms([Algorithm::RS256])
        .key(key.verification_key())
        .issuer(ISS)
        .audience(API)
        .revocation(InMemoryRevocation::new())
        .build()
        .unwrap();
    let none = validator(&key, API, None::<InMemoryRevocation>);
    for access in [&read_only, &none] {
        let error = BackChannelLogout::new(logout_tokens(), access).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("ValidatorBuilder::revocation_store"),
            "{error}"
        );
    }
}
