//! Authorization as a property of the types.
//!
//! `authz-core` holds everything that is not HTTP: typed policy tables checked at compile time,
//! the claims a bearer presents, and the permission set they resolve to. Web-framework adapters
//! such as `authz-axum` build on it; it depends on none of them.
//!
//! ```
//! use authz_core::{Claims, PermissionSet};
//!
//! authz_core::policy! {
//!     /// Who may do what with reports.
//!     pub mod reports {
//!         permissions {
//!             /// Read one's own reports.
//!             "reports:read",
//!             /// Create and change reports.
//!             "reports:write",
//!         }
//!         roles {
//!             /// Reads reports.
//!             "viewer" = ["reports:read"],
//!             /// Reads and writes reports.
//!             "editor" = "viewer" + ["reports:write"],
//!         }
//!     }
//! }
//!
//! #[derive(serde::Deserialize, Claims)]
//! struct MyClaims {
//!     sub: String,
//!     #[claims(roles)]
//!     roles: Vec<String>,
//! }
//!
//! let alice = MyClaims { sub: "alice".into(), roles: vec!["viewer".into()] };
//! let granted = alice.permissions::<reports::Policy>();
//! assert!(granted.contains(reports::Permission::ReportsRead));
//! assert!(!granted.contains(reports::Permission::ReportsWrite));
//! ```
//!
//! Mistakes in a policy are compile errors on the offending token: an unknown permission,
//! an inheritance cycle, a role that breaks a separation-of-duties pair. See [`policy!`].
//!
//! # Core concepts
//!
//! Each of these words has one meaning in these docs, the guide and every adapter.
//!
//! - **Policy**: the application's vocabulary, declared with [`policy!`]: *permissions* (what
//!   may be done, `"reports:read"`) and *roles* (named bundles of permissions, inheriting from
//!   each other). A [`PermissionSet`] is the permissions a caller holds, as a bitset.
//! - **Claims**: what a verified token says about its bearer ([`Claims`]): the *subject*, role
//!   and permission names, tenant. *Resolving* the claims against a policy gives the
//!   permission set, counting names the policy does not know, which grant nothing.
//! - **Requirement**: what a handler or a function demands, as a type ([`Requirement`]):
//!   `perm::…`, `role::…`, [`AllOf`], [`AnyOf`], [`StepUp`]. Its **rule** ([`Rule`]) is the same
//!   demand as data, for the route table.
//! - **Caller** and **proofs**: an [`Authenticated`] caller is who sent the request, once its
//!   credentials passed. A [`Granted<R>`](Granted) proof says the caller met requirement `R`;
//!   an [`Owned<T>`](Owned) proof says the caller may act on resource `T`. Proofs have no
//!   public constructor: a function that takes one cannot run before the check.
//! - **Gate**: the framework-neutral pipeline an adapter calls (`Gate`, feature `jwt`):
//!   credentials from the request, authentication with the `Validator`, authorization, audit
//!   events.
//! - **Adapter** and **guard**: an adapter crate (`authz-axum`, `authz-actix`) fits the gate to
//!   one web framework ([`Adapter`]); its *guard* is the extractor `#[require]` puts first in a
//!   handler, and a deny-by-default router accepts only handlers that start with one.
//! - **Key** means one of three things, always with its qualifier where it could be read as
//!   another:
//!   - a *verification key*: what checks a token's signature (`Key`, a JWK, a JWKS);
//!   - an *API key*: a credential a machine client presents instead of a token
//!     (`api_key::ApiKeys`, feature `api-keys`);
//!   - a *Redis key*: the name of an entry in Redis (`store`, feature `redis`).
//! - **Cache** means one of two things, and a third word is kept apart:
//!   - the *verified-token cache*: the validator remembers tokens that passed, by the
//!     SHA-256 of their bytes, so that a repeated token is not verified again
//!     (`ValidatorBuilder::cache`, off by default);
//!   - the *staleness cache* of the Redis revocation store: what Redis answered, reused for a
//!     bounded time (`RedisRevocationBuilder::cache`, off by default, only where the push copy
//!     is off);
//!   - the *push copy* is not called a cache: it is the copy in memory of every Redis entry of
//!     a store, kept current by Redis pub/sub and read only while a freshness barrier says it
//!     is complete (`store`, feature `redis`).
//! - **Denied**, **Refusal**, **Rejection**: three stages of one "no".
//!   - [`Denied`] is a *check's* result: an owner, tenant or four-eyes check (or a requirement)
//!     that did not pass, with its reason, in plain Rust.
//!   - `Refusal` (feature `jwt`) is the *framework-neutral HTTP answer*: status, `WWW-Authenticate`,
//!     `Retry-After`, problem body, as data. The gate returns one; a `Denied` converts into one.
//!   - A *Rejection* is an *adapter's response type* (`authz_axum::Rejection`,
//!     `authz_actix::Rejection`): a `Refusal` in the framework's own error and response types,
//!     which a handler can return with `?`.
// docs.rs marks items that need a feature (`--cfg docsrs`, see Cargo.toml).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

// Lets the macros' absolute `::authz_core::…` paths resolve inside this crate's own tests.
#[cfg(any(test, feature = "test-util"))]
extern crate self as authz_core;

pub mod adapter;
#[cfg(feature = "api-keys")]
pub mod api_key;
pub mod assignments;
pub mod audit;
mod authorize;
pub mod checks;
pub mod claims;
#[cfg(feature = "jwt")]
pub mod gate;
pub mod matrix;
pub mod policy;
pub mod requirement;
pub mod routes;
#[cfg(feature = "redis")]
pub mod store;
#[cfg(feature = "test-util")]
pub mod testkit;
#[cfg(feature = "jwt")]
pub mod token;
mod util;

// The rule for the root: every trait and type an application names in its handlers, its
// resources and its setup of the gate (the traits its resources implement, the requirements
// and their policies, the caller, proofs and refusals, the validator and its issuers and keys).
// Errors of one module (`api_key::IssueError`), stores and builders stay in their modules.
pub use adapter::Adapter;
#[cfg(feature = "api-keys")]
pub use authorize::VerifiedKey;
pub use authorize::{Authenticated, Denied, DenyReason, Granted, HasOwner, Owned};
pub use checks::{HasCreator, HasTenant};
pub use claims::Claims;
#[cfg(feature = "jwt")]
pub use gate::{Gate, Refusal};
pub use policy::{Permission, PermissionSet, Policy, Role, RoleSet};
pub use requirement::{AllOf, AnyOf, Requirement, Rule, StepUp, StepUpPolicy};
#[cfg(feature = "jwt")]
pub use token::{Algorithm, Issuer, Key, TokenError, Validator};

#[doc = include_str!("../doc/policy_macro.md")]
pub use authz_macros::policy;

#[doc = include_str!("../doc/derive_claims.md")]
pub use authz_macros::Claims;

#[doc = include_str!("../doc/derive_resource.md")]
pub use authz_macros::Resource;

#[doc = include_str!("../doc/require.md")]
pub use authz_macros::require;

/// Marks an `async fn` handler as callable by anyone, so that a deny-by-default router accepts
/// it. It inserts the adapter's public marker as the first parameter and checks nothing.
/// Like [`require`], it finds the adapter through the type alias `Authz` in scope, or
/// `#[public(authz = path)]`.
pub use authz_macros::public;

#[doc(hidden)]
#[path = "private/mod.rs"]
pub mod __private_0_1;
