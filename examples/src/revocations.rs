//! Token revocation in reports-api: the store (in process, or shared on Redis) and the admin
//! route `POST /admin/revocations`.
//!
//! ```
//! use std::time::Duration;
//! use authz_core::{token::Revocation, token::RevocationQuery, token::RevocationStatus};
//! use authz_examples::{Revocations, RevokeRequest};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let revocations = Revocations::in_memory(Duration::from_secs(3600));
//! let now = authz_core::testkit::now();
//! let request: RevokeRequest = serde_json::from_str(r#"{"jti": "t-1"}"#).unwrap();
//! revocations.revoke(request.validate(now, revocations.max_token_lifetime()).unwrap()).await.unwrap();
//!
//! let stolen = RevocationQuery::new(Some("t-1"), Some("alice"), Some(now), now + 300);
//! assert_eq!(revocations.check(stolen).await.unwrap(), RevocationStatus::Revoked);
//! let other = RevocationQuery::new(Some("t-2"), Some("alice"), Some(now), now + 300);
//! assert_eq!(revocations.check(other).await.unwrap(), RevocationStatus::Active);
//!
//! // Neither a jti nor a subject: refused with 422.
//! let empty: RevokeRequest = serde_json::from_str("{}").unwrap();
//! assert_eq!(empty.validate(now, revocations.max_token_lifetime()).unwrap_err().status(), 422);
//! # });
//! ```

use std::sync::Arc;
use std::time::Duration;

use authz_axum::core::gate::RETRY_AFTER_SECONDS;
use authz_core::{
    Authenticated, api_key::ApiKeys, audit::AUDIT_TARGET, require, store::RedisRevocation,
    token::BoxFuture, token::DEFAULT_LEEWAY, token::DEFAULT_MAX_TOKEN_LEN,
    token::InMemoryRevocation, token::Revocation, token::RevocationError, token::RevocationQuery,
    token::RevocationStatus,
};
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::{Authz, ReportsClaims, reports};

const SHAPE: &str = r#"expected {"jti": "..."} or {"sub": "...", "before": <unix seconds>}"#;

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Where reports-api keeps revocations: in this process, or on Redis, shared by every
/// instance that uses the same server. Give the same value (it is cheap to clone) to the
/// validator (`ValidatorBuilder::revocation`), to the API keys (`ApiKeys::revocation`) and to
/// [`AppState`](crate::AppState).
#[derive(Debug, Clone)]
pub struct Revocations {
    backend: Backend,
    max_token_lifetime: u64,
}

#[derive(Debug, Clone)]
enum Backend {
    Memory(Arc<InMemoryRevocation>),
    Redis(RedisRevocation),
}

/// A revocation to make, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoke {
    /// The token with this `jti`.
    Jti(String),
    /// Every token of `sub` issued before `before` (unix seconds), and those without `iat`.
    Subject {
        /// The subject.
        sub: String,
        /// The cut-off, unix seconds.
        before: u64,
    },
}

impl Revocations {
    /// Revocations kept in this process only. `max_token_lifetime` is the longest life of a
    /// token the validator accepts (its `max_age`): revocation entries are kept that long.
    pub fn in_memory(max_token_lifetime: Duration) -> Self {
        Self {
            backend: Backend::Memory(Arc::new(InMemoryRevocation::new())),
            max_token_lifetime: max_token_lifetime.as_secs(),
        }
    }

    /// Revocations on Redis, shared by every instance using `store`'s server and prefix.
    pub fn redis(store: RedisRevocation, max_token_lifetime: Duration) -> Self {
        Self {
            backend: Backend::Redis(store),
            max_token_lifetime: max_token_lifetime.as_secs(),
        }
    }

