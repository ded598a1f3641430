//! OpenID Connect Back-Channel Logout 1.0, the receiving side: the identity provider posts a
//! logout token when a user logs out (or an administrator ends a session), and every access
//! token of that session (`sid`), or of that user (`sub`), issued before is refused from then
//! on, by every instance that shares the revocation store.
//!
//! ```
//! use authz_core::testkit::{TestKey, now};
//! use authz_core::token::{BackChannelLogout, InMemoryRevocation, Revocation, RevocationQuery};
//! use authz_core::{Algorithm, Validator};
//! use std::sync::Arc;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let key = TestKey::generate(Algorithm::RS256, "k1");
//! // Logout tokens are addressed to this service's OAuth client id, signed with the issuer's
//! // keys: the same keys as its access tokens, another audience.
//! let revocations = Arc::new(InMemoryRevocation::new());
//! let validator = |audience: &str| {
//!     Validator::builder()
//!         .algorithms([Algorithm::RS256])
//!         .key(key.verification_key())
//!         .issuer("https://id.example")
//!         .audience(audience)
//! };
//! // The access tokens' validator consults the store...
//! let access = validator("reports-api").revocation_store(revocations.clone()).build().unwrap();
//! // ...and the receiver writes to it: the store is given once.
//! let logout = BackChannelLogout::new(validator("reports-web").build().unwrap(), &access).unwrap();
//!
//! let token = key.sign(
//!     &serde_json::json!({ "alg": "RS256", "kid": "k1", "typ": "logout+jwt" }),
//!     &serde_json::json!({
//!         "iss": "https://id.example", "aud": "reports-web", "sub": "ann",
//!         "iat": now(), "exp": now() + 120, "jti": "bcl-1",
//!         "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
//!     }),
//! );
//! let done = logout.receive(&token).await.unwrap();
//! assert_eq!(done.subject(), Some("ann"));
//! // Ann's access tokens issued before the logout are refused now.
//! let older = RevocationQuery::new(None, Some("ann"), Some(now() - 60), now() + 600)
//!     .with_issuer("https://id.example");
//! assert!(revocations.check(older).await.unwrap() == authz_core::token::RevocationStatus::Revoked);
//! // The same logout token again is a replay.
//! assert!(logout.receive(&token).await.is_err());
//! # });
//! ```

use core::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::revocation::{RevocationError, RevocationStore};
use super::{TokenError, Validator};
use crate::claims::{Claims, Names, RegisteredClaims};

/// The `events` member that makes a JWT a logout token.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A back-channel logout receiver asked of an access-token validator without a revocation
/// store: a logout would be answered 200 while the tokens it names stay valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "back-channel logout needs the revocation store the access-token validator consults: give it with ValidatorBuilder::revocation_store(store)"
)]
pub struct LogoutWithoutStore;

/// Receives back-channel logout tokens: verifies each (OpenID Connect Back-Channel Logout 1.0
/// section 2.6) and revokes what it names through a [`RevocationStore`]. Cheap to clone.
///
/// A logout token is accepted when the validator accepts it (signature with the issuer's keys,
/// `iss`, `aud` = this client, `exp`, `iat`) and it has a `jti`, an `iat` at most
/// [`max_age`](Self::max_age) old, `events` with [`BACKCHANNEL_LOGOUT_EVENT`], a `sub` or a
/// `sid`, no `nonce` (which only ID tokens carry, so an ID token cannot pass for a logout
/// token), and, when it has one, the header `typ` `logout+jwt`; `events` must be an object
/// whose [`BACKCHANNEL_LOGOUT_EVENT`] member is an object too (section 2.4). The validator's
/// revocation hook is not consulted for a logout token, and no access-token check accepts one
/// (such a token is refused there with [`TokenError::LogoutToken`]).
///
/// Replays: a logout token of an issuer whose `jti` was received before is refused. The store
/// keeps a replay marker per (issuer, `jti`), in a key space of its own (never the access
/// tokens' `jti` deny-list), until the token would be refused anyway: its `exp` plus the
/// validator's leeway, or its `iat` plus [`max_age`](Self::max_age), whichever comes first.
/// The marker is written **after** the revocations: if the store fails in between, the logout
/// is answered `temporarily_unavailable` and the provider's retry is accepted, never refused
/// as a replay.
///
/// What is revoked, at the token's issuer:
/// - with a `sid`, every token of that session, whenever issued (section 2.6: the session
///   the logout names);
/// - with a `sub`, every token of that user issued up to the logout (its `iat`, clamped to
///   this clock's present, so that an `iat` ahead of this clock cannot revoke a login made
///   after the logout);
/// - with both, both: the session's tokens **and every token of the user issued up to the
///   logout, in any session**. Access tokens carry `sid` only if the identity provider puts
///   it there (Keycloak does); one without a `sid` cannot be told apart by session, so the
///   user's other sessions end too. Send `sid` alone to end one session exactly, when every
///   access token carries `sid`.
#[derive(Clone)]
pub struct BackChannelLogout {
    validator: Validator,
    store: Arc<dyn RevocationStore>,
    max_age: u64,
    token_lifetime: u64,
}

