//! Deny by default: a router that accepts only handlers which declare their access rule, and
//! knows every route's rule so it can print the table for review.
//!
//! A handler's first parameter must be an authz guard: the one `#[require(...)]` inserts, the
//! marker `#[public]` inserts, or [`Auth`](crate::Auth) (any authenticated caller). A handler
//! with none of them does not compile:
//!
//! ```text
//! error[E0277]: the handler `list` does not declare who may call it
//!   |     .route("/reports", get(list))
//!   |                            ^^^^ add `#[require(...)]` or `#[public]` to the handler
//! ```
//!
//! The guarantee holds through composition: [`Router`] has axum's own `nest`, `merge`,
//! `fallback`, `layer`, `route_layer`, `with_state`, `route_service` and `nest_service`, each
//! taking only guarded handlers (or, for a service, a guard named explicitly), and the route
//! table lists every route of the composed router with its full path. Where the guarantee ends:
//! a route added to the plain `axum::Router` after [`Router::into_axum`], and what a layer
//! itself answers (a layer runs before the guards and can respond on its own).

use std::convert::Infallible;
use std::fmt;

use authz_core::{Adapter, Requirement, Rule};
use axum::extract::{FromRequestParts, Request};
use axum::handler::Handler;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, Route};
use serde::Serialize;
use tower::ServiceExt as _;
use tower_layer::Layer;
use tower_service::Service;

use crate::extract::{Auth, Public, Require};

/// Who may call a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Anyone (`#[public]`).
    Public,
    /// Any authenticated caller ([`Auth`] first).
    Authenticated,
    /// Callers meeting a rule (`#[require(...)]`).
    Rule(Rule),
}

impl Serialize for Access {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Access::Public => f.write_str("public"),
            Access::Authenticated => f.write_str("authenticated"),
            Access::Rule(rule) => rule.fmt(f),
        }
    }
}

/// A type that may stand first in a handler on a deny-by-default router.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an authz guard",
    label = "not a guard",
    note = "name the guard the route needs: `Public<Authz>`, `Auth<Authz>` (any authenticated caller) or `Require<Authz, R>` with a permission or role requirement `R`"
)]
pub trait RouteGuard {
    /// The access rule it enforces.
    fn access() -> Access;
}

impl<A: Adapter, R: Requirement> RouteGuard for Require<A, R> {
    fn access() -> Access {
        Access::Rule(R::RULE)
    }
}

impl<A> RouteGuard for Public<A> {
    fn access() -> Access {
        Access::Public
    }
}

impl<A: Adapter> RouteGuard for Auth<A> {
    fn access() -> Access {
        Access::Authenticated
    }
}

/// The extractor list of a handler (axum's `Handler<T, S>` parameter `T`) whose first
/// extractor is a [`RouteGuard`].
#[diagnostic::on_unimplemented(
    message = "this handler does not declare who may call it",
    label = "add `#[require(...)]` or `#[public]` to the handler",
    note = "authz_axum::Router denies by default: a handler's first parameter must be an authz guard, which `#[require(...)]` and `#[public]` insert"
)]
pub trait GuardedArgs {
    /// The access rule of the guard.
    fn access() -> Access;
}

macro_rules! guarded_args {
    ($($ty:ident),*) => {
        #[diagnostic::do_not_recommend]
        impl<M, G: RouteGuard, $($ty,)*> GuardedArgs for (M, G, $($ty,)*) {
            fn access() -> Access {
                G::access()
            }
        }
    };
}
guarded_args!();
guarded_args!(T1);
guarded_args!(T1, T2);
guarded_args!(T1, T2, T3);
guarded_args!(T1, T2, T3, T4);
guarded_args!(T1, T2, T3, T4, T5);
guarded_args!(T1, T2, T3, T4, T5, T6);
guarded_args!(T1, T2, T3, T4, T5, T6, T7);
guarded_args!(T1, T2, T3, T4, T5, T6, T7, T8);
guarded_args!(T1, T2, T3, T4, T5, T6, T7, T8, T9);
guarded_args!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10);
guarded_args!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11);
guarded_args!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12);
guarded_args!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13);
guarded_args!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14);
guarded_args!(
    T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15
);

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
    T: GuardedArgs + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(Method::GET, axum::routing::get(handler), T::access())
}

/// Routes `POST` requests to a guarded handler.
pub fn post<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(Method::POST, axum::routing::post(handler), T::access())
}

/// Routes `PUT` requests to a guarded handler.
pub fn put<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(Method::PUT, axum::routing::put(handler), T::access())
}

/// Routes `PATCH` requests to a guarded handler.
pub fn patch<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(Method::PATCH, axum::routing::patch(handler), T::access())
}

/// Routes `DELETE` requests to a guarded handler.
pub fn delete<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(Method::DELETE, axum::routing::delete(handler), T::access())
}

/// Routes `HEAD` requests to a guarded handler.
pub fn head<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(Method::HEAD, axum::routing::head(handler), T::access())
}

