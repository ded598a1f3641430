//! A refused request as data any framework can answer: status, challenge, problem body.

use std::sync::Arc;

use crate::authorize::{Denied, DenyReason};
use crate::requirement::StepUpPolicy;
use crate::token::TokenError;

use super::{PROBLEM_JSON, RETRY_AFTER_SECONDS};

/// A refused request, as data any framework can answer: [`status`](Refusal::status),
/// [`challenge`](Refusal::challenge), [`problem_json`](Refusal::problem_json),
/// [`retry_after`](Refusal::retry_after). Nothing in any of them contains the token.
///
/// Its `Display` is its kind's, and its [`source`](std::error::Error::source) is its kind's
/// source: the error that caused it, if any (a token's validation error, a store's).
#[derive(Debug)]
pub struct Refusal {
    kind: RefusalKind,
    realm: Option<Arc<str>>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.kind.fmt(f)
    }
}

impl std::error::Error for Refusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}

/// The kinds of refusal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefusalKind {
    /// No bearer credentials: 401 with a bare challenge.
    #[error("no bearer credentials")]
    MissingCredentials,
    /// Bearer credentials that break RFC 6750's syntax: 400 `invalid_request`.
    #[error("malformed request: {0}")]
    InvalidRequest(&'static str),
    /// The token failed validation: 401 `invalid_token` (400 or 503 by the error's category).
    #[error("the token was rejected")]
    Token(#[from] TokenError),
    /// A valid caller without the permission: 403 `insufficient_scope` (404 when concealed).
    #[error(transparent)]
    Forbidden(#[from] Denied),
    /// The API key failed verification: 401 `invalid_token` (503 if its store is down).
    #[cfg(feature = "api-keys")]
    #[error("the API key was rejected")]
    ApiKey(#[from] crate::api_key::ApiKeyError),
    /// A state-changing request carried cookie credentials but came from another site (or
    /// could not show where it came from): 403, no challenge. CSRF defence.
    #[error("cross-site request refused: {0}")]
    CrossSite(&'static str),
    /// The rule demands a step-up ([`StepUp`](crate::requirement::StepUp)) the login does not
    /// meet: 401 `insufficient_user_authentication` (RFC 9470) with the `acr_values` and
    /// `max_age` to ask the identity provider for.
    #[error("step-up authentication required: {reason}")]
    StepUp {
        /// What the login lacks, client-safe.
        reason: &'static str,
        /// The policy the login must meet.
        policy: Arc<StepUpPolicy>,
    },
    /// The rule demands a step-up ([`StepUp`](crate::requirement::StepUp)) but the gate has
    /// no step-up policy to decide it ([`Gate::step_up`](crate::Gate::step_up)): 500, a configuration error of the
    /// service, never a pass. Audited at `ERROR`.
    #[error("step-up required but not configured: call Gate::step_up(StepUpPolicy::acr([..]))")]
    StepUpNotConfigured,
    /// A route is declared in a tenant ([`InTenant`](crate::requirement::InTenant)) but the
    /// service cannot scope the caller: the gate's store of role assignments is for another
    /// policy, or the path parameter is missing. 500, a configuration error of the service,
    /// never a pass; the message names the fix. Audited at `ERROR`.
    #[error("{0}")]
    TenantNotConfigured(&'static str),
    /// Issuing an API key in a handler failed (`?` on [`ApiKeys::issue_by`](crate::api_key::ApiKeys::issue_by)):
    /// its [`http_status`](crate::api_key::IssueError::http_status), no challenge.
    #[cfg(feature = "api-keys")]
    #[error("the API key was not issued")]
    Issue(#[source] crate::api_key::IssueError),
    /// Revoking an API key in a handler failed: 403 or 503, no challenge.
    #[cfg(feature = "api-keys")]
    #[error("the API key was not revoked")]
    Revoke(#[source] crate::api_key::RevokeError),
    /// A back-channel logout token was refused (`?` on
    /// [`BackChannelLogout::receive`](crate::token::BackChannelLogout::receive)): 400, no
    /// challenge. The ready endpoints (`Router::backchannel_logout`) answer with the OAuth
    /// error body the specification asks for instead.
    #[error(transparent)]
    Logout(#[from] crate::token::LogoutError),
    /// The application's role assignments could not be read (`?` on
    /// [`Authenticated::in_tenant`](crate::Authenticated::in_tenant)): 503 with `Retry-After`,
    /// never a stale grant. (A caller without a membership is refused as
    /// [`Forbidden`](Self::Forbidden), concealed: 404.)
    #[error("the role assignments are unavailable")]
    Assignments(#[source] crate::assignments::Unavailable),
    /// Granting or revoking a membership in a handler failed (`?` on
    /// [`assignments::manage`](crate::assignments::manage)): 400, 403 or 503, no challenge.
    /// (Another tenant's member is refused as [`Forbidden`](Self::Forbidden), concealed.)
    #[error("the membership was not changed")]
    Membership(#[source] crate::assignments::ChangeError),
}

impl Refusal {
    /// A refusal with a realm for its challenge.
    pub fn new(kind: RefusalKind, realm: Option<Arc<str>>) -> Self {
        Self { kind, realm }
    }

    /// What went wrong.
    pub fn kind(&self) -> &RefusalKind {
        &self.kind
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match &self.kind {
            RefusalKind::MissingCredentials => 401,
            RefusalKind::InvalidRequest(_) => 400,
            RefusalKind::Token(error) => error.category().http_status(),
            RefusalKind::Forbidden(denied) if denied.is_concealed() => 404,
            RefusalKind::Forbidden(_) => 403,
            #[cfg(feature = "api-keys")]
            RefusalKind::ApiKey(error) => error.category().http_status(),
            RefusalKind::StepUp { .. } => 401,
            RefusalKind::StepUpNotConfigured | RefusalKind::TenantNotConfigured(_) => 500,
            RefusalKind::CrossSite(_) => 403,
            #[cfg(feature = "api-keys")]
            RefusalKind::Issue(error) => error.http_status(),
            #[cfg(feature = "api-keys")]
            RefusalKind::Revoke(error) => error.http_status(),
            RefusalKind::Logout(_) => 400,
            RefusalKind::Assignments(_) => 503,
            RefusalKind::Membership(error) => error.http_status(),
        }
    }

    /// The RFC 6750 error code, if the response carries one.
    pub fn error_code(&self) -> Option<&'static str> {
        match &self.kind {
            RefusalKind::MissingCredentials => None,
            RefusalKind::InvalidRequest(_) => Some("invalid_request"),
            RefusalKind::Token(error) => error.category().rfc6750_code(),
            RefusalKind::Forbidden(denied) if denied.is_concealed() => None,
            RefusalKind::Forbidden(denied) if denied.reason().is_scope() => {
                Some("insufficient_scope")
            }
            RefusalKind::Forbidden(_) => None,
            #[cfg(feature = "api-keys")]
            RefusalKind::ApiKey(error) => error.category().rfc6750_code(),
            RefusalKind::StepUp { .. } => Some("insufficient_user_authentication"),
            RefusalKind::StepUpNotConfigured | RefusalKind::TenantNotConfigured(_) => None,
            RefusalKind::CrossSite(_) => None,
            #[cfg(feature = "api-keys")]
            RefusalKind::Issue(_) | RefusalKind::Revoke(_) => None,
            RefusalKind::Logout(error) => Some(error.error_code()),
            RefusalKind::Assignments(_) | RefusalKind::Membership(_) => None,
        }
    }

    /// A short description safe to send to the client.
    pub fn description(&self) -> &'static str {
        match &self.kind {
            RefusalKind::MissingCredentials => "bearer credentials are required",
            RefusalKind::InvalidRequest(reason) => reason,
            RefusalKind::Token(error) => error.description(),
            RefusalKind::Forbidden(denied) if denied.is_concealed() => "not found",
            // Roles in a tenant come from the application's store too: a new token may not help.
            RefusalKind::Forbidden(denied)
                if denied.rule().tenant().is_some() && denied.reason().is_scope() =>
            {
                "the caller's roles in this tenant do not grant what this request requires"
            }
            RefusalKind::Forbidden(denied) => match denied.reason() {
                DenyReason::OtherTenant => "the resource belongs to another tenant",
                DenyReason::SameCreator => "the creator of a resource may not also approve it",
                DenyReason::SeparationOfDuties => {
                    "the credential combines duties that must stay separate"
                }
                DenyReason::Check => "the request is not allowed on this resource",
                _ => "the token does not grant what this request requires",
            },
            #[cfg(feature = "api-keys")]
            RefusalKind::ApiKey(error) => error.description(),
            RefusalKind::StepUp { reason, .. } => reason,
            RefusalKind::StepUpNotConfigured | RefusalKind::TenantNotConfigured(_) => {
                "the service cannot authorize this request"
            }
            RefusalKind::CrossSite(reason) => reason,
            #[cfg(feature = "api-keys")]
            RefusalKind::Issue(error) => error.description(),
            #[cfg(feature = "api-keys")]
            RefusalKind::Revoke(error) => error.description(),
            RefusalKind::Logout(error) => error.description(),
            RefusalKind::Assignments(_) => "the role assignments cannot be read right now",
            RefusalKind::Membership(error) => match error {
                crate::assignments::ChangeError::NotHeld { .. } => {
                    "a caller assigns only roles within its own permissions"
                }
                crate::assignments::ChangeError::InvalidMember(_) => {
                    "the member's subject or tenant is not valid"
                }
                _ => "the role assignments cannot be written right now",
            },
        }
    }

    /// The `WWW-Authenticate` value, if the response carries one: not on 404 and 503, and not
    /// on a 403 no permission would fix (another tenant, four eyes, separation of duties, an
    /// application check), which is no authentication challenge.
    pub fn challenge(&self) -> Option<String> {
        if matches!(self.status(), 404 | 500 | 503) {
            return None;
        }
        if let RefusalKind::Forbidden(denied) = &self.kind
            && !denied.reason().is_scope()
        {
            return None;
        }
        if let RefusalKind::CrossSite(_)
        | RefusalKind::Logout(_)
        | RefusalKind::Assignments(_)
        | RefusalKind::Membership(_) = &self.kind
        {
            return None;
        }
        #[cfg(feature = "api-keys")]
        if let RefusalKind::Issue(_) | RefusalKind::Revoke(_) = &self.kind {
            return None;
        }
        let mut params = Vec::new();
        if let Some(realm) = &self.realm {
            params.push(format!("realm=\"{}\"", quoted(realm)));
        }
        if let Some(code) = self.error_code() {
            params.push(format!("error=\"{code}\""));
            params.push(format!(
                "error_description=\"{}\"",
                quoted(self.description())
            ));
        }
        if let RefusalKind::Forbidden(denied) = &self.kind {
            let scope = denied.rule().scope();
            if !scope.is_empty() {
                params.push(format!("scope=\"{}\"", quoted(&scope)));
            }
        }
        if let RefusalKind::StepUp { policy, .. } = &self.kind {
            if !policy.acr_values().is_empty() {
                params.push(format!(
                    "acr_values=\"{}\"",
                    quoted(&policy.acr_values().join(" "))
                ));
            }
            if let Some(max_age) = policy.max_age_seconds() {
                params.push(format!("max_age={max_age}"));
            }
        }
        Some(if params.is_empty() {
            "Bearer".to_owned()
        } else {
            format!("Bearer {}", params.join(", "))
        })
    }

    /// `Retry-After` seconds, on 503.
    pub fn retry_after(&self) -> Option<u32> {
        (self.status() == 503).then_some(RETRY_AFTER_SECONDS)
    }

    /// The response headers, as (lowercase name, value) pairs: `content-type`
    /// ([`PROBLEM_JSON`]), then `www-authenticate` and `retry-after` when this refusal has
    /// them. An adapter's whole response mapping is the status, a loop over these, and
    /// [`problem_json`](Self::problem_json) as the body.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, String)> {
        [
            Some(("content-type", PROBLEM_JSON.to_owned())),
            self.challenge().map(|c| ("www-authenticate", c)),
            self.retry_after()
                .map(|seconds| ("retry-after", seconds.to_string())),
        ]
        .into_iter()
        .flatten()
    }

    /// The RFC 9457 body, for `Content-Type: application/problem+json`.
    pub fn problem_json(&self) -> String {
        let status = self.status();
        serde_json::json!({
            "type": "about:blank",
            "title": title(status),
            "status": status,
            "detail": self.description(),
        })
        .to_string()
    }
}

impl From<Denied> for Refusal {
    /// For checks made in a handler body (owner checks): the challenge carries no realm.
    fn from(denied: Denied) -> Self {
        Self {
            kind: RefusalKind::from_denied(denied),
            realm: None,
        }
    }
}

impl RefusalKind {
    /// A failed check's refusal: 403 (404 concealed), or the step-up refusals.
    pub(super) fn from_denied(denied: Denied) -> Self {
        match denied.step_up() {
            None => RefusalKind::Forbidden(denied),
            Some((reason, Some(policy))) => RefusalKind::StepUp {
                reason,
                policy: policy.clone(),
            },
            Some((_, None)) => RefusalKind::StepUpNotConfigured,
        }
    }
}

/// For `?` in a handler: each converts to the refusal its kind describes (the adapters'
/// rejections convert from these the same way).
macro_rules! refusal_from {
    ($($(#[$cfg:meta])* $error:ty),*) => {$(
        $(#[$cfg])*
        impl From<$error> for Refusal {
            fn from(error: $error) -> Self {
                Self { kind: RefusalKind::from(error), realm: None }
            }
        }
    )*};
}
#[cfg(feature = "api-keys")]
impl From<crate::api_key::IssueError> for RefusalKind {
    /// A caller lacking the permission for another subject's key is refused as any missing
    /// permission is (403 with the `insufficient_scope` challenge naming it).
    fn from(error: crate::api_key::IssueError) -> Self {
        match error {
            crate::api_key::IssueError::OtherSubject(denied) => Self::from_denied(denied),
            error => Self::Issue(error),
        }
    }
}

#[cfg(feature = "api-keys")]
impl From<crate::api_key::RevokeError> for RefusalKind {
    fn from(error: crate::api_key::RevokeError) -> Self {
        match error {
            crate::api_key::RevokeError::OtherSubject(denied) => Self::from_denied(denied),
            error => Self::Revoke(error),
        }
    }
}

impl From<crate::assignments::TenantError> for RefusalKind {
    /// No membership in the tenant: refused as another tenant's resource is (404, concealed).
    fn from(error: crate::assignments::TenantError) -> Self {
        match error {
            crate::assignments::TenantError::Denied(denied) => Self::from_denied(denied),
            crate::assignments::TenantError::Unavailable(error) => Self::Assignments(error),
        }
    }
}

impl From<crate::assignments::ChangeError> for RefusalKind {
    fn from(error: crate::assignments::ChangeError) -> Self {
        match error {
            crate::assignments::ChangeError::OtherTenant(denied) => Self::from_denied(denied),
            error => Self::Membership(error),
        }
    }
}

refusal_from!(
    #[cfg(feature = "api-keys")]
    crate::api_key::IssueError,
    #[cfg(feature = "api-keys")]
    crate::api_key::RevokeError,
    crate::token::LogoutError,
    crate::assignments::TenantError,
    crate::assignments::ChangeError
);

pub(super) fn title(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// The characters allowed in a quoted-string here: printable ASCII without `"` and `\`.
pub(super) fn quoted(value: &str) -> String {
    value
        .chars()
        .filter(|c| matches!(c, ' '..='~') && *c != '"' && *c != '\\')
        .collect()
}
