//! Deny by default: a router that accepts only handlers which declare their access rule, and
//! knows every route's rule so it can print the table for review.
//!
//! A handler's first parameter must be an authz guard: the one `#[require(...)]` inserts, the
//! marker `#[public]` inserts, or [`Auth`](crate::Auth) (any authenticated caller). A handler
//! with none of them does not compile:
//!
//! ```text
//! error[E0277]: this handler does not declare who may call it
//!    |
//! 27 |         .route("/reports", get(list))
//!    |                            ^^^^^^^^^ add `#[require(...)]` or `#[public]` to the handler
//!    |
//!    = note: the router denies by default: a handler's first parameter must be an authz guard, which `#[require(...)]` and `#[public]` insert
//! ```
//!
//! (as `tests/tests/ui/axum/fail/unprotected-route.stderr` holds it, which a test compares
//! with this quote).
//!
//! The guarantee holds through composition: [`Router`] has axum's own `nest`, `merge`,
//! `fallback`, `layer`, `route_layer`, `with_state`, `route_service` and `nest_service`, each
//! taking only guarded handlers (or, for a service, a guard named explicitly), and the route
//! table lists every route of the composed router with its full path. Where the guarantee ends:
//! a route added to the plain `axum::Router` after [`Router::into_axum`], and what a layer
//! itself answers (a layer runs before the guards and can respond on its own).

use std::convert::Infallible;
use std::fmt;

use authz_core::routes::{ANY, Access, LeadingMarker, RouteInfo, RouteTable};
use axum::extract::{FromRequestParts, Request};
use axum::handler::Handler;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, Route};
use tower::ServiceExt as _;
use tower_layer::Layer;
use tower_service::Service;

use crate::extract::{Auth, Public, Require};

// The rules, the table and the "first argument is a guard" bound are authz-core's; axum lists
// a handler's arguments after a marker type, hence `GuardedArgs<LeadingMarker>`.

// The seal, `RouteGuard`, `GuardedArgs` and the three guards' rules: only these guards stand
// first in a handler, so the rule a route prints is the one that runs.
authz_core::guard_traits!(require = Require, public = Public, auth = Auth);

/// The handlers of one path, by method, each with its access rule.
#[must_use]
pub struct MethodRoutes<S = ()> {
    inner: MethodRouter<S>,
    rules: Vec<(String, Access)>,
}

impl<S> fmt::Debug for MethodRoutes<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MethodRoutes")
            .field("rules", &self.rules)
            .finish()
    }
}

// Written out rather than generated, so that the error for an unguarded handler points at a
// plain function bound and not into a macro.

/// Routes `GET` requests to a guarded handler.
pub fn get<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs<LeadingMarker> + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(Method::GET, axum::routing::get(handler), T::access())
}

/// Routes `POST` requests to a guarded handler.
pub fn post<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs<LeadingMarker> + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(Method::POST, axum::routing::post(handler), T::access())
}

/// Routes `PUT` requests to a guarded handler.
pub fn put<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs<LeadingMarker> + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(Method::PUT, axum::routing::put(handler), T::access())
}

/// Routes `PATCH` requests to a guarded handler.
pub fn patch<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs<LeadingMarker> + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(Method::PATCH, axum::routing::patch(handler), T::access())
}

/// Routes `DELETE` requests to a guarded handler.
pub fn delete<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs<LeadingMarker> + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(Method::DELETE, axum::routing::delete(handler), T::access())
}

/// Routes `HEAD` requests to a guarded handler.
pub fn head<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs<LeadingMarker> + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(Method::HEAD, axum::routing::head(handler), T::access())
}

/// Routes `OPTIONS` requests to a guarded handler.
pub fn options<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs<LeadingMarker> + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(
        Method::OPTIONS,
        axum::routing::options(handler),
        T::access(),
    )
}

/// Routes `TRACE` requests to a guarded handler.
pub fn trace<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs<LeadingMarker> + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(Method::TRACE, axum::routing::trace(handler), T::access())
}

/// Routes requests of every method to a guarded handler (shown as `ANY` in the table).
pub fn any<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs<LeadingMarker> + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes {
        inner: axum::routing::any(handler),
        rules: vec![(ANY.to_owned(), T::access())],
    }
}