impl fmt::Debug for BackChannelLogout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackChannelLogout")
            .field("validator", &self.validator)
            .field("max_age", &self.max_age)
            .field("token_lifetime", &self.token_lifetime)
            .finish_non_exhaustive()
    }
}

/// What a logout token named, once its revocations are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logout {
    issuer: String,
    subject: Option<String>,
    session: Option<String>,
}

impl Logout {
    /// The issuer that sent the logout.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The user logged out, if the token named one.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// The session logged out, if the token named one.
    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }
}

/// Why a logout token was refused. Every kind is answered with 400 and an OAuth error body
/// ([`body`](Self::body)), as section 2.8 asks; none echoes the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogoutError {
    /// The validator refused it (signature, issuer, audience, expiry, ...).
    #[error("logout token rejected")]
    Token(#[from] TokenError),
    /// A valid JWT, but not a logout token: the reason is client-safe.
    #[error("not a logout token: {0}")]
    NotLogout(&'static str),
    /// This logout token was received before.
    #[error("logout token replayed")]
    Replayed,
    /// The revocation store could not be read or written; the logout did not happen.
    #[error("the revocation store is unavailable")]
    Unavailable(#[from] RevocationError),
}

impl LogoutError {
    /// The OAuth error code of the response body: `invalid_request`, or
    /// `temporarily_unavailable` when the store failed (the provider may retry).
    pub fn error_code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "temporarily_unavailable",
            _ => "invalid_request",
        }
    }

    /// A description safe to send back.
    pub fn description(&self) -> &'static str {
        match self {
            Self::Token(error) => error.description(),
            Self::NotLogout(reason) => reason,
            Self::Replayed => "the logout token was received before",
            Self::Unavailable(_) => "the logout could not be stored; try again",
        }
    }

    /// The JSON body of the 400 answer: `{"error": ..., "error_description": ...}`.
    pub fn body(&self) -> String {
        serde_json::json!({
            "error": self.error_code(),
            "error_description": self.description(),
        })
        .to_string()
    }
}

/// The members of a logout token beyond the registered ones.
#[derive(Deserialize)]
struct LogoutClaims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    events: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    nonce: Option<IgnoredAny>,
}

impl Claims for LogoutClaims {
    // `sub` is optional here (a logout may name only a session).
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

impl BackChannelLogout {
    /// Logout tokens checked by `logout_tokens` (configured with the identity provider's
    /// issuer and keys, and this service's client id as the audience), revocations written to
    /// the store that `access_tokens`, the validator of this service's access tokens,
    /// consults ([`ValidatorBuilder::revocation_store`](super::ValidatorBuilder::revocation_store)):
    /// every instance sharing that store refuses the tokens a logout names. There is no way
    /// to give the receiver a store of its own, so a logout cannot be answered 200 while the
    /// tokens it names stay valid. [`Gate::backchannel_logout`](crate::Gate::backchannel_logout)
    /// calls this with the gate's validator.
    ///
    /// Refused when `access_tokens` has no revocation store (only a read-only
    /// [`revocation`](super::ValidatorBuilder::revocation) hook, or none). Defaults: a logout
    /// token at most 2 minutes old, access tokens living at most a day.
    pub fn new(
        logout_tokens: Validator,
        access_tokens: &Validator,
    ) -> Result<Self, LogoutWithoutStore> {
        let store = access_tokens.revocation_store().ok_or(LogoutWithoutStore)?;
        Ok(Self {
            validator: logout_tokens,
            store,
            max_age: 120,
            token_lifetime: 24 * 3600,
        })
    }

