//! A second adapter, for a plain tower service on `http` types: no axum. It exists to prove
//! that `authz-core` is enough to build one (it passes the same conformance kit as
//! `authz-axum`, in `examples/tests/tower_conformance.rs`), and as the worked example of
//! `docs/adapters.md`.
//!
//! Deny by default is expressed in the router's API: [`Routes`] has no method that adds a route
//! without a rule, only [`Routes::public`], [`Routes::require`] and [`Routes::optional`] (an
//! optional caller: none without credentials, bad credentials refused).
//!
//! ```
//! use authz_examples::tower_adapter::Routes;
//! use authz_examples::reports;
//! use tower::{ServiceExt, service_fn};
//! # use authz_core::{Algorithm, Gate, Validator, testkit::TestKey};
//! # let key = TestKey::generate(Algorithm::HS256, "k");
//! # let gate = Gate::new(Validator::builder().algorithms([Algorithm::HS256])
//! #     .key(key.verification_key()).issuer("i").audience("a").build().unwrap());
//!
//! let ok = |_| async { Ok::<_, std::convert::Infallible>(http::Response::new(String::from("ok"))) };
//! let routes = Routes::<reports::Policy, authz_examples::ReportsClaims, String, String>::new(gate)
//!     .public(http::Method::GET, "/health", service_fn(ok))
//!     .require::<reports::perm::ReportsRead, _>(http::Method::GET, "/reports", service_fn(ok));
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let request = http::Request::get("/reports").body(String::new()).unwrap();
//! let response = routes.clone().oneshot(request).await.unwrap();
//! assert_eq!(response.status(), 401);
//! let request = http::Request::get("/health").body(String::new()).unwrap();
//! assert_eq!(routes.oneshot(request).await.unwrap().status(), 200);
//! # });
//! ```

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use authz_core::gate::RequestHeaders;
use authz_core::{Authenticated, Claims, Gate, Granted, Policy, Refusal, Requirement};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde::de::DeserializeOwned;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type Handler<B, R> = BoxCloneSyncService<Request<B>, Response<R>, Infallible>;
type Route<B, R> = (Method, String, Handler<B, R>);
/// Names types without owning values of them.
type Marker<T> = PhantomData<fn() -> T>;

/// The response for a refusal: its status, challenge, `Retry-After` and problem body.
pub fn refusal_response<B: From<String>>(refusal: &Refusal) -> Response<B> {
    let mut response = Response::new(B::from(refusal.problem_json()));
    *response.status_mut() =
        StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    let headers = response.headers_mut();
    for (name, value) in refusal.headers() {
        if let Ok(value) = HeaderValue::try_from(value) {
            headers.insert(name, value);
        }
    }
    response
}

/// The caller, in the request extensions of a handler behind [`Routes::require`].
pub struct Caller<P, C>(pub Arc<Authenticated<P, C>>);

impl<P, C> Clone for Caller<P, C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<P: Policy, C: Claims> fmt::Debug for Caller<P, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a [`Guarded`] service checks before it calls the inner one: [`Required`] (a
/// requirement) or [`Optional`] (a caller if there are credentials).
pub trait Admission<P, C>: Send + Sync + 'static {
    /// Authenticates (and authorizes) the request, putting what the inner service may read in
    /// its extensions; the refusal otherwise.
    fn admit<'a, B: Send>(
        gate: &'a Gate,
        request: &'a mut Request<B>,
    ) -> Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send + 'a>>;
}

/// Admits callers meeting `R`: the [`Caller`] and the [`Granted<R>`] proof go in the request
/// extensions.
pub struct Required<R>(Marker<R>);

impl<R> fmt::Debug for Required<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Required")
    }
}

impl<P, C, R> Admission<P, C> for Required<R>
where
    P: Policy,
    C: Claims + DeserializeOwned + Send + Sync + 'static,
    R: Requirement<Policy = P>,
{
    fn admit<'a, B: Send>(
        gate: &'a Gate,
        request: &'a mut Request<B>,
    ) -> Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send + 'a>> {
        Box::pin(async move {
            let path = request.uri().path().to_owned();
            let caller = gate
                .authenticate_request::<P, C>(&Headers::of(request), &path)
                .await?;
            let granted: Granted<R> = gate.authorize::<R, C>(&caller, &path)?;
            request.extensions_mut().insert(Caller(Arc::new(caller)));
            request.extensions_mut().insert(granted);
            Ok(())
        })
    }
}

/// Admits anyone; with the [`Caller`] in the request extensions when the request carries
/// credentials. Absent only without credentials: bad ones are refused, never served as nobody.
#[derive(Debug)]
pub struct Optional;

impl<P, C> Admission<P, C> for Optional
where
    P: Policy,
    C: Claims + DeserializeOwned + Send + Sync + 'static,
{
    fn admit<'a, B: Send>(
        gate: &'a Gate,
        request: &'a mut Request<B>,
    ) -> Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send + 'a>> {
        Box::pin(async move {
            if gate.has_credentials(&Headers::of(request)) {
                let path = request.uri().path().to_owned();
                let caller = gate
                    .authenticate_request::<P, C>(&Headers::of(request), &path)
                    .await?;
                request.extensions_mut().insert(Caller(Arc::new(caller)));
            }
            Ok(())
        })
    }
}

