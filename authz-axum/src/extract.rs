//! The extractors: [`Auth`] authenticates; the guard behind `#[require]` also checks a
//! requirement and yields the proof; [`Public`] checks nothing but says so.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use authz_core::gate::{RequestHeaders, RouteCheck};
use authz_core::requirement::TenantFrom;
use authz_core::{Adapter, Authenticated, Claims, Gate, Policy, Requirement};
use axum::extract::{
    FromRef, FromRequestParts, MatchedPath, OptionalFromRequestParts, RawPathParams,
};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use serde::de::DeserializeOwned;

use crate::rejection::{ProblemJson, RefusalResponder, Rejection};

authz_core::adapter_types!(
    crate_name = "authz_axum",
    responder = RefusalResponder,
    default_responder = ProblemJson,
    auth_note = "As an `Option<Auth<A>>`, a request without credentials gives `None` (bad credentials are still refused).",
);

/// The axum side of an [`Adapter`]: how refusals are answered.
pub trait AxumAdapter: Adapter<Claims: DeserializeOwned + Send + Sync + 'static> + 'static {
    /// Turns refusals into responses.
    type Responder: RefusalResponder;
}

impl<P, C, H> AxumAdapter for Authz<P, C, H>
where
    P: Policy,
    C: Claims + DeserializeOwned + Send + Sync + 'static,
    H: RefusalResponder,
{
    type Responder = H;
}

/// The request as the gate reads it: method and header values.
struct Request<'a>(&'a Parts);

impl RequestHeaders for Request<'_> {
    fn method(&self) -> &str {
        self.0.method.as_str()
    }

    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> {
        // The names the gate reads on every request as `http`'s constants: looked up by
        // text, a name is parsed again on each call.
        let values = match name {
            "authorization" => self.0.headers.get_all(header::AUTHORIZATION),
            "cookie" => self.0.headers.get_all(header::COOKIE),
            _ => self.0.headers.get_all(name),
        };
        values.iter().map(HeaderValue::as_bytes)
    }
}

/// An extractor's result under adapter `A`.
type Answered<A, T> = Result<T, Rejection<<A as AxumAdapter>::Responder>>;

/// The caller under adapter `A`.
type Caller<A> = Authenticated<<A as Adapter>::Policy, <A as Adapter>::Claims>;

/// The caller of this request, once authenticated: a handler taking the caller and a guard
/// authenticates once. A private type, so nothing else can put a caller there.
struct Cached<P, C>(Authenticated<P, C>);

impl<P, C> Clone for Cached<P, C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

/// Authenticates the request through the gate (header values in, caller or rejection out),
/// once per request: the caller is kept in the request extensions for the next extractor.
async fn authenticate<A: AxumAdapter>(
    gate: &Gate,
    parts: &mut Parts,
) -> Result<Authenticated<A::Policy, A::Claims>, Rejection<A::Responder>> {
    if let Some(Cached(caller)) = parts.extensions.get::<Cached<A::Policy, A::Claims>>() {
        return Ok(caller.clone());
    }
    let caller = gate
        .authenticate_request::<A::Policy, A::Claims>(&Request(parts), route(parts))
        .await?;
    parts.extensions.insert(Cached(caller.clone()));
    Ok(caller)
}

/// [`authenticate`] when the gate answers without waiting ([`Gate::authenticate_now`]: a
/// cache hit, or a caller this request already has); `None` otherwise.
fn authenticate_now<A: AxumAdapter>(
    gate: &Gate,
    parts: &mut Parts,
) -> Option<Answered<A, Caller<A>>> {
    if let Some(Cached(caller)) = parts.extensions.get::<Cached<A::Policy, A::Claims>>() {
        return Some(Ok(caller.clone()));
    }
    let caller =
        match gate.authenticate_now::<A::Policy, A::Claims>(&Request(parts), route(parts))? {
            Ok(caller) => caller,
            Err(refusal) => return Some(Err(refusal.into())),
        };
    parts.extensions.insert(Cached(caller.clone()));
    Some(Ok(caller))
}

fn route(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str)
}

/// The path parameter `name` of the request, from its parameters as axum matched them.
fn path_param<'a>(params: Option<&'a RawPathParams>, name: &str) -> Option<&'a str> {
    params?
        .iter()
        .find_map(|(key, value)| (key == name).then_some(value))
}

/// A future's output when it is ready at its first poll, else `None` (the future is dropped).
/// For axum's extractors of what the router already put in the request, which never wait.
fn ready_now<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// An extractor's answer: ready when the gate came to it without waiting, else the rest of
/// the road, boxed. axum boxes every handler's future and moves it; a future that held every
/// step of authentication would be several hundred bytes on every request, most of them for
/// the steps a cache hit never takes.
enum Answer<'p, T> {
    Ready(std::future::Ready<T>),
    Wait(Pin<Box<dyn Future<Output = T> + Send + 'p>>),
}

