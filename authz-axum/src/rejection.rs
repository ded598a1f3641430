//! Why a request was refused, as an axum response: the status, RFC 6750 challenge and RFC 9457
//! problem body that [`authz_core::Refusal`] describes. Nothing in any of them contains the
//! token.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use authz_core::Refusal;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The extractors' rejection: a [`Refusal`] (why, as data: [`kind`](Refusal::kind),
/// [`status`](Refusal::status), ...), answered by the responder `H` (default
/// [`ProblemJson`]). Match on it with `Result<Auth<Authz>, Rejection>` as with axum's own
/// rejections; return it from a handler (`?` on a [`Denied`](authz_core::Denied) owner check) and it answers as
/// the extractors do.
pub struct Rejection<H = ProblemJson> {
    refusal: Refusal,
    responder: PhantomData<fn() -> H>,
}

impl Rejection {
    /// A rejection answered by the default responder, from a [`Refusal`] or a [`Denied`](authz_core::Denied)
    /// check (`Rejection::new(denied).into_response()`). With a responder of your own,
    /// convert with `From` (or `?`) into `Rejection<YourResponder>`.
    pub fn new(refusal: impl Into<Refusal>) -> Self {
        Self::from(refusal.into())
    }
}

impl<H> Rejection<H> {
    /// The refusal.
    pub fn refusal(&self) -> &Refusal {
        &self.refusal
    }

    /// The refusal, owned.
    pub fn into_refusal(self) -> Refusal {
        self.refusal
    }
}

impl<H> Deref for Rejection<H> {
    type Target = Refusal;
    fn deref(&self) -> &Refusal {
        &self.refusal
    }
}

impl<H> fmt::Debug for Rejection<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Rejection").field(&self.refusal).finish()
    }
}

impl<H> fmt::Display for Rejection<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.refusal, f)
    }
}

impl<H> std::error::Error for Rejection<H> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.refusal)
    }
}

impl<H> From<Refusal> for Rejection<H> {
    fn from(refusal: Refusal) -> Self {
        Self {
            refusal,
            responder: PhantomData,
        }
    }
}

// `?` on a failed owner check ([`Denied`](authz_core::Denied)) and on the library's other fallible calls: each
// answers as its `Refusal` describes.
authz_core::refusal_conversions!(Rejection);

impl<H: RefusalResponder> IntoResponse for Rejection<H> {
    fn into_response(self) -> Response {
        H::respond(self.refusal)
    }
}

/// Turns a refusal into a response. The default, [`ProblemJson`], answers as documented on
/// [`Refusal`]; implement this on a type of your own and name it in
/// `Authz<Policy, Claims, YourResponder>` to change bodies or add headers.
pub trait RefusalResponder: Send + Sync + 'static {
    /// The response for `refusal`; by default [`problem_response`].
    fn respond(refusal: Refusal) -> Response {
        problem_response(&refusal)
    }
}

/// The default [`RefusalResponder`]: RFC 6750 challenges and RFC 9457 problem+json bodies.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProblemJson;

impl RefusalResponder for ProblemJson {}

/// The response every adapter gives for `refusal`: its status, `Content-Type:
/// application/problem+json`, the `WWW-Authenticate` challenge and `Retry-After` when it has
/// them, and the problem body. Never contains the token.
pub fn problem_response(refusal: &Refusal) -> Response {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    let mut response = (status, refusal.problem_json()).into_response();
    let headers = response.headers_mut();
    for (name, value) in refusal.headers() {
        if let Ok(value) = HeaderValue::try_from(value) {
            headers.insert(name, value);
        }
    }
    response
}
