//! The extractors: [`Auth`] authenticates; the guard behind `#[require]` also checks a
//! requirement and yields the proof; [`Public`] checks nothing but says so.

use authz_core::gate::RequestHeaders;
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
        // A route declared in a tenant of a path parameter reads the request's parameters.
        let params = match R::TENANT {
            Some(TenantFrom::Path(_)) => RawPathParams::from_request_parts(parts, state).await.ok(),
            _ => None,
        };
        let param = |name: &str| {
            let params = params.as_ref()?;
            params
                .iter()
                .find_map(|(key, value)| (key == name).then_some(value))
        };
        let (caller, granted) = gate
            .authorize_route::<R, A::Claims>(caller, param, route(parts))
            .await?;
        Ok(Require::new(caller, granted))
    }
}

impl<S: Send + Sync, A: 'static> FromRequestParts<S> for Public<A> {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(_: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Public::new())
    }
}
