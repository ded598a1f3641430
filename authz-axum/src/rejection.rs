//! Why a request was refused, and the response that says so: RFC 6750 challenges in
//! `WWW-Authenticate` and an RFC 9457 `application/problem+json` body. Nothing in either ever
//! contains the token.

use std::sync::Arc;

use authz_core::{Denied, TokenError};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Seconds a client is asked to wait when a dependency (keys, revocation store) is down.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// A refused request. Build the response with [`IntoResponse`], or customise it with a
/// [`Responder`](crate::Responder).
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct AuthRejection {
    kind: RejectionKind,
    realm: Option<Arc<str>>,
}

/// The kinds of refusal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RejectionKind {
    /// No bearer credentials: 401 with a bare challenge.
    #[error("no bearer credentials")]
    MissingCredentials,
    /// Bearer credentials that break RFC 6750's syntax: 400 `invalid_request`.
    #[error("malformed request: {0}")]
    InvalidRequest(&'static str),
    /// The token failed validation: 401 `invalid_token` (400 or 503 by the error's category).
    #[error("token rejected: {0}")]
    Token(#[from] TokenError),
    /// A valid caller without the permission: 403 `insufficient_scope` (404 when concealed).
    #[error("{0}")]
    Forbidden(#[from] Denied),
    /// The API key failed verification: 401 `invalid_token` (503 if its store is down).
    #[cfg(feature = "api-keys")]
    #[error("api key rejected: {0}")]
    ApiKey(#[from] authz_core::ApiKeyError),
}

impl AuthRejection {
    pub(crate) fn new(kind: RejectionKind, realm: Arc<str>) -> Self {
        Self {
            kind,
            realm: Some(realm),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &RejectionKind {
        &self.kind
    }

    /// The HTTP status of the default response.
    pub fn status(&self) -> StatusCode {
        match &self.kind {
            RejectionKind::MissingCredentials => StatusCode::UNAUTHORIZED,
            RejectionKind::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            // Fail closed: a category this crate does not know yet answers 401.
            RejectionKind::Token(error) => StatusCode::from_u16(error.category().http_status())
                .unwrap_or(StatusCode::UNAUTHORIZED),
            RejectionKind::Forbidden(denied) if denied.is_concealed() => StatusCode::NOT_FOUND,
            RejectionKind::Forbidden(_) => StatusCode::FORBIDDEN,
            #[cfg(feature = "api-keys")]
            RejectionKind::ApiKey(error) => StatusCode::from_u16(error.category().http_status())
                .unwrap_or(StatusCode::UNAUTHORIZED),
        }
    }

    /// The RFC 6750 error code, if the response carries one.
    pub fn error_code(&self) -> Option<&'static str> {
        match &self.kind {
            RejectionKind::MissingCredentials => None,
            RejectionKind::InvalidRequest(_) => Some("invalid_request"),
            RejectionKind::Token(error) => error.category().rfc6750_code(),
            RejectionKind::Forbidden(denied) if denied.is_concealed() => None,
            RejectionKind::Forbidden(_) => Some("insufficient_scope"),
            #[cfg(feature = "api-keys")]
            RejectionKind::ApiKey(error) => error.category().rfc6750_code(),
        }
    }

    /// A short description safe to send to the client.
    pub fn description(&self) -> &'static str {
        match &self.kind {
            RejectionKind::MissingCredentials => "bearer credentials are required",
            RejectionKind::InvalidRequest(reason) => reason,
            RejectionKind::Token(error) => error.description(),
            RejectionKind::Forbidden(denied) if denied.is_concealed() => "not found",
            RejectionKind::Forbidden(_) => "the token does not grant what this request requires",
            #[cfg(feature = "api-keys")]
            RejectionKind::ApiKey(error) => error.description(),
        }
    }

    /// The `WWW-Authenticate` value, if the response carries one.
    pub fn challenge(&self) -> Option<String> {
        let code = self.error_code();
        if matches!(
            self.status(),
            StatusCode::NOT_FOUND | StatusCode::SERVICE_UNAVAILABLE
        ) {
            return None;
        }
        let mut params = Vec::new();
        if let Some(realm) = &self.realm {
            params.push(format!("realm=\"{}\"", quoted(realm)));
        }
        if let Some(code) = code {
            params.push(format!("error=\"{code}\""));
            params.push(format!(
                "error_description=\"{}\"",
                quoted(self.description())
            ));
        }
        if let RejectionKind::Forbidden(denied) = &self.kind {
            let scope = denied.rule().scope();
            if !scope.is_empty() {
                params.push(format!("scope=\"{}\"", quoted(&scope)));
            }
        }
        Some(if params.is_empty() {
            "Bearer".to_owned()
        } else {
            format!("Bearer {}", params.join(", "))
        })
    }
}

impl From<Denied> for AuthRejection {
    /// For checks made in a handler body (owner checks): the response carries no realm.
    fn from(denied: Denied) -> Self {
        Self {
            kind: RejectionKind::Forbidden(denied),
            realm: None,
        }
    }
}

/// The characters allowed in a quoted-string here: printable ASCII without `"` and `\`.
fn quoted(value: &str) -> String {
    value
        .chars()
        .filter(|c| matches!(c, ' '..='~') && *c != '"' && *c != '\\')
        .collect()
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": self.description(),
        });
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(challenge) = self
            .challenge()
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            headers.insert(WWW_AUTHENTICATE, challenge);
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        response
    }
}

/// Turns a refusal into a response. The default, [`ProblemJson`], answers as documented on
/// [`AuthRejection`]; implement this on a type of your own and name it in
/// `Authz<Policy, Claims, YourResponder>` to change bodies or add headers.
pub trait Responder: Send + Sync + 'static {
    /// The response for `rejection`.
    fn respond(rejection: AuthRejection) -> Response {
        rejection.into_response()
    }
}

/// The default [`Responder`]: RFC 6750 challenges and RFC 9457 problem+json bodies.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProblemJson;

impl Responder for ProblemJson {}
