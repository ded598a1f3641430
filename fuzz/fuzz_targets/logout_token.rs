//! The back-channel logout receiver (`BackChannelLogout::receive`) on arbitrary logout
//! tokens, with an in-memory revocation store shared across inputs (as a long-running
//! receiver's is), an HS256 key generated once, issuer `https://id.example` and client
//! `reports-web`.
//!
//! The first input byte picks a mode:
//! - `% 4 == 0 | 1`: the rest is the token (lossy UTF-8, as the form body gives it);
//! - `% 4 == 2`: the rest is the payload JSON, signed under a `logout+jwt` header, so that
//!   the fuzzer reaches the logout checks that only run after a signature verified;
//! - `% 4 == 3`: the rest is `header JSON \0 payload JSON`, signed.
//!
//! Beyond "no panic", checks for an accepted logout: it names the issuer and a subject or a
//! session, which the store now revokes; receiving it again is a replay; the same token is
//! refused as an access token by a validator of the same issuer, key and audience (the logout
//! event is what refuses it); its `jti` never enters the access tokens' deny-list. For a
//! refused one: a client-safe error code (never "unavailable": the store cannot fail), and no
//! error text or body that echoes a long token.

#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use authz_core::claims::{Names, RegisteredClaims};
use authz_core::testkit::{TestKey, now};
use authz_core::token::{
    BackChannelLogout, InMemoryRevocation, LogoutError, Revocation, RevocationQuery,
    RevocationStatus,
};
use authz_core::{Algorithm, Claims, TokenError, Validator};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;

const ISS: &str = "https://id.example";
const CLIENT: &str = "reports-web";

/// An access token's claims that ask for nothing, so that the access validator's answer to a
/// logout token depends on the logout event alone.
#[derive(serde::Deserialize)]
struct AnyClaims {
    #[serde(default)]
    sub: Option<String>,
}

impl Claims for AnyClaims {
    const REGISTERED: RegisteredClaims = RegisteredClaims::NONE;

    fn subject(&self) -> Option<&str> {
        self.sub.as_deref()
    }

    fn role_names(&self) -> impl Iterator<Item = &str> {
        Names::EMPTY
    }

    fn permission_names(&self) -> impl Iterator<Item = &str> {
        Names::EMPTY
    }
}

struct Fixture {
    key: TestKey,
    store: Arc<InMemoryRevocation>,
    logout: BackChannelLogout,
    access: Validator,
    rt: tokio::runtime::Runtime,
}

fn validator(key: &TestKey) -> Validator {
    Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(key.verification_key())
        .issuer(ISS)
        .audience(CLIENT)
        .build()
        .expect("validator")
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let key = TestKey::generate(Algorithm::HS256, "k1");
        let store = Arc::new(InMemoryRevocation::new());
        // Seeds carry fixed `iat`s: a maximum age of a century keeps them acceptable.
        let access = Validator::builder()
            .algorithms([Algorithm::HS256])
            .key(key.verification_key())
            .issuer(ISS)
            .audience(CLIENT)
            .revocation_store(store.clone())
            .build()
            .expect("validator");
        let logout = BackChannelLogout::new(validator(&key), &access)
            .expect("a validator with a revocation store")
            .max_age(Duration::from_secs(100 * 365 * 24 * 3600));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        Fixture {
            key,
            store,
            logout,
            access,
            rt,
        }
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn check(f: &Fixture, token: &str, payload: Option<&[u8]>) {
    match f.rt.block_on(f.logout.receive(token)) {
        Ok(done) => {
            assert_eq!(done.issuer(), ISS);
            assert!(done.subject().is_some() || done.session().is_some());
            // What it names is revoked: a token of that user or session issued at 0.
            let query = RevocationQuery::new(None, done.subject(), Some(0), now() + 60);
            let query = match done.session() {
                Some(sid) => query.with_session(sid),
                None => query,
            }
            .with_issuer(ISS);
            assert_eq!(
                f.rt.block_on(f.store.check(query)).expect("in memory"),
                RevocationStatus::Revoked
            );
            // Once only (or expired, if the clock just crossed the end of its window).
            match f.rt.block_on(f.logout.receive(token)) {
                Err(LogoutError::Replayed | LogoutError::Token(TokenError::Expired { .. })) => {}
                Err(LogoutError::NotLogout("the logout token is too old")) => {}
                other => panic!("a logout received twice: {other:?}"),
            }
            // Never an access token, for the reason it exists for.
            match f.rt.block_on(f.access.validate::<AnyClaims>(token)) {
                Err(TokenError::LogoutToken | TokenError::Expired { .. }) => {}
                other => panic!("a logout token as an access token: {:?}", other.err()),
            }
            // Its jti stays out of the access tokens' deny-list.
            let jti = payload
                .and_then(|p| serde_json::from_slice::<serde_json::Value>(p).ok())
                .and_then(|v| v.get("jti").and_then(|j| j.as_str()).map(str::to_owned));
            if let Some(jti) = jti {
                let query = RevocationQuery::new(Some(&jti), None, None, now() + 60);
                assert_eq!(
                    f.rt.block_on(f.store.check(query)).expect("in memory"),
                    RevocationStatus::Active
                );
            }
        }
        Err(error) => {
            assert!(!matches!(error, LogoutError::Unavailable(_)), "{error}");
            assert_eq!(error.error_code(), "invalid_request");
            let _ = error.description();
            if token.len() > 160 {
                assert!(
                    !error.to_string().contains(token),
                    "the error echoes the token"
                );
                assert!(!error.body().contains(token), "the body echoes the token");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 | 1 => check(f, &String::from_utf8_lossy(rest), None),
        2 => {
            let header = br#"{"alg":"HS256","kid":"k1","typ":"logout+jwt"}"#;
            check(
                f,
                &f.key.sign_segments(&b64(header), &b64(rest)),
                Some(rest),
            );
        }
        _ => {
            let (header, payload) = match rest.iter().position(|b| *b == 0) {
                Some(at) => (&rest[..at], &rest[at + 1..]),
                None => (rest, &b""[..]),
            };
            check(
                f,
                &f.key.sign_segments(&b64(header), &b64(payload)),
                Some(payload),
            );
        }
    }
});
