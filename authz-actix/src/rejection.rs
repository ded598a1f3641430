//! Why a request was refused, as an actix-web response: the status, RFC 6750 challenge and RFC
//! 9457 problem body that [`authz_core::Refusal`] describes. Nothing in any of them contains
//! the token.

use std::fmt;
use std::marker::PhantomData;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use authz_core::Refusal;

/// The extractors' error: a [`Refusal`] (why, as data: [`kind`](Refusal::kind),
/// [`status`](Refusal::status), ...), answered by the responder `H` (default
/// [`ProblemJson`]) through actix-web's [`ResponseError`]. Return it from a handler (`?` on a
/// [`Denied`](authz_core::Denied) owner check) and it answers as the extractors do.
///
/// One more case is no refusal: the app has no [`Gate`](authz_core::Gate) in its app data
/// (`App::app_data(web::Data::new(gate))` was forgotten), answered 500 without a body.
pub struct Rejection<H = ProblemJson> {
    refusal: Option<Refusal>,
    responder: PhantomData<fn() -> H>,
}

impl Rejection {
    /// A rejection answered by the default responder, from a [`Refusal`] or a [`Denied`](authz_core::Denied)
    /// check. With a responder of your own, convert with `From` (or `?`).
    pub fn new(refusal: impl Into<Refusal>) -> Self {
        Self::from(refusal.into())
    }
}

impl<H> Rejection<H> {
    /// The refusal; `None` when the app data holds no gate.
    pub fn refusal(&self) -> Option<&Refusal> {
        self.refusal.as_ref()
    }

    /// The refusal, owned; `None` when the app data holds no gate.
    pub fn into_refusal(self) -> Option<Refusal> {
        self.refusal
    }

    pub(crate) fn no_gate() -> Self {
        Self {
            refusal: None,
            responder: PhantomData,
        }
    }
}

impl<H> fmt::Debug for Rejection<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Rejection").field(&self.refusal).finish()
    }
}

impl<H> fmt::Display for Rejection<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.refusal {
            Some(refusal) => fmt::Display::fmt(refusal, f),
            None => {
                f.write_str("authz: no Gate in the app data (App::app_data(web::Data::new(gate)))")
            }
        }
    }
}

impl<H> std::error::Error for Rejection<H> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.refusal.as_ref().and_then(std::error::Error::source)
    }
}

impl<H> From<Refusal> for Rejection<H> {
    fn from(refusal: Refusal) -> Self {
        Self {
            refusal: Some(refusal),
            responder: PhantomData,
        }
    }
}

// `?` on a failed owner check ([`Denied`](authz_core::Denied)) and on the library's other fallible calls: each
// answers as its `Refusal` describes.
authz_core::refusal_conversions!(Rejection);

impl<H: RefusalResponder> ResponseError for Rejection<H> {
    fn status_code(&self) -> StatusCode {
        self.refusal
            .as_ref()
            .and_then(|refusal| StatusCode::from_u16(refusal.status()).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match &self.refusal {
            Some(refusal) => H::respond(refusal),
            None => HttpResponse::InternalServerError().finish(),
        }
    }
}

/// Turns a refusal into a response. The default, [`ProblemJson`], answers as documented on
/// [`Refusal`]; implement this on a type of your own and name it in
/// `Authz<Policy, Claims, YourResponder>` to change bodies or add headers.
pub trait RefusalResponder: 'static {
    /// The response for `refusal`; by default [`problem_response`].
    fn respond(refusal: &Refusal) -> HttpResponse {
        problem_response(refusal)
    }
}

/// The default [`RefusalResponder`]: RFC 6750 challenges and RFC 9457 problem+json bodies.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProblemJson;

impl RefusalResponder for ProblemJson {}

/// The response every adapter gives for `refusal`: its status, then its headers
/// ([`Refusal::headers`]: `Content-Type: application/problem+json`, the `WWW-Authenticate`
/// challenge and `Retry-After` when it has them), and the problem body. Never contains the
/// token.
pub fn problem_response(refusal: &Refusal) -> HttpResponse {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    let mut response = HttpResponse::build(status);
    for header in refusal.headers() {
        response.insert_header(header);
    }
    response.body(refusal.problem_json())
}
