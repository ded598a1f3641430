//! Every public error type, made the way an application meets it where that can be done,
//! walked along its `source()` chain: no message repeats the message of its source.
//!
//! The convention (thiserror's): an error either shows its inner error's message (and then
//! has no source of its own, or is `#[error(transparent)]`) or exposes the inner error as its
//! `source` and says only what its own layer adds. Both at once makes a log line that prints
//! the chain say everything twice.

use std::error::Error;
use std::time::Duration;

use authz_core::api_key::{ApiKeys, InMemoryApiKeyStore};
use authz_core::store::{RedisApiKeyStore, RedisConfigError, RedisError, RedisRevocation};
use authz_core::testkit::fixture::{AUDIENCE, Fixture, ISSUER, NotesClaims as Token, notes};
use authz_core::token::{
    ConfigError, FetchError, KeyError, Revocation, RevocationError, RevocationQuery,
};
use authz_core::{Algorithm, Gate, Key, TokenError, Validator};

/// The messages along `error`'s chain, outermost first.
fn chain(error: &(dyn Error + 'static)) -> Vec<String> {
    let mut messages = Vec::new();
    let mut current = Some(error);
    while let Some(error) = current {
        messages.push(error.to_string());
        current = error.source();
    }
    messages
}

/// Asserts that `error`'s chain has at least `ours` messages, none empty, and that none of the
/// first `ours` (this library's) holds the message of its source. Links past them belong to
/// other crates (the `redis` crate shows an I/O error's message and also returns it as the
/// source), which this library cannot change.
#[track_caller]
fn assert_chain(error: &(dyn Error + 'static), ours: usize) -> Vec<String> {
    let messages = chain(error);
    assert!(
        messages.len() >= ours,
        "expected a chain of at least {ours}, got {messages:?}"
    );
    for (i, message) in messages.iter().enumerate().take(ours) {
        assert!(!message.is_empty(), "an empty message in {messages:?}");
        if let Some(source) = messages.get(i + 1) {
            assert!(
                !message.contains(source.as_str()),
                "{message:?} repeats its source {source:?} (whole chain: {messages:?})"
            );
        }
    }
    messages
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A revocation list on a Redis nothing listens to: every check fails, for real.
fn unreachable_revocations() -> RedisRevocation {
    RedisRevocation::builder("redis://127.0.0.1:1/")
        .push(false)
        .timeout(Duration::from_millis(200))
        .build()
        .expect("a valid configuration")
}

#[test]
fn a_revocation_backend_down_is_the_source_of_the_token_error() {
    runtime().block_on(async {
        let fixture = Fixture::new();
        let validator = fixture
            .validator_builder()
            .revocation(unreachable_revocations())
            .build()
            .expect("validator");
        let token = fixture.token("ann", &[]);
        let error = validator.validate::<Token>(&token).await.unwrap_err();
        assert!(
            matches!(error, TokenError::RevocationUnavailable(_)),
            "{error}"
        );
        // The token error, then the Redis error (`RevocationError` is transparent), which
        // shows the `redis` crate's message and ends the chain.
        let messages = assert_chain(&error, 2);
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert_eq!(messages[0], "the revocation check failed");
        assert!(messages[1].starts_with("Redis: "), "{messages:?}");
        // The Redis error is reachable through the chain, and typed.
        let revocation = error.source().expect("the backend's error");
        let revocation = revocation
            .downcast_ref::<RevocationError>()
            .expect("a RevocationError");
        let redis = revocation
            .get_ref()
            .downcast_ref::<RedisError>()
            .expect("a RedisError");
        assert!(redis.is_unreachable(), "{redis}");
    });
}

#[test]
fn a_redis_error_shows_the_redis_crate_error_once() {
    runtime().block_on(async {
        let query = RevocationQuery::new(Some("t"), Some("ann"), Some(1), u64::MAX);
        let error = unreachable_revocations().check(query).await.unwrap_err();
        // `RevocationError` is transparent: its message and source are the backend's.
        let messages = assert_chain(&error, 1);
        assert!(messages[0].starts_with("Redis: "), "{messages:?}");
        let redis = error
            .get_ref()
            .downcast_ref::<RedisError>()
            .expect("RedisError");
        // Shown, not also returned as the source: the chain says it once.
        assert!(redis.source().is_none(), "{messages:?}");
        assert!(matches!(redis, RedisError::Redis(_)), "{redis:?}");
    });
}

#[test]
fn keys_that_cannot_be_fetched_are_shown_by_the_token_error() {
    runtime().block_on(async {
        let validator = Validator::builder()
            .algorithms([Algorithm::ES256])
            .jwks_url("http://127.0.0.1:1/jwks.json")
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .expect("validator");
        let token = Fixture::new().token("ann", &[]);
        let error = validator.validate::<Token>(&token).await.unwrap_err();
        // Shown, not exposed: the message names the URL and what failed, and the chain ends.
        let TokenError::KeysUnavailable(fetch) = &error else {
            panic!("not KeysUnavailable: {error}");
        };
        let messages = assert_chain(&error, 1);
        assert_eq!(
            messages,
            [format!("no signing keys are available: {fetch}")]
        );
        assert!(
            messages[0].contains("GET http://127.0.0.1:1/jwks.json"),
            "{messages:?}"
        );
        // The fetch error itself exposes the HTTP client's error, which it does not show.
        assert_chain(fetch, 2);
    });
}

#[test]
fn a_key_set_that_is_no_key_set_is_the_source_of_the_fetch_error() {
    // Made directly: a server answering a JSON document that is no JWKS.
    let source = Key::from_jwk("{\"kty\": 3}").unwrap_err();
    let error = FetchError::Keys {
        url: "https://id.chains.test/jwks.json".into(),
        source,
    };
    let messages = assert_chain(&error, 2);
    assert_eq!(
        messages[0],
        "https://id.chains.test/jwks.json: not a usable key set"
    );
}

#[test]
fn a_file_that_cannot_be_read_is_the_source_of_the_configuration_error() {
    let error = Key::from_pem_file("/nonexistent/authz/key.pem").unwrap_err();
    assert!(matches!(error, ConfigError::File { .. }), "{error}");
    let messages = assert_chain(&error, 2);
    assert_eq!(messages[0], "cannot read /nonexistent/authz/key.pem");
    assert!(
        error
            .source()
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .is_some()
    );
}

#[test]
fn leaf_errors_have_no_source_and_say_something() {
    let fixture = Fixture::new();
    let mut leaves: Vec<Box<dyn Error>> = vec![
        Box::new(Validator::builder().build().unwrap_err()),
        Box::new(
            RedisRevocation::builder("redis://127.0.0.1:1/")
                .prefix("")
                .build()
                .unwrap_err(),
        ),
        Box::new(
            RedisRevocation::builder("redis://127.0.0.1:1/")
                .cache(Duration::from_secs(1), 1)
                .build()
                .unwrap_err(),
        ),
        Box::new("nope".parse::<notes::Permission>().unwrap_err()),
        Box::new("XS256".parse::<Algorithm>().unwrap_err()),
        Box::new(KeyError::EmptySecret),
    ];
    runtime().block_on(async {
        let validator = fixture.validator();
        for token in ["", "a.b", "not.a.token"] {
            let error = validator.validate::<Token>(token).await.unwrap_err();
            leaves.push(Box::new(error));
        }
        let mut expired = fixture.claims("ann");
        expired["exp"] = serde_json::json!(1);
        let error = validator
            .validate::<Token>(&fixture.key().mint(&expired))
            .await
            .unwrap_err();
        leaves.push(Box::new(error));
    });
    for error in &leaves {
        assert!(!error.to_string().is_empty(), "{error:?}");
        assert!(error.source().is_none(), "{error}: {:?}", chain(&**error));
    }
    assert!(leaves.iter().any(|e| e.is::<RedisConfigError>()));
}

/// A well-formed key verified against a key store on a Redis nothing listens to.
async fn verify_on_an_unreachable_store() -> authz_core::api_key::ApiKeyError {
    let store = RedisApiKeyStore::builder("redis://127.0.0.1:1/")
        .build()
        .expect("store");
    let keys = ApiKeys::new(store, "chn").expect("prefix");
    keys.verify("chn_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await
        .unwrap_err()
}

#[test]
fn an_api_key_store_down_is_the_source_of_the_key_error() {
    runtime().block_on(async {
        let error = verify_on_an_unreachable_store().await;
        assert_chain(&error, 1);
    });
}

/// `ApiKeyError::RevocationUnavailable` and `IssueError::RevocationUnavailable` say which key
/// or issuance, and hand the backend's error on as their source.
#[test]
fn a_key_whose_revocation_cannot_be_checked() {
    runtime().block_on(async {
        let store = InMemoryApiKeyStore::default();
        let issued = ApiKeys::new(store.clone(), "chn")
            .expect("prefix")
            .issue::<notes::Policy>("bot", ["notes:read"], None)
            .await
            .expect("issued");
        let keys = ApiKeys::new(store, "chn")
            .expect("prefix")
            .revocation(unreachable_revocations());
        let error = keys.verify(issued.raw()).await.unwrap_err();
        assert_chain(&error, 2);
        // And issuing while the list cannot be read.
        let error = keys
            .issue::<notes::Policy>("bot", ["notes:read"], None)
            .await
            .unwrap_err();
        assert_chain(&error, 2);
    });
}

/// `Refusal` shows its kind's message and returns the kind's source: for a refused token, the
/// token's error, so both adapters' `Rejection::source()` (the refusal's) is that error.
#[test]
fn a_refused_token_is_the_source_of_the_refusal() {
    runtime().block_on(async {
        let fixture = Fixture::new();
        let gate = Gate::new(
            fixture
                .validator_builder()
                .revocation(unreachable_revocations())
                .build()
                .expect("validator"),
        );
        let header = fixture.bearer("ann", &[]);
        let refusal = gate
            .authenticate::<notes::Policy, Token>([header.as_bytes()], "/")
            .await
            .unwrap_err();
        assert_eq!(refusal.status(), 503);
        let messages = assert_chain(&refusal, 3);
        assert!(
            refusal.source().is_some_and(|s| s.is::<TokenError>()),
            "{messages:?}"
        );
    });
}

/// `LogoutError::Token` says the logout token was rejected and hands the token's error on.
#[test]
fn a_refused_logout_token() {
    runtime().block_on(async {
        let fixture = Fixture::new();
        let store = authz_core::token::InMemoryRevocation::default();
        let access = fixture
            .validator_builder()
            .revocation_store(store)
            .build()
            .expect("validator");
        let logout = authz_core::token::BackChannelLogout::new(fixture.validator(), &access)
            .expect("receiver");
        let error = logout.receive("not.a.token").await.unwrap_err();
        assert_chain(&error, 2);
    });
}

/// The errors of issuance, revocation and memberships, and the configuration refusals, made
/// as an application meets them: each chain says every message once.
#[test]
fn issuance_membership_and_configuration_errors() {
    use authz_core::assignments::{
        Assignments, ChangeError, Member, Membership, MemoryAssignments, TenantError, Unavailable,
    };
    use authz_core::{Authenticated, Refusal};
    runtime().block_on(async {
        let fixture = Fixture::new();
        let validated = fixture
            .validator()
            .validate::<Token>(&fixture.token("ann", &["viewer"]))
            .await
            .expect("valid");
        let ann: Authenticated<notes::Policy, Token> = validated.into();
        let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "chn")
            .expect("prefix")
            .service_accounts(["svc"]);
        let mut errors: Vec<Box<dyn Error>> = Vec::new();
        for subject in ["someone-else", "svc", "ann"] {
            let error = keys
                .issue_by(
                    &ann,
                    notes::perm::NotesWrite,
                    subject,
                    ["notes:write"],
                    None,
                )
                .await
                .unwrap_err();
            errors.push(Box::new(Refusal::from(
                keys.issue_by(
                    &ann,
                    notes::perm::NotesWrite,
                    subject,
                    ["notes:write"],
                    None,
                )
                .await
                .unwrap_err(),
            )));
            errors.push(Box::new(error));
        }
        let bots = keys
            .issue::<notes::Policy>("other", ["notes:read"], None)
            .await
            .expect("issued");
        let error = keys
            .revoke_by(&ann, notes::perm::NotesWrite, bots.id())
            .await
            .unwrap_err();
        errors.push(Box::new(error));
        errors.push(Box::new(
            ApiKeys::new(InMemoryApiKeyStore::default(), "Bad!").unwrap_err(),
        ));
        let no_store =
            authz_core::token::BackChannelLogout::new(fixture.validator(), &fixture.validator());
        errors.push(Box::new(no_store.unwrap_err()));
        errors.push(Box::new(
            ann.require::<notes::perm::NotesWrite>().unwrap_err(),
        ));
        let store = MemoryAssignments::<notes::Policy>::new();
        let not_member = ann.in_tenant(&store, "acme").await.unwrap_err();
        errors.push(Box::new(Refusal::from(
            ann.in_tenant(&store, "acme").await.unwrap_err(),
        )));
        errors.push(Box::new(not_member));
        struct Down;
        impl Assignments<notes::Policy> for Down {
            async fn membership(
                &self,
                _: Member<'_>,
            ) -> Result<Option<Membership<notes::Policy>>, Unavailable> {
                Err(Unavailable::new(std::io::Error::other(
                    "connection refused",
                )))
            }
        }
        let down = ann.in_tenant(&Down, "acme").await.unwrap_err();
        assert!(matches!(down, TenantError::Unavailable(_)), "{down}");
        assert_chain(&down, 2);
        let refusal = Refusal::from(ann.in_tenant(&Down, "acme").await.unwrap_err());
        assert_eq!(refusal.status(), 503);
        assert_chain(&refusal, 3);
        let invalid: ChangeError = ChangeError::InvalidMember("an empty subject");
        errors.push(Box::new(invalid));
        for error in &errors {
            assert_chain(&**error, 1);
        }
    });
}
