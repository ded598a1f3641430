//! The extractors: [`Auth`] authenticates; [`MaybeAuth`] is an optional caller that still
//! refuses bad credentials; the guard behind `#[require]` ([`Require`]) also checks a
//! requirement and yields the proof; [`Public`] checks nothing but says so.

use std::fmt;
use std::future::{Future, Ready, ready};
use std::ops::Deref;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, web};
use authz_core::gate::RequestHeaders;
use authz_core::{Adapter, Authenticated, Claims, Gate, Policy, Requirement};
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use crate::rejection::{ProblemJson, RefusalResponder, Rejection};

authz_core::adapter_types!(
    crate_name = "authz_actix",
    responder = RefusalResponder,
    default_responder = ProblemJson,
    auth_note = "For an optional caller use [`MaybeAuth`], never `Option<Auth<A>>`: actix-web turns every error of an `Option`'s extractor into `None`, so a forged token would be served as no caller at all.",
);

/// The actix-web side of an [`Adapter`]: how refusals are answered.
pub trait ActixAdapter:
    Adapter<Policy: 'static, Claims: DeserializeOwned + Send + Sync + 'static> + 'static
{
    /// Turns refusals into responses.
    type Responder: RefusalResponder;
}

impl<P, C, H> ActixAdapter for Authz<P, C, H>
where
    P: Policy + 'static,
    C: Claims + DeserializeOwned + Send + Sync + 'static,
    H: RefusalResponder,
{
    type Responder = H;
}

type Caller<A> = Authenticated<<A as Adapter>::Policy, <A as Adapter>::Claims>;
type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// The request as the gate reads it: method and header values.
struct Request<'a>(&'a HttpRequest);

impl RequestHeaders for Request<'_> {
    fn method(&self) -> &str {
        self.0.method().as_str()
    }

    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> {
        // The names the gate reads on every request as constants: looked up by text, a name
        // is parsed again on each call.
        let headers = self.0.headers();
        let values = match name {
            "authorization" => headers.get_all(header::AUTHORIZATION),
            "cookie" => headers.get_all(header::COOKIE),
            _ => headers.get_all(name),
        };
        values.map(|value| value.as_bytes())
    }
}

/// The gate, from the app data: `web::Data<Gate>` or a plain `Gate`.
fn gate<H>(request: &HttpRequest) -> Result<Gate, Rejection<H>> {
    request
        .app_data::<web::Data<Gate>>()
        .map(|data| Gate::clone(data))
        .or_else(|| request.app_data::<Gate>().cloned())
        .ok_or_else(Rejection::no_gate)
}

/// The caller of one request, authenticated once however many extractors ask for it (actix
/// starts every extractor of a handler at once, so the first to run authenticates and the
/// others wait for it). Private, so nothing else can put a caller there.
struct Shared<P, C>(Rc<OnceCell<Authenticated<P, C>>>);

/// Authenticates the request through the gate (header values in, caller or rejection out),
/// once per request.
async fn authenticate<A: ActixAdapter>(
    request: HttpRequest,
) -> Result<Caller<A>, Rejection<A::Responder>> {
    let cell = {
        let mut extensions = request.extensions_mut();
        match extensions.get::<Shared<A::Policy, A::Claims>>() {
            Some(Shared(cell)) => cell.clone(),
            None => {
                let cell = Rc::new(OnceCell::new());
                extensions.insert(Shared(cell.clone()));
                cell
            }
        }
    };
    let caller = cell
        .get_or_try_init(|| async {
            let gate = gate(&request)?;
            let route = request.match_pattern().unwrap_or_default();
            gate.authenticate_request::<A::Policy, A::Claims>(&Request(&request), &route)
                .await
                .map_err(Rejection::from)
        })
        .await?;
    Ok(caller.clone())
}

impl<A: ActixAdapter> FromRequest for Auth<A> {
    type Error = Rejection<A::Responder>;
    type Future = LocalFuture<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move { authenticate::<A>(request).await.map(Auth) })
    }
}

/// An optional caller: `None` when the request carries no credentials at all (no bearer
/// `Authorization` header, nor the gate's cookie); bad credentials are refused as [`Auth`]
/// refuses them. Dereferences to `Option<Authenticated>`.
pub struct MaybeAuth<A: Adapter>(pub Option<Authenticated<A::Policy, A::Claims>>);

impl<A: Adapter> Deref for MaybeAuth<A> {
    type Target = Option<Authenticated<A::Policy, A::Claims>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<A: Adapter> fmt::Debug for MaybeAuth<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MaybeAuth").field(&self.0).finish()
    }
}

impl<A: ActixAdapter> FromRequest for MaybeAuth<A> {
    type Error = Rejection<A::Responder>;
    type Future = LocalFuture<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            if !gate(&request)?.has_credentials(&Request(&request)) {
                return Ok(MaybeAuth(None));
            }
            authenticate::<A>(request).await.map(|c| MaybeAuth(Some(c)))
        })
    }
}

impl<A, R> FromRequest for Require<A, R>
where
    A: ActixAdapter,
    R: Requirement<Policy = A::Policy> + 'static,
{
    type Error = Rejection<A::Responder>;
    type Future = LocalFuture<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let caller = authenticate::<A>(request.clone()).await?;
            let route = request.match_pattern().unwrap_or_default();
            // A route declared in a tenant of a path parameter reads it from the match info.
            // The future owns the request, so the value is borrowed, never copied; routes
            // declared in no tenant never call the lookup.
            let param = |name: &str| request.match_info().get(name);
            let (caller, granted) = gate(&request)?
                .authorize_route::<R, A::Claims>(caller, param, &route)
                .await?;
            Ok(Require::new(caller, granted))
        })
    }
}

impl<A> FromRequest for Public<A> {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(_: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Public::new()))
    }
}

// The seal, `RouteGuard`, `GuardedArgs` and the three guards' rules: only these guards stand
// first in a handler, so the rule a route prints is the one that runs.
authz_core::guard_traits!(require = Require, public = Public, auth = Auth);
