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

use std::fmt;

use authz_core::{Adapter, Requirement, Rule};
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;
use serde::Serialize;

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
pub trait RouteGuard {
    /// The access rule it enforces.
    fn access() -> Access;
}

impl<A: Adapter, R: Requirement> RouteGuard for Require<A, R> {
    fn access() -> Access {
        Access::Rule(R::rule())
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
    rules: Vec<(Method, Access)>,
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

impl<S: Clone + Send + Sync + 'static> MethodRoutes<S> {
    fn first(method: Method, inner: MethodRouter<S>, access: Access) -> Self {
        Self {
            inner,
            rules: vec![(method, access)],
        }
    }

    fn and(mut self, method: Method, inner: MethodRouter<S>, access: Access) -> Self {
        self.inner = self.inner.merge(inner);
        self.rules.push((method, access));
        self
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
    /// Who may call it.
    pub access: String,
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
            self.table.routes.push(RouteInfo {
                method: method.to_string(),
                path: path.to_owned(),
                access: access.to_string(),
            });
        }
        self.inner = self.inner.route(path, methods.inner);
        self
    }

    /// Every route and its rule.
    pub fn route_table(&self) -> &RouteTable {
        &self.table
    }

    /// The axum router, for layers, state and serving. The table stays readable through
    /// [`route_table`](Router::route_table) until then.
    pub fn into_axum(self) -> axum::Router<S> {
        self.inner
    }
}
