//! The extractors: [`Auth`] authenticates; the guard behind `#[require]` also checks a
//! requirement and yields the proof; [`Public`] checks nothing but says so.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use authz_core::adapter::Guard;
use authz_core::gate::RequestHeaders;
use authz_core::{Adapter, Authenticated, Claims, Gate, Granted, Policy, Requirement};
use axum::extract::{FromRef, FromRequestParts, MatchedPath, OptionalFromRequestParts};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::rejection::{ProblemJson, Rejection, Responder};

/// The application's authorization setup as a type: policy `P`, claims `C`, and how refusals
/// are answered (`H`). Declare it once, as the alias `#[require]` and `#[public]` look for:
///
/// ```text
/// type Authz = authz_axum::Authz<reports::Policy, ReportsClaims>;
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
    H: Responder,
{
    type Policy = P;
    type Claims = C;
    type Guard<R: Requirement<Policy = P>> = Require<Self, R>;
    type Public = Public<Self>;
}

/// The axum side of an [`Adapter`]: how refusals are answered.
pub trait AxumAdapter: Adapter<Claims: DeserializeOwned + Send + Sync + 'static> + 'static {
    /// Turns refusals into responses.
    type Responder: Responder;
}

impl<P, C, H> AxumAdapter for Authz<P, C, H>
where
    P: Policy,
    C: Claims + DeserializeOwned + Send + Sync + 'static,
    H: Responder,
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
        self.0
            .headers
            .get_all(name)
            .iter()
            .map(HeaderValue::as_bytes)
    }
}

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

fn route(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str)
}

/// An authenticated caller, with no permission demanded. Dereferences to
/// [`Authenticated`]. As an `Option<Auth<A>>`, a request without credentials gives `None`
/// (bad credentials are still refused). Beside a guard in one handler, the request is
/// authenticated once.
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

impl<S, A> FromRequestParts<S> for Auth<A>
where
    A: AxumAdapter,
    Gate: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection<A::Responder>;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let gate = Gate::from_ref(state);
        authenticate::<A>(&gate, parts).await.map(Auth)
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

impl<A, R> Guard<A::Policy, A::Claims, R> for Require<A, R>
where
    A: Adapter,
{
    fn into_parts(self) -> (Authenticated<A::Policy, A::Claims>, Granted<R>) {
        (self.caller, self.granted)
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

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let gate = Gate::from_ref(state);
        let caller = authenticate::<A>(&gate, parts).await?;
        let granted = gate.authorize::<R, A::Claims>(&caller, route(parts))?;
        Ok(Require { caller, granted })
    }
}

/// The marker `#[public]` puts first in a handler: anyone may call it. It extracts nothing
/// and never fails; it exists so a deny-by-default router can tell "public" from "forgotten".
pub struct Public<A>(PhantomData<fn() -> A>);

impl<A> fmt::Debug for Public<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Public")
    }
}

impl<S: Send + Sync, A: 'static> FromRequestParts<S> for Public<A> {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(_: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Public(PhantomData))
    }
}