    /// `true` when revocations are shared on Redis.
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Redis(_))
    }

    /// The longest token lifetime entries are kept for, in seconds.
    pub fn max_token_lifetime(&self) -> u64 {
        self.max_token_lifetime
    }

    /// Records a revocation. A `jti` is kept until any token that could carry it has expired:
    /// issued now at the latest (or up to the leeway ahead, by a fast clock), so for the max
    /// lifetime plus the leeway. A subject is kept until the last token issued before the
    /// cut-off has expired.
    pub async fn revoke(&self, revoke: Revoke) -> Result<(), RevocationError> {
        let now = unix_now();
        let lifetime = self.max_token_lifetime;
        match (&self.backend, revoke) {
            (Backend::Memory(store), Revoke::Jti(jti)) => {
                store.revoke_jti(jti, now + lifetime + DEFAULT_LEEWAY.as_secs());
                Ok(())
            }
            (Backend::Memory(store), Revoke::Subject { sub, before }) => {
                store.revoke_subject(sub, before, before.saturating_add(lifetime));
                Ok(())
            }
            (Backend::Redis(store), Revoke::Jti(jti)) => {
                store
                    .revoke_jti(&jti, now + lifetime + DEFAULT_LEEWAY.as_secs())
                    .await
            }
            (Backend::Redis(store), Revoke::Subject { sub, before }) => {
                store
                    .revoke_subject(&sub, before, before.saturating_add(lifetime))
                    .await
            }
        }
    }
}

impl Revocation for Revocations {
    fn check<'a>(
        &'a self,
        token: RevocationQuery<'a>,
    ) -> BoxFuture<'a, Result<RevocationStatus, RevocationError>> {
        match &self.backend {
            Backend::Memory(store) => store.check(token),
            Backend::Redis(store) => store.check(token),
        }
    }

    fn check_now(
        &self,
        token: &RevocationQuery<'_>,
    ) -> Option<Result<RevocationStatus, RevocationError>> {
        match &self.backend {
            Backend::Memory(store) => store.check_now(token),
            Backend::Redis(store) => store.check_now(token),
        }
    }
}

/// The body of `POST /admin/revocations`: `{"jti": "..."}`, or
/// `{"sub": "...", "before": <unix seconds>}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// Revoke the token with this `jti`.
    #[serde(default)]
    pub jti: Option<String>,
    /// Revoke the tokens of this subject issued before `before`.
    #[serde(default)]
    pub sub: Option<String>,
    /// The cut-off for `sub`, unix seconds.
    #[serde(default)]
    pub before: Option<u64>,
}

impl RevokeRequest {
    /// The revocation asked for, or why the body is refused (422). `before` may be in the
    /// future (refusing tokens issued soon, too), by at most `max_lifetime` seconds.
    pub fn validate(self, now: u64, max_lifetime: u64) -> Result<Revoke, Problem> {
        let id = |name: &str, value: String| {
            if value.is_empty() || value.len() > DEFAULT_MAX_TOKEN_LEN {
                Err(Problem::unprocessable(format!(
                    "`{name}` must be 1 to {DEFAULT_MAX_TOKEN_LEN} bytes long"
                )))
            } else {
                Ok(value)
            }
        };
        match (self.jti, self.sub, self.before) {
            (Some(jti), None, None) => Ok(Revoke::Jti(id("jti", jti)?)),
            (None, Some(sub), Some(before)) => {
                if before > now.saturating_add(max_lifetime) {
                    return Err(Problem::unprocessable(
                        "`before` is further in the future than the longest token lifetime",
                    ));
                }
                Ok(Revoke::Subject {
                    sub: id("sub", sub)?,
                    before,
                })
            }
            (None, Some(_), None) => Err(Problem::unprocessable(
                "`sub` needs `before` (unix seconds)",
            )),
            _ => Err(Problem::unprocessable(SHAPE)),
        }
    }
}

/// An RFC 9457 problem+json answer of the admin route.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    detail: String,
}

impl Problem {
    /// A problem with this status and client-safe detail.
    pub(crate) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
        }
    }

    /// A body that could not be read as JSON of the expected `shape`: 400 for a body that is
    /// not JSON, 422 for JSON of the wrong shape, 415 without a JSON content type. serde's
    /// message is not passed on: it quotes the offending value, which may be a pasted token.
    pub(crate) fn bad_body(rejection: &JsonRejection, shape: &str) -> Self {
        let detail = match rejection {
            JsonRejection::JsonSyntaxError(_) => "the body is not valid JSON",
            JsonRejection::JsonDataError(_) => shape,
            JsonRejection::MissingJsonContentType(_) => "expected Content-Type: application/json",
            _ => "the body could not be read",
        };
        Self::new(rejection.status(), detail)
    }

    fn unprocessable(detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: detail.into(),
        }
    }

    /// Its HTTP status.
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }
}