impl<T> Future for Answer<'_, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.get_mut() {
            Answer::Ready(ready) => Pin::new(ready).poll(cx),
            Answer::Wait(wait) => wait.as_mut().poll(cx),
        }
    }
}

impl<S, A> FromRequestParts<S> for Auth<A>
where
    A: AxumAdapter,
    Gate: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection<A::Responder>;

    fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send {
        let gate = Gate::from_ref(state);
        match authenticate_now::<A>(&gate, parts) {
            Some(answer) => Answer::Ready(std::future::ready(answer.map(Auth))),
            None => Answer::Wait(Box::pin(async move {
                authenticate::<A>(&gate, parts).await.map(Auth)
            })),
        }
    }
}

impl<S, A> OptionalFromRequestParts<S> for Auth<A>
where
    A: AxumAdapter,
    Gate: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection<A::Responder>;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if !Gate::from_ref(state).has_credentials(&Request(parts)) {
            return Ok(None);
        }
        <Self as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

impl<S, A, R> FromRequestParts<S> for Require<A, R>
where
    A: AxumAdapter,
    R: Requirement<Policy = A::Policy>,
    Gate: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection<A::Responder>;

    fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send {
        let gate = Gate::from_ref(state);
        match require_now::<A, R>(&gate, parts) {
            Some(answer) => Answer::Ready(std::future::ready(answer)),
            None => Answer::Wait(Box::pin(require::<A, R>(gate, parts))),
        }
    }
}

/// What the guard has before its requirement is checked: the caller, and the request's path
/// parameters when the route takes its tenant from one.
type Prepared<A> = (Caller<A>, Option<RawPathParams>);

/// [`prepare`] when nothing waits; `None` otherwise. The guard's steps that do not depend on
/// its requirement type are here, in one copy per adapter type: code generic over the
/// requirement is compiled again for every permission a handler names.
fn prepare_now<A: AxumAdapter>(
    gate: &Gate,
    parts: &mut Parts,
    tenant: Option<TenantFrom>,
) -> Option<Answered<A, Prepared<A>>> {
    let caller = match authenticate_now::<A>(gate, parts)? {
        Ok(caller) => caller,
        Err(rejection) => return Some(Err(rejection)),
    };
    // A route declared in a tenant of a path parameter reads the request's parameters.
    let params = match tenant {
        Some(TenantFrom::Path(_)) => ready_now(RawPathParams::from_request_parts(parts, &()))?.ok(),
        _ => None,
    };
    Some(Ok((caller, params)))
}

/// The caller and the path parameters, the whole road: authentication that waits (a cache
/// miss, keys to fetch, a revocation backend to ask).
async fn prepare<A: AxumAdapter>(
    gate: &Gate,
    parts: &mut Parts,
    tenant: Option<TenantFrom>,
) -> Answered<A, Prepared<A>> {
    let caller = authenticate::<A>(gate, parts).await?;
    let params = match tenant {
        Some(TenantFrom::Path(_)) => RawPathParams::from_request_parts(parts, &()).await.ok(),
        _ => None,
    };
    Ok((caller, params))
}

/// The reader of path parameters the gate's route checks take.
fn params<'a>(params: &'a Option<RawPathParams>) -> impl FnOnce(&str) -> Option<&'a str> + 'a {
    move |name| path_param(params.as_ref(), name)
}

/// The guard's check when the gate comes to it without waiting: a cache hit on a route with
/// no tenant store to ask. `None` otherwise.
fn require_now<A, R>(gate: &Gate, parts: &mut Parts) -> Option<Answered<A, Require<A, R>>>
where
    A: AxumAdapter,
    R: Requirement<Policy = A::Policy>,
{
    let (caller, path_params) = match prepare_now::<A>(gate, parts, R::TENANT)? {
        Ok(prepared) => prepared,
        Err(rejection) => return Some(Err(rejection)),
    };
    match gate.authorize_route_now::<R, A::Claims>(caller, params(&path_params), route(parts)) {
        RouteCheck::Done(Ok((caller, granted))) => Some(Ok(Require::new(caller, granted))),
        RouteCheck::Done(Err(refusal)) => Some(Err(refusal.into())),
        // The caller is in the request's extensions: the long road starts from it.
        RouteCheck::Wait(_) => None,
    }
}

/// The guard's check, the whole road: authentication that waits, a tenant store that asks
/// its database.
async fn require<A, R>(
    gate: Gate,
    parts: &mut Parts,
) -> Result<Require<A, R>, Rejection<A::Responder>>
where
    A: AxumAdapter,
    R: Requirement<Policy = A::Policy>,
{
    let (caller, path_params) = prepare::<A>(&gate, parts, R::TENANT).await?;
    let (caller, granted) = gate
        .authorize_route::<R, A::Claims>(caller, params(&path_params), route(parts))
        .await?;
    Ok(Require::new(caller, granted))
}

impl<S: Send + Sync, A: 'static> FromRequestParts<S> for Public<A> {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(_: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Public::new())
    }
}
