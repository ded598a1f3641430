//! Why a request was refused, as an axum response: the status, RFC 6750 challenge and RFC 9457
//! problem body that [`authz_core::Refusal`] describes. Nothing in any of them contains the
//! token.

use std::ops::Deref;

use authz_core::{Denied, Refusal};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// A refused request. Build the response with [`IntoResponse`], or customise it with a
/// [`Responder`]. Dereferences to the framework-agnostic [`Refusal`].
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct AuthRejection(pub Refusal);

impl Deref for AuthRejection {
    type Target = Refusal;
    fn deref(&self) -> &Refusal {
        &self.0
    }
}

impl From<Refusal> for AuthRejection {
    fn from(refusal: Refusal) -> Self {
        Self(refusal)
    }
}

impl From<Denied> for AuthRejection {
    /// For checks made in a handler body (owner checks): the challenge carries no realm.
    fn from(denied: Denied) -> Self {
        Self(denied.into())
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::UNAUTHORIZED);
        let mut response = (status, self.problem_json()).into_response();
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
        if let Some(seconds) = self.retry_after() {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Turns a refusal into a response. The default, [`ProblemJson`], answers as documented on
/// [`Refusal`]; implement this on a type of your own and name it in
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