impl From<JsonRejection> for Problem {
    fn from(rejection: JsonRejection) -> Self {
        Self::bad_body(&rejection, SHAPE)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = serde_json::json!({
            "type": "about:blank", "title": title, "status": self.status.as_u16(),
            "detail": self.detail,
        });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        response
    }
}

/// `POST /admin/revocations`: 204 once recorded; 400, 415 or 422 for a bad body; 503 when the
/// store cannot be written. A subject revocation also revokes, for good, the subject's API keys
/// created before the cut-off (the revocation entry itself is forgotten once the tokens it
/// names have expired; keys may live longer). With `AUTHZ_STEP_UP_ACR` set: 401
/// `insufficient_user_authentication` for a login that is not fresh or strong enough.
#[require(crate::RevokeTokens)]
pub(crate) async fn revoke(
    caller: Authenticated<reports::Policy, ReportsClaims>,
    State(revocations): State<Revocations>,
    State(api_keys): State<ApiKeys>,
    body: Result<Json<RevokeRequest>, JsonRejection>,
) -> Result<StatusCode, Problem> {
    let Json(request) = body?;
    let revoke = request.validate(unix_now(), revocations.max_token_lifetime())?;
    let unavailable = |what: &str| Problem {
        status: StatusCode::SERVICE_UNAVAILABLE,
        detail: format!("the {what} store is unavailable; retry later"),
    };
    revocations.revoke(revoke.clone()).await.map_err(|e| {
        tracing::error!(error = %e, "revocation not recorded");
        unavailable("revocation")
    })?;
    // Recorded first: from here the keys are refused at once (`ApiKeys::revocation`); marking
    // them is what outlasts the entry. A retry after a failure repeats both, harmlessly.
    let keys_revoked = match &revoke {
        Revoke::Subject { sub, before } => {
            api_keys.revoke_subject(sub, *before).await.map_err(|e| {
                tracing::error!(error = %e, "api keys of a revoked subject not revoked");
                unavailable("key")
            })?
        }
        Revoke::Jti(_) => 0,
    };
    // A `jti` is not logged: an admin may have pasted a whole token into it.
    let (kind, sub, before) = match &revoke {
        Revoke::Jti(_) => ("jti", "", None),
        Revoke::Subject { sub, before } => ("subject", sub.as_str(), Some(*before)),
    };
    tracing::info!(
        target: AUDIT_TARGET,
        event = "revocation",
        kind,
        sub = ?sub,
        before,
        api_keys_revoked = keys_revoked,
        actor = ?caller.subject().unwrap_or(""),
        actor_issuer = ?caller.issuer().unwrap_or(""),
        actor_key_id = caller.api_key().map_or("", |key| key.id()),
        "revocation recorded"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// The store a back-channel logout writes to: the same backend as `POST /admin/revocations`,
/// so that the validator (and, on Redis, every instance) refuses what a logout revokes.
impl authz_core::token::RevocationStore for Revocations {
    fn revoke_jti<'a>(
        &'a self,
        jti: &'a str,
        exp: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        self.store().revoke_jti(jti, exp)
    }

    fn revoke_subject_of<'a>(
        &'a self,
        iss: &'a str,
        sub: &'a str,
        issued_before: u64,
        until: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        self.store()
            .revoke_subject_of(iss, sub, issued_before, until)
    }

    fn revoke_session<'a>(
        &'a self,
        iss: &'a str,
        sid: &'a str,
        issued_before: u64,
        until: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        self.store().revoke_session(iss, sid, issued_before, until)
    }

    fn logout_received<'a>(
        &'a self,
        iss: &'a str,
        jti: &'a str,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        self.store().logout_received(iss, jti)
    }

    fn record_logout<'a>(
        &'a self,
        iss: &'a str,
        jti: &'a str,
        until: u64,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        self.store().record_logout(iss, jti, until)
    }
}

impl Revocations {
    /// The backend, as a store the library writes to.
    fn store(&self) -> &dyn authz_core::token::RevocationStore {
        match &self.backend {
            Backend::Memory(store) => store.as_ref(),
            Backend::Redis(store) => store,
        }
    }
}
