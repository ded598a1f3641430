//! Route rules for every adapter: who may call a route ([`Access`]), the sealed traits of the
//! guards that say so and of the bound a deny-by-default router puts on handlers
//! ([`guard_traits!`](crate::guard_traits)), and the table of every route and its rule ([`RouteTable`]), printed for review. Nothing here
//! names a web framework; `authz-axum` and `authz-actix` build their routers on it.
//!
//! A framework whose handlers take typed arguments lists them as a tuple in its handler trait
//! (actix-web's `Handler<Args>`, axum's `Handler<T, S>`). A router that accepts a handler only
//! when that tuple is `GuardedArgs` accepts only handlers whose first argument is a guard, and
//! learns the guard's rule from the bound. Each adapter declares these traits with
//! [`guard_traits!`](crate::guard_traits), sealed so that only its own guards implement them:
//!
//! ```
//! mod sealed { pub trait Guard {} }
//! authz_core::guard_traits!(sealed by sealed::Guard);
//!
//! use authz_core::routes::{Access, Plain, RouteTable};
//! /// A (toy) guard: any authenticated caller.
//! pub struct Auth;
//! impl sealed::Guard for Auth {}
//! impl RouteGuard for Auth {
//!     fn access() -> Access { Access::Authenticated }
//! }
//!
//! let mut table = RouteTable::default();
//! table.push("GET", "/whoami", <(Auth, String) as GuardedArgs<Plain>>::access());
//! assert_eq!(table.to_string(), "GET     /whoami  authenticated\n");
//! ```

use std::fmt;

use serde::Serialize;

use crate::requirement::{Rule, TenantFrom};

// Without `jwt` no gate records a route on a caller.
#[cfg_attr(not(feature = "jwt"), allow(dead_code))]
pub(crate) mod names;
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

/// How a framework lists a handler's arguments: the tuple is the arguments, `(T1, ..., Tn)`
/// (actix-web's `Handler<Args>`, and most frameworks).
#[derive(Debug, Clone, Copy)]
pub enum Plain {}

/// How a framework lists a handler's arguments: a marker type, then the arguments,
/// `(M, T1, ..., Tn)` (axum's `Handler<T, S>`).
#[derive(Debug, Clone, Copy)]
pub enum LeadingMarker {}