    /// The oldest logout token accepted, by its `iat` (default 2 minutes).
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age.as_secs();
        self
    }

    /// How long the access tokens of a logged-out session can still be valid: the revocation
    /// entries live this long (default a day). Give the identity provider's longest access
    /// token lifetime.
    #[must_use]
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime.as_secs();
        self
    }

    /// Verifies `logout_token` and revokes what it names.
    pub async fn receive(&self, logout_token: &str) -> Result<Logout, LogoutError> {
        let validated = self
            .validator
            .validate_logout::<LogoutClaims>(logout_token)
            .await?;
        if validated
            .typ()
            .is_some_and(|typ| !typ.eq_ignore_ascii_case("logout+jwt"))
            && !validated
                .typ()
                .is_some_and(|typ| typ.eq_ignore_ascii_case("application/logout+jwt"))
        {
            return Err(LogoutError::NotLogout("the token's typ is not logout+jwt"));
        }
        let claims = &validated.claims;
        if claims.nonce.is_some() {
            return Err(LogoutError::NotLogout("a logout token carries no nonce"));
        }
        let Some(event) = claims
            .events
            .as_ref()
            .and_then(|events| events.get(BACKCHANNEL_LOGOUT_EVENT))
        else {
            return Err(LogoutError::NotLogout(
                "the token's events do not name a back-channel logout",
            ));
        };
        if !event.is_object() {
            return Err(LogoutError::NotLogout(
                "the back-channel logout event's value is not an object",
            ));
        }
        if claims.sub.is_none() && claims.sid.is_none() {
            return Err(LogoutError::NotLogout(
                "a logout token names a sub or a sid",
            ));
        }
        let Some(jti) = validated.jwt_id() else {
            return Err(LogoutError::NotLogout("a logout token has a jti"));
        };
        let Some(iat) = validated.issued_at() else {
            return Err(LogoutError::NotLogout("a logout token has an iat"));
        };
        let now = self.validator.clock().unix_now();
        if now.saturating_sub(iat) > self.max_age {
            return Err(LogoutError::NotLogout("the logout token is too old"));
        }
        let Some(issuer) = validated.issuer() else {
            return Err(LogoutError::NotLogout("a logout token has an iss"));
        };

        // A replay: the marker of (issuer, jti), in its own key space. Checked first so that a
        // replay stores nothing; set last (atomically, below) so that a logout whose
        // revocations failed half-way is not refused when the provider retries.
        if self.store.logout_received(issuer, jti).await? {
            return Err(LogoutError::Replayed);
        }

        let until = now.saturating_add(self.token_lifetime);
        if let Some(sid) = &claims.sid {
            // Every token of the session, whenever issued.
            self.store.revoke_session(issuer, sid, until, until).await?;
        }
        if let Some(sub) = &claims.sub {
            // Every token of the user issued up to the logout (including its second), but not
            // past this clock's present: an `iat` ahead of it (accepted within the leeway)
            // must not revoke a login made after the logout. With a `sid` too, the user's
            // tokens without one would otherwise stay valid (see the type's docs).
            let issued_before = iat.min(now).saturating_add(1);
            self.store
                .revoke_subject_of(issuer, sub, issued_before, until)
                .await?;
        }

        // The token is refused from the first second past its `exp` plus the leeway, or past
        // `iat` plus the maximum age: the marker is needed until then, no longer.
        let refused_from = validated
            .expires_at()
            .saturating_add(self.validator.leeway())
            .min(iat.saturating_add(self.max_age).saturating_add(1));
        if !self.store.record_logout(issuer, jti, refused_from).await? {
            // Another receipt of this token came first (its revocations, identical, stand).
            return Err(LogoutError::Replayed);
        }
        Ok(Logout {
            issuer: issuer.to_owned(),
            subject: claims.sub.clone(),
            session: claims.sid.clone(),
        })
    }
}