/// A tower service that admits the request as `A` says before calling `inner`, and answers a
/// refusal itself.
pub struct Guarded<S, P, C, A> {
    inner: S,
    gate: Gate,
    _types: Marker<(P, C, A)>,
}

impl<S, P, C, A> fmt::Debug for Guarded<S, P, C, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guarded")
            .field("gate", &self.gate)
            .finish_non_exhaustive()
    }
}

impl<S: Clone, P, C, A> Clone for Guarded<S, P, C, A> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            gate: self.gate.clone(),
            _types: PhantomData,
        }
    }
}

impl<S, P, C, A, B, ResBody> Service<Request<B>> for Guarded<S, P, C, A>
where
    S: Service<Request<B>, Response = Response<ResBody>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    A: Admission<P, C>,
    P: 'static,
    C: 'static,
    B: Send + 'static,
    ResBody: From<String> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<ResBody>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The clone that was polled ready serves this request; a fresh clone stays behind.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let gate = self.gate.clone();
        Box::pin(async move {
            if let Err(refusal) = A::admit(&gate, &mut request).await {
                return Ok(refusal_response(&refusal));
            }
            inner.oneshot(request).await
        })
    }
}

/// The request as the gate reads it: its method and headers (not the request itself, whose
/// body need not be `Sync`).
struct Headers<'a>(&'a Method, &'a http::HeaderMap);

impl<'r> Headers<'r> {
    fn of<B>(request: &'r Request<B>) -> Self {
        Self(request.method(), request.headers())
    }
}

impl RequestHeaders for Headers<'_> {
    fn method(&self) -> &str {
        self.0.as_str()
    }

    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> {
        self.1.get_all(name).iter().map(HeaderValue::as_bytes)
    }
}

/// A router on which every route states its rule: [`public`](Routes::public) or
/// [`require`](Routes::require). Exact method and path match; anything else is 404.
pub struct Routes<P, C, B, ResBody> {
    gate: Gate,
    routes: Arc<Vec<Route<B, ResBody>>>,
    _types: Marker<(P, C)>,
}

impl<P, C, B, ResBody> Clone for Routes<P, C, B, ResBody> {
    fn clone(&self) -> Self {
        Self {
            gate: self.gate.clone(),
            routes: self.routes.clone(),
            _types: PhantomData,
        }
    }
}

impl<P, C, B, ResBody> fmt::Debug for Routes<P, C, B, ResBody> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.routes.iter().map(|(m, p, _)| (m, p)))
            .finish()
    }
}

impl<P, C, B, ResBody> Routes<P, C, B, ResBody>
where
    P: Policy,
    C: Claims + DeserializeOwned + Send + Sync + 'static,
    B: Send + 'static,
    ResBody: From<String> + Send + 'static,
{
    /// No routes yet.
    pub fn new(gate: Gate) -> Self {
        Self {
            gate,
            routes: Arc::new(Vec::new()),
            _types: PhantomData,
        }
    }

    fn add(mut self, method: Method, path: &str, handler: Handler<B, ResBody>) -> Self {
        Arc::make_mut(&mut self.routes).push((method, path.to_owned(), handler));
        self
    }

    fn guarded<A, S>(self, method: Method, path: &str, service: S) -> Self
    where
        A: Admission<P, C>,
        S: Service<Request<B>, Response = Response<ResBody>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let guarded = Guarded::<S, P, C, A> {
            inner: service,
            gate: self.gate.clone(),
            _types: PhantomData,
        };
        self.add(method, path, BoxCloneSyncService::new(guarded))
    }

    /// A route anyone may call.
    pub fn public<S>(self, method: Method, path: &str, service: S) -> Self
    where
        S: Service<Request<B>, Response = Response<ResBody>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.add(method, path, BoxCloneSyncService::new(service))
    }

    /// A route for callers meeting `R`.
    pub fn require<R, S>(self, method: Method, path: &str, service: S) -> Self
    where
        R: Requirement<Policy = P>,
        S: Service<Request<B>, Response = Response<ResBody>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.guarded::<Required<R>, S>(method, path, service)
    }

    /// A route for anyone, with the caller in the extensions when the request carries
    /// credentials; bad credentials are refused.
    pub fn optional<S>(self, method: Method, path: &str, service: S) -> Self
    where
        S: Service<Request<B>, Response = Response<ResBody>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.guarded::<Optional, S>(method, path, service)
    }
}

impl<P, C, B, ResBody> Service<Request<B>> for Routes<P, C, B, ResBody>
where
    B: Send + 'static,
    ResBody: From<String> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<ResBody>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let route = self
            .routes
            .iter()
            .find(|(method, path, _)| method == request.method() && path == request.uri().path());
        match route {
            Some((_, _, handler)) => Box::pin(handler.clone().oneshot(request)),
            None => Box::pin(async {
                let mut response = Response::new(ResBody::from(String::new()));
                *response.status_mut() = StatusCode::NOT_FOUND;
                Ok(response)
            }),
        }
    }
}