/// Declares, in an adapter crate, the two traits of deny-by-default routing, sealed by a trait
/// only that crate can implement:
///
/// - `RouteGuard: Seal`, with `fn access() -> Access`: a type that may stand first in a
///   handler (the adapter's guard, public marker and caller extractor).
/// - `GuardedArgs<Shape>`: a handler's argument tuple, listed the framework's way (`Shape`:
///   [`Plain`] or [`LeadingMarker`]), whose first argument is a `RouteGuard`; implemented for
///   up to 16 arguments. The bound the adapter's router puts on every handler it accepts.
///
/// The seal is what makes the route table trustworthy: the rule a route prints comes from a
/// guard of the adapter, whose extraction runs the check. An application's own extractor
/// cannot implement the seal (it cannot name it), so it cannot stand first and print a rule
/// it never checks. Each adapter seals its own traits; the rules, the table and the
/// diagnostics are shared. See `docs/adapters.md`.
///
/// An adapter whose guards are shaped as authz-axum's and authz-actix's (`Require<A, R>`,
/// `Public<A>`, `Auth<A>`) writes `guard_traits!(require = Require, public = Public, auth =
/// Auth)`: the seal, both traits and the three guards' impls. Any other adapter declares its
/// own seal and implements it and `RouteGuard` on its guards, as below.
///
/// ```
/// mod sealed {
///     /// Only this crate's guards.
///     pub trait Guard {}
/// }
/// authz_core::guard_traits!(sealed by sealed::Guard);
///
/// use authz_core::routes::{Access, Plain, RouteTable};
/// /// The adapter's own guard: any authenticated caller.
/// pub struct Auth;
/// impl sealed::Guard for Auth {}
/// impl RouteGuard for Auth {
///     fn access() -> Access { Access::Authenticated }
/// }
///
/// /// A router method: `Args` is the handler's argument tuple.
/// fn route<Args: GuardedArgs<Plain>>(table: &mut RouteTable, method: &str, path: &str) {
///     table.push(method, path, Args::access());
/// }
/// let mut table = RouteTable::default();
/// route::<(Auth, String)>(&mut table, "GET", "/whoami");
/// assert_eq!(table.to_string(), "GET     /whoami  authenticated\n");
/// // route::<(String, Auth)>(..) does not compile: the first argument is no guard.
/// ```
#[macro_export]
macro_rules! guard_traits {
    // The usual adapter: three guard types shaped as authz-axum's and authz-actix's are. The seal,
    // the traits and the guards' impls, in one line.
    (require = $require:ident, public = $public:ident, auth = $auth:ident) => {
        /// The seal of `RouteGuard`: only this crate's guards stand first in a handler on its
        /// router, so the rule a route prints is the one that runs.
        #[allow(unreachable_pub)]
        mod __authz_seal {
            #[diagnostic::on_unimplemented(
                message = "`{Self}` cannot stand in for an authz guard",
                label = "an extractor of your own, not one of the adapter's guards",
                note = "the route table prints the rule of the guard that stands first, so only guards that run the check may: use `Require<Authz, R>`, `Auth<Authz>` or `Public<Authz>` (or `#[require(...)]` / `#[public]`), and take your own extractor after it"
            )]
            pub trait Guard {}
        }
        $crate::guard_traits!(sealed by __authz_seal::Guard);

        impl<A: $crate::Adapter, R: $crate::Requirement> __authz_seal::Guard for $require<A, R> {}
        impl<A> __authz_seal::Guard for $public<A> {}
        impl<A: $crate::Adapter> __authz_seal::Guard for $auth<A> {}

        impl<A: $crate::Adapter, R: $crate::Requirement> RouteGuard for $require<A, R> {
            fn access() -> $crate::routes::Access {
                $crate::routes::Access::Rule(<R as $crate::Requirement>::RULE)
            }
        }
        impl<A> RouteGuard for $public<A> {
            fn access() -> $crate::routes::Access {
                $crate::routes::Access::Public
            }
        }
        impl<A: $crate::Adapter> RouteGuard for $auth<A> {
            fn access() -> $crate::routes::Access {
                $crate::routes::Access::Authenticated
            }
        }
    };
    (sealed by $seal:path) => {
        /// A type that may stand first in a handler on this adapter's deny-by-default router:
        /// the guard `#[require(...)]` inserts, the public marker (`#[public]`) or the caller
        /// extractor (any authenticated caller). Sealed: only the adapter's own guards, whose
        /// extraction runs the check, implement it, so the rule a route table prints is the
        /// rule that runs.
        #[diagnostic::on_unimplemented(
            message = "`{Self}` is not an authz guard",
            label = "not a guard",
            note = "name the guard the route needs: the adapter's `Public<Authz>`, `Auth<Authz>` (any authenticated caller) or `Require<Authz, R>` with a permission or role requirement `R`; an extractor of your own cannot stand in for one"
        )]
        pub trait RouteGuard: $seal {
            /// The access rule it enforces.
            fn access() -> $crate::routes::Access;
        }

        /// A handler's argument tuple, listed the framework's way (`Shape`:
        /// [`Plain`]($crate::routes::Plain) or [`LeadingMarker`]($crate::routes::LeadingMarker)),
        /// whose first argument is a [`RouteGuard`]. The bound the deny-by-default router puts
        /// on the handlers it accepts; implemented for up to 16 arguments.
        #[diagnostic::on_unimplemented(
            message = "this handler does not declare who may call it",
            label = "add `#[require(...)]` or `#[public]` to the handler",
            note = "the router denies by default: a handler's first parameter must be an authz guard, which `#[require(...)]` and `#[public]` insert"
        )]
        pub trait GuardedArgs<Shape = $crate::routes::Plain> {
            /// The access rule of the guard.
            fn access() -> $crate::routes::Access;
        }

        $crate::__guarded_args!(RouteGuard, GuardedArgs; T1 T2 T3 T4 T5 T6 T7 T8 T9 T10 T11 T12 T13 T14 T15);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __guarded_args {
    (@impl $guard:ident, $args:ident; $($ty:ident)*) => {
        #[diagnostic::do_not_recommend]
        impl<G: $guard, $($ty,)*> $args<$crate::routes::Plain> for (G, $($ty,)*) {
            fn access() -> $crate::routes::Access {
                G::access()
            }
        }

        #[diagnostic::do_not_recommend]
        impl<M, G: $guard, $($ty,)*> $args<$crate::routes::LeadingMarker> for (M, G, $($ty,)*) {
            fn access() -> $crate::routes::Access {
                G::access()
            }
        }
    };
    ($guard:ident, $args:ident; $first:ident $($rest:ident)*) => {
        $crate::__guarded_args!(@impl $guard, $args; $first $($rest)*);
        $crate::__guarded_args!($guard, $args; $($rest)*);
    };
    ($guard:ident, $args:ident;) => {
        $crate::__guarded_args!(@impl $guard, $args;);
    };
}

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

    /// Checks that every route declared in a tenant read from a path parameter
    /// (`#[require(..., tenant = "{org}")]`) has that parameter in its full path. What an
    /// adapter's router calls when it is complete (nests joined), before serving.
    ///
    /// # Panics
    ///
    /// On the first route without its parameter, naming the route and the fix: a
    /// configuration error, found at start-up rather than as a 500 on every request.
    #[track_caller]
    pub fn assert_tenant_params(&self) {
        for route in &self.routes {
            let Access::Rule(rule) = &route.access else {
                continue;
            };
            if let Some(TenantFrom::Path(name)) = rule.tenant() {
                assert!(
                    has_param(&route.path, name),
                    "route `{} {}` takes its tenant from the path parameter `{{{name}}}`, which its path does not have: route it on a path with `{{{name}}}` (say `/orgs/{{{name}}}/...`), or declare the tenant the credential names (`tenant = credential`)",
                    route.method,
                    route.path
                );
            }
        }
    }

    /// The table as a JSON array of `{method, path, access}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.routes).unwrap_or_default()
    }
}

/// Whether `path` has the parameter `name`: `{name}`, or `{name:regex}` as actix-web writes
/// one with a pattern.
fn has_param(path: &str, name: &str) -> bool {
    path.split('{').skip(1).any(|segment| {
        segment
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('}') || rest.starts_with(':'))
    })
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