impl<S: Clone + Send + Sync + 'static> MethodRoutes<S> {
    fn first(method: Method, inner: MethodRouter<S>, access: Access) -> Self {
        Self {
            inner,
            rules: vec![(method.to_string(), access)],
        }
    }

    fn and(mut self, method: Method, inner: MethodRouter<S>, access: Access) -> Self {
        self.inner = self.inner.merge(inner);
        self.rules.push((method.to_string(), access));
        self
    }

    /// Adds a guarded handler for `HEAD` requests.
    pub fn head<H: Handler<T, S>, T: GuardedArgs<LeadingMarker> + 'static>(
        self,
        handler: H,
    ) -> Self {
        self.and(Method::HEAD, axum::routing::head(handler), T::access())
    }

    /// Adds a guarded handler for `OPTIONS` requests.
    pub fn options<H: Handler<T, S>, T: GuardedArgs<LeadingMarker> + 'static>(
        self,
        handler: H,
    ) -> Self {
        self.and(
            Method::OPTIONS,
            axum::routing::options(handler),
            T::access(),
        )
    }

    /// Adds a guarded handler for `TRACE` requests.
    pub fn trace<H: Handler<T, S>, T: GuardedArgs<LeadingMarker> + 'static>(
        self,
        handler: H,
    ) -> Self {
        self.and(Method::TRACE, axum::routing::trace(handler), T::access())
    }

    /// Adds a guarded handler for `GET` requests.
    pub fn get<H: Handler<T, S>, T: GuardedArgs<LeadingMarker> + 'static>(
        self,
        handler: H,
    ) -> Self {
        self.and(Method::GET, axum::routing::get(handler), T::access())
    }

    /// Adds a guarded handler for `POST` requests.
    pub fn post<H: Handler<T, S>, T: GuardedArgs<LeadingMarker> + 'static>(
        self,
        handler: H,
    ) -> Self {
        self.and(Method::POST, axum::routing::post(handler), T::access())
    }

    /// Adds a guarded handler for `PUT` requests.
    pub fn put<H: Handler<T, S>, T: GuardedArgs<LeadingMarker> + 'static>(
        self,
        handler: H,
    ) -> Self {
        self.and(Method::PUT, axum::routing::put(handler), T::access())
    }

    /// Adds a guarded handler for `PATCH` requests.
    pub fn patch<H: Handler<T, S>, T: GuardedArgs<LeadingMarker> + 'static>(
        self,
        handler: H,
    ) -> Self {
        self.and(Method::PATCH, axum::routing::patch(handler), T::access())
    }

    /// Adds a guarded handler for `DELETE` requests.
    pub fn delete<H: Handler<T, S>, T: GuardedArgs<LeadingMarker> + 'static>(
        self,
        handler: H,
    ) -> Self {
        self.and(Method::DELETE, axum::routing::delete(handler), T::access())
    }
}

/// An axum router that takes only guarded handlers and records each route's rule.
#[must_use]
pub struct Router<S = ()> {
    inner: axum::Router<S>,
    table: RouteTable,
}

impl<S> fmt::Debug for Router<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl<S: Clone + Send + Sync + 'static> Default for Router<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Clone + Send + Sync + 'static> Router<S> {
    /// An empty router.
    pub fn new() -> Self {
        Self {
            inner: axum::Router::new(),
            table: RouteTable::default(),
        }
    }

    /// The OpenID Connect back-channel logout endpoint at `path` (`POST`, public: the identity
    /// provider calls it, authenticated by the logout token's signature), ready made: the form
    /// body read up to [`MAX_LOGOUT_BODY`](authz_core::token::MAX_LOGOUT_BODY) bytes, the token
    /// verified and its session or user revoked
    /// ([`BackChannelLogout::respond`](authz_core::token::BackChannelLogout::respond)), 200 or
    /// 400 with an OAuth error body, `Cache-Control: no-store`, an audit event. The route table
    /// lists it as `public`.
    pub fn backchannel_logout(
        mut self,
        path: &str,
        logout: authz_core::token::BackChannelLogout,
    ) -> Self {
        let handler = move |request: Request| {
            let logout = logout.clone();
            async move { crate::logout::respond(&logout, request).await }
        };
        self.table.push("POST", path, Access::Public);
        self.inner = self.inner.route(path, axum::routing::post(handler));
        self
    }

    /// Adds the handlers of `path`. Panics, as axum does, on an invalid or duplicate path.
    pub fn route(mut self, path: &str, methods: MethodRoutes<S>) -> Self {
        for (method, access) in methods.rules {
            self.table.push(method, path, access);
        }
        self.inner = self.inner.route(path, methods.inner);
        self
    }

    /// Serves `path` (every method) with a tower service, behind guard `G` named explicitly
    /// (`Public<Authz>`, `Require<Authz, perm::AssetsRead>`, `Auth<Authz>`): the guard runs
    /// first, as on a handler, and the service sees the request only when it passed.
    ///
    /// ```
    /// # use authz_axum::{Public, Router};
    /// # authz_core::policy! { /// P
    /// # pub mod p { permissions { /// r
    /// # "files:read", } roles { /// v
    /// # "v" = ["files:read"], } } }
    /// # #[derive(serde::Deserialize, authz_core::Claims)] struct Token { sub: String }
    /// type Authz = authz_axum::Authz<p::Policy, Token>;
    /// let robots = tower::service_fn(|_: axum::extract::Request| async {
    ///     Ok::<_, std::convert::Infallible>("User-agent: *\nDisallow: /\n")
    /// });
    /// let router: Router<authz_axum::Gate> =
    ///     Router::new().route_service::<Public<Authz>>("/robots.txt", robots);
    /// assert_eq!(router.route_table().to_string(), "ANY     /robots.txt  public\n");
    /// ```
    pub fn route_service<G>(self, path: &str, service: impl GuardedService<S, G>) -> Self
    where
        G: RouteGuard + FromRequestParts<S> + Send + 'static,
    {
        let mut this = self;
        this.table.push(ANY, path, G::access());
        this.inner = this.inner.route(path, service.into_method_router());
        this
    }

