//! Route rules for every adapter: who may call a route ([`Access`]), the guard types that say so
//! ([`RouteGuard`]), the bound a deny-by-default router puts on handlers ([`GuardedArgs`]), and
//! the table of every route and its rule ([`RouteTable`]), printed for review. Nothing here
//! names a web framework; `authz-axum` and `authz-actix` build their routers on it.
//!
//! A framework whose handlers take typed arguments lists them as a tuple in its handler trait
//! (actix-web's `Handler<Args>`, axum's `Handler<T, S>`). A router that accepts a handler only
//! when that tuple is [`GuardedArgs`] accepts only handlers whose first argument is a guard,
//! and learns the guard's rule from the bound:
//!
//! ```
//! use authz_core::routes::{Access, GuardedArgs, Plain, RouteGuard, RouteTable};
//!
//! /// A (toy) guard: any authenticated caller.
//! struct Auth;
//! impl RouteGuard for Auth {
//!     fn access() -> Access { Access::Authenticated }
//! }
//!
//! /// A router method: `Args` is the handler's argument tuple.
//! fn route<Args: GuardedArgs<Plain>>(table: &mut RouteTable, method: &str, path: &str) {
//!     table.push(method, path, Args::access());
//! }
//!
//! let mut table = RouteTable::default();
//! route::<(Auth, String)>(&mut table, "GET", "/whoami");
//! assert_eq!(table.to_string(), "GET     /whoami  authenticated\n");
//! // route::<(String, Auth)>(..) does not compile: the first argument is no guard.
//! ```

use std::fmt;

use serde::Serialize;

use crate::requirement::Rule;

#[cfg(feature = "openapi")]
pub mod openapi;

/// Who may call a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Anyone (`#[public]`).
    Public,
    /// Any authenticated caller (the adapter's caller extractor first).
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

/// A type that may stand first in a handler on a deny-by-default router: an adapter's guard
/// (the one `#[require(...)]` inserts), its public marker (`#[public]`) or its caller
/// extractor (any authenticated caller). Adapters implement it for those three.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an authz guard",
    label = "not a guard",
    note = "name the guard the route needs: the adapter's `Public<Authz>`, `Auth<Authz>` (any authenticated caller) or `Require<Authz, R>` with a permission or role requirement `R`"
)]
pub trait RouteGuard {
    /// The access rule it enforces.
    fn access() -> Access;
}

/// How a framework lists a handler's arguments: the tuple is the arguments, `(T1, ..., Tn)`
/// (actix-web's `Handler<Args>`, and most frameworks).
#[derive(Debug, Clone, Copy)]
pub enum Plain {}

/// How a framework lists a handler's arguments: a marker type, then the arguments,
/// `(M, T1, ..., Tn)` (axum's `Handler<T, S>`).
#[derive(Debug, Clone, Copy)]
pub enum LeadingMarker {}

/// A handler's argument tuple, listed the framework's way (`Shape`: [`Plain`] or
/// [`LeadingMarker`]), whose first argument is a [`RouteGuard`]. The bound a deny-by-default
/// router puts on the handlers it accepts; implemented for up to 16 arguments.
#[diagnostic::on_unimplemented(
    message = "this handler does not declare who may call it",
    label = "add `#[require(...)]` or `#[public]` to the handler",
    note = "the router denies by default: a handler's first parameter must be an authz guard, which `#[require(...)]` and `#[public]` insert"
)]
pub trait GuardedArgs<Shape = Plain> {
    /// The access rule of the guard.
    fn access() -> Access;
}

macro_rules! guarded_args {
    ($($ty:ident),*) => {
        #[diagnostic::do_not_recommend]
        impl<G: RouteGuard, $($ty,)*> GuardedArgs<Plain> for (G, $($ty,)*) {
            fn access() -> Access {
                G::access()
            }
        }

        #[diagnostic::do_not_recommend]
        impl<M, G: RouteGuard, $($ty,)*> GuardedArgs<LeadingMarker> for (M, G, $($ty,)*) {
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

/// The method column of a route that takes every method.
pub const ANY: &str = "ANY";

/// One row of the route table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteInfo {
    /// The HTTP method, or [`ANY`].
    pub method: String,
    /// The path pattern, in the framework's syntax (`/reports/{id}`).
    pub path: String,
    /// Who may call it (serialized as the text the table prints).
    pub access: Access,
}

/// Every route and its rule, for review: `Display` prints a table, [`RouteTable::to_json`]
/// the same as JSON. A router fills it as routes are added ([`push`](Self::push), or
/// `extend` with rows of a nested router whose paths it has joined).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RouteTable {
    routes: Vec<RouteInfo>,
}

impl RouteTable {
    /// The rows, in the order the routes were added.
    pub fn routes(&self) -> &[RouteInfo] {
        &self.routes
    }

    /// Adds a row.
    pub fn push(&mut self, method: impl Into<String>, path: impl Into<String>, access: Access) {
        self.routes.push(RouteInfo {
            method: method.into(),
            path: path.into(),
            access,
        });
    }

    /// The table as a JSON array of `{method, path, access}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.routes).unwrap_or_default()
    }
}

impl Extend<RouteInfo> for RouteTable {
    fn extend<I: IntoIterator<Item = RouteInfo>>(&mut self, rows: I) {
        self.routes.extend(rows);
    }
}

impl FromIterator<RouteInfo> for RouteTable {
    fn from_iter<I: IntoIterator<Item = RouteInfo>>(rows: I) -> Self {
        Self {
            routes: rows.into_iter().collect(),
        }
    }
}

impl IntoIterator for RouteTable {
    type Item = RouteInfo;
    type IntoIter = std::vec::IntoIter<RouteInfo>;
    fn into_iter(self) -> Self::IntoIter {
        self.routes.into_iter()
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