/// Routes `OPTIONS` requests to a guarded handler.
pub fn options<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs + 'static,
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
    T: GuardedArgs + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes::first(Method::TRACE, axum::routing::trace(handler), T::access())
}

/// Routes requests of every method to a guarded handler (shown as `ANY` in the table).
pub fn any<H, T, S>(handler: H) -> MethodRoutes<S>
where
    H: Handler<T, S>,
    T: GuardedArgs + 'static,
    S: Clone + Send + Sync + 'static,
{
    MethodRoutes {
        inner: axum::routing::any(handler),
        rules: vec![(ANY.to_owned(), T::access())],
    }
}

/// The method column of a route that takes every method.
const ANY: &str = "ANY";

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
    pub fn head<H: Handler<T, S>, T: GuardedArgs + 'static>(self, handler: H) -> Self {
        self.and(Method::HEAD, axum::routing::head(handler), T::access())
    }

    /// Adds a guarded handler for `OPTIONS` requests.
    pub fn options<H: Handler<T, S>, T: GuardedArgs + 'static>(self, handler: H) -> Self {
        self.and(
            Method::OPTIONS,
            axum::routing::options(handler),
            T::access(),
        )
    }

    /// Adds a guarded handler for `TRACE` requests.
    pub fn trace<H: Handler<T, S>, T: GuardedArgs + 'static>(self, handler: H) -> Self {
        self.and(Method::TRACE, axum::routing::trace(handler), T::access())
    }

    /// Adds a guarded handler for `GET` requests.
    pub fn get<H: Handler<T, S>, T: GuardedArgs + 'static>(self, handler: H) -> Self {
        self.and(Method::GET, axum::routing::get(handler), T::access())
    }

    /// Adds a guarded handler for `POST` requests.
    pub fn post<H: Handler<T, S>, T: GuardedArgs + 'static>(self, handler: H) -> Self {
        self.and(Method::POST, axum::routing::post(handler), T::access())
    }

    /// Adds a guarded handler for `PUT` requests.
    pub fn put<H: Handler<T, S>, T: GuardedArgs + 'static>(self, handler: H) -> Self {
        self.and(Method::PUT, axum::routing::put(handler), T::access())
    }

    /// Adds a guarded handler for `PATCH` requests.
    pub fn patch<H: Handler<T, S>, T: GuardedArgs + 'static>(self, handler: H) -> Self {
        self.and(Method::PATCH, axum::routing::patch(handler), T::access())
    }

    /// Adds a guarded handler for `DELETE` requests.
    pub fn delete<H: Handler<T, S>, T: GuardedArgs + 'static>(self, handler: H) -> Self {
        self.and(Method::DELETE, axum::routing::delete(handler), T::access())
    }
}

/// One row of the route table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteInfo {
    /// The HTTP method.
    pub method: String,
    /// The path pattern.
    pub path: String,
    /// Who may call it (serialized as the text the table prints).
    pub access: Access,
}

/// Every route and its rule, for review: `Display` prints a table, [`RouteTable::to_json`]
/// the same as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RouteTable {
    routes: Vec<RouteInfo>,
}

impl RouteTable {
    /// The rows, in the order the routes were added.
    pub fn routes(&self) -> &[RouteInfo] {
        &self.routes
    }

    /// The table as a JSON array of `{method, path, access}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.routes).unwrap_or_default()
    }
}

impl fmt::Display for RouteTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.routes.iter().map(|r| r.path.len()).max().unwrap_or(0);
        for route in &self.routes {
            writeln!(
                f,
                "{:<7} {:<width$}  {}",
                route.method, route.path, route.access
            )?;
        }
        Ok(())
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

    /// Adds the handlers of `path`. Panics, as axum does, on an invalid or duplicate path.
    pub fn route(mut self, path: &str, methods: MethodRoutes<S>) -> Self {
        for (method, access) in methods.rules {
            self.table.push(method, path.to_owned(), &access);
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
        this.table
            .push(ANY.to_owned(), path.to_owned(), &G::access());
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
        for route in router.table.routes {
            let full = join(path, &route.path);
            self.table.routes.push(RouteInfo {
                path: full,
                ..route
            });
        }
        self.inner = self.inner.nest(path, router.inner);
        self
    }

    /// Merges the routes of another guarded router, as axum's `merge`.
    pub fn merge(mut self, other: Router<S>) -> Self {
        self.table.routes.extend(other.table.routes);
        self.inner = self.inner.merge(other.inner);
        self
    }

    /// The handler for requests no route matches, as axum's `fallback`, guarded like any
    /// handler (`#[public]` for a plain 404 page). The table shows it as `ANY *` (`ANY
    /// /prefix/*` once nested).
    pub fn fallback<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: GuardedArgs + 'static,
    {
        self.table
            .push(ANY.to_owned(), "*".to_owned(), &T::access());
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
    pub fn into_axum(self) -> axum::Router<S> {
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

impl RouteTable {
    fn push(&mut self, method: String, path: String, access: &Access) {
        self.routes.push(RouteInfo {
            method,
            path,
            access: access.clone(),
        });
    }
}
