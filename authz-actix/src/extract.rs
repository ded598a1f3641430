//! The extractors: [`Auth`] authenticates; [`MaybeAuth`] is an optional caller that still
//! refuses bad credentials; the guard behind `#[require]` ([`Require`]) also checks a
//! requirement and yields the proof; [`Public`] checks nothing but says so.

use std::fmt;
use std::future::{Future, Ready, ready};
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, web};
use authz_core::adapter::Guard;
use authz_core::gate::RequestHeaders;
use authz_core::{Adapter, Authenticated, Claims, Gate, Granted, Policy, Requirement};
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use crate::rejection::{ProblemJson, RefusalResponder, Rejection};

/// The application's authorization setup as a type: policy `P`, claims `C`, and how refusals
/// are answered (`H`). Declare it once, as the alias `#[require]` and `#[public]` look for:
///
/// ```text
/// type Authz = authz_actix::Authz<reports::Policy, ReportsClaims>;
/// ```
pub struct Authz<P, C, H = ProblemJson>(Marker<(P, C, H)>);

/// Names types without owning values of them: `Send + Sync` whatever they are.
type Marker<T> = PhantomData<fn() -> T>;

impl<P, C, H> fmt::Debug for Authz<P, C, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Authz")
    }
}

impl<P, C, H> Adapter for Authz<P, C, H>
where
    P: Policy,
    C: Claims + DeserializeOwned + Send + Sync + 'static,
    H: RefusalResponder,
{
    type Policy = P;
    type Claims = C;
    type Guard<R: Requirement<Policy = P>> = Require<Self, R>;
    type Public = Public<Self>;
}

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
        self.0.headers().get_all(name).map(|value| value.as_bytes())
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

/// An authenticated caller, with no permission demanded. Dereferences to
/// [`Authenticated`]. For an optional caller use [`MaybeAuth`], never `Option<Auth<A>>`:
/// actix-web turns every error of an `Option`'s extractor into `None`, so a forged token
/// would be served as no caller at all.
pub struct Auth<A: Adapter>(pub Authenticated<A::Policy, A::Claims>);

impl<A: Adapter> Deref for Auth<A> {
    type Target = Authenticated<A::Policy, A::Claims>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<A: Adapter> fmt::Debug for Auth<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Auth").field(&self.0).finish()
    }
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

/// The guard `#[require]` puts first in a handler: authenticates, checks `R`, and hands the
/// caller and the [`Granted<R>`] proof to the body. Usable directly as an extractor too.
pub struct Require<A: Adapter, R> {
    caller: Authenticated<A::Policy, A::Claims>,
    granted: Granted<R>,
}

impl<A: Adapter, R: Requirement> Require<A, R> {
    /// The caller.
    pub fn caller(&self) -> &Authenticated<A::Policy, A::Claims> {
        &self.caller
    }

    /// The proof.
    pub fn granted(&self) -> &Granted<R> {
        &self.granted
    }
}

impl<A: Adapter, R: Requirement> fmt::Debug for Require<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Require")
            .field("caller", &self.caller)
            .field("granted", &self.granted)
            .finish()
    }
}

impl<A: Adapter, R> Guard<A::Policy, A::Claims, R> for Require<A, R> {
    fn into_parts(self) -> (Authenticated<A::Policy, A::Claims>, Granted<R>) {
        (self.caller, self.granted)
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
            let granted = gate(&request)?.authorize::<R, A::Claims>(&caller, &route)?;
            Ok(Require { caller, granted })
        })
    }
}

/// The marker `#[public]` puts first in a handler: anyone may call it. It extracts nothing
/// and never fails; it exists so a deny-by-default router can tell "public" from "forgotten".
pub struct Public<A>(Marker<A>);

impl<A> fmt::Debug for Public<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Public")
    }
}

impl<A> FromRequest for Public<A> {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(_: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Public(PhantomData)))
    }
}

// The seal, `RouteGuard`, `GuardedArgs` and the three guards' rules: only these guards stand
// first in a handler, so the rule a route prints is the one that runs.
authz_core::guard_traits!(require = Require, public = Public, auth = Auth);