    /// Serves every path under `path` with a tower service behind guard `G`, as
    /// [`route_service`](Self::route_service); the service sees the path without the prefix,
    /// as with axum's `nest_service`. The table shows `path` and `path/{*rest}`.
    pub fn nest_service<G>(self, path: &str, service: impl GuardedService<S, G>) -> Self
    where
        G: RouteGuard + FromRequestParts<S> + Send + 'static,
    {
        let nested = Router::new()
            .route_service::<G>("/", service.clone())
            .route_service::<G>("/{*rest}", service);
        self.nest(path, nested)
    }

    /// Nests a guarded router under `path`, as axum's `nest`: its routes keep their guards
    /// and appear in the table with the full path.
    pub fn nest(mut self, path: &str, router: Router<S>) -> Self {
        self.table
            .extend(router.table.into_iter().map(|route| RouteInfo {
                path: join(path, &route.path),
                ..route
            }));
        self.inner = self.inner.nest(path, router.inner);
        self
    }

    /// Merges the routes of another guarded router, as axum's `merge`.
    pub fn merge(mut self, other: Router<S>) -> Self {
        self.table.extend(other.table);
        self.inner = self.inner.merge(other.inner);
        self
    }

    /// The handler for requests no route matches, as axum's `fallback`, guarded like any
    /// handler (`#[public]` for a plain 404 page). The table shows it as `ANY *` (`ANY
    /// /prefix/*` once nested).
    pub fn fallback<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: GuardedArgs<LeadingMarker> + 'static,
    {
        self.table.push(ANY, "*", T::access());
        self.inner = self.inner.fallback(handler);
        self
    }

    /// A tower layer around every route, as axum's `layer` (the fallback included). It runs
    /// before the guards: it can add to a request or a response, or answer by itself, which
    /// is outside what the router checks.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.inner = self.inner.layer(layer);
        self
    }

    /// A tower layer around the routes added so far, only when one matches, as axum's
    /// `route_layer`.
    pub fn route_layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.inner = self.inner.route_layer(layer);
        self
    }

    /// Provides the state, as axum's `with_state`: the result is a router missing state `S2`
    /// (usually `()`, ready to serve through [`into_axum`](Self::into_axum)), with the same
    /// table.
    pub fn with_state<S2>(self, state: S) -> Router<S2> {
        Router {
            inner: self.inner.with_state(state),
            table: self.table,
        }
    }

    /// Every route and its rule.
    pub fn route_table(&self) -> &RouteTable {
        &self.table
    }

    /// The axum router, the last step before serving. The table stays readable through
    /// [`route_table`](Router::route_table) until then. A route added to the returned plain
    /// router is outside the guarantee: nothing checks that it has a guard.
    ///
    /// # Panics
    ///
    /// When a route declared in a tenant read from a path parameter
    /// (`#[require(..., tenant = "{org}")]`) has no such parameter in its full path
    /// ([`RouteTable::assert_tenant_params`]).
    #[track_caller]
    pub fn into_axum(self) -> axum::Router<S> {
        self.table.assert_tenant_params();
        self.inner
    }
}

/// A prefix joined to a nested path as axum joins them: `/admin` + `/` is `/admin`.
fn join(prefix: &str, path: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    match path {
        "/" if prefix.is_empty() => "/".to_owned(),
        "/" => prefix.to_owned(),
        "*" => format!("{prefix}/*"),
        _ => format!("{prefix}{path}"),
    }
}

/// A tower service that [`Router::route_service`] can put behind a guard: `Clone`, answering
/// every request with something that is a response, and never failing (`Infallible`).
pub trait GuardedService<S, G>: Clone + Send + Sync + Sized + 'static {
    /// The service behind `G`, for every method: a handler whose first extractor is `G` and
    /// whose second hands the request to the service.
    #[doc(hidden)]
    fn into_method_router(self) -> MethodRouter<S>;
}

impl<S, G, T> GuardedService<S, G> for T
where
    S: Clone + Send + Sync + 'static,
    G: FromRequestParts<S> + Send + 'static,
    T: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
    T::Response: IntoResponse,
    T::Future: Send,
{
    fn into_method_router(self) -> MethodRouter<S> {
        axum::routing::any(move |_guard: G, request: Request| {
            let service = self.clone();
            async move {
                match service.oneshot(request).await {
                    Ok(response) => response.into_response(),
                    Err(never) => match never {},
                }
            }
        })
    }
}
