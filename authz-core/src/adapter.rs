//! What a web-framework adapter provides so that `#[require]` and `#[public]` work in it.
//!
//! The macros name no framework: everything they generate is a path into `::authz_core`
//! (or the re-export given as `crate = path`) and `::core`. `#[require(permission =
//! "reports:read")]` rewrites a handler
//! to take, first, a value of type `<Authz as Adapter>::Guard<R>`, where `R` is the requirement
//! (`perm::ReportsRead` here) and `Authz` the type alias the application declares once (or the
//! path given as `authz = …`). The adapter's
//! guard type is its framework's extractor: it authenticates the request, checks the
//! requirement, and hands the caller and the proof to the body through [`Guard::into_parts`].
//!
//! ```
//! use authz_core::{Adapter, Authenticated, Granted, adapter::Guard, Requirement};
//! # authz_core::policy! { /// P
//! # pub mod reports { permissions { /// r
//! # "reports:read", } } }
//! # #[derive(authz_core::Claims)] struct Token { sub: String }
//!
//! /// A (toy) framework's adapter: its guard would be that framework's extractor.
//! struct MyAdapter;
//! struct MyGuard<R: Requirement> { caller: Authenticated<reports::Policy, Token>, granted: Granted<R> }
//! struct MyPublic;
//!
//! impl Adapter for MyAdapter {
//!     type Policy = reports::Policy;
//!     type Claims = Token;
//!     type Guard<R: Requirement<Policy = reports::Policy>> = MyGuard<R>;
//!     type Public = MyPublic;
//! }
//!
//! impl<R: Requirement<Policy = reports::Policy>> Guard<reports::Policy, Token, R> for MyGuard<R> {
//!     fn into_parts(self) -> (Authenticated<reports::Policy, Token>, Granted<R>) {
//!         (self.caller, self.granted)
//!     }
//! }
//! ```
//!
//! An adapter for a real framework need not write these types by hand:
//! [`adapter_types!`](crate::adapter_types) defines `Authz`, `Auth`, `Require` and `Public` in
//! its crate (the orphan rule wants them there, so that the framework's traits can be
//! implemented for them), [`refusal_conversions!`](crate::refusal_conversions) gives its
//! rejection type `?` on the library's errors, and [`guard_traits!`](crate::guard_traits) the
//! route rules. What is left is the framework's glue: its extractor and response traits.

mod extractors;

use crate::claims::Claims;
use crate::policy::Policy;
use crate::requirement::Requirement;

/// The link between the macros and a framework: the application's policy and claims type, and
/// the framework's guard types. Each adapter crate has one (`authz_axum::Authz<P, C>`,
/// `authz_actix::Authz<P, C>`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not say which policy, claims and framework `#[require]` uses",
    label = "`#[require]` and `#[public]` look for a type alias `Authz` in scope",
    note = "declare `type Authz = <your adapter crate>::Authz<my_policy::Policy, MyClaims>;` beside your handlers (the `Authz` of the adapter for your framework, such as `authz_axum` or `authz_actix`), or pass `authz = path::To::It`"
)]
pub trait Adapter {
    /// The policy permission and role names are looked up in.
    type Policy: Policy;
    /// The application's claims type.
    type Claims: Claims;
    /// The framework extractor that authenticates and checks requirement `R`.
    type Guard<R: Requirement<Policy = Self::Policy>>: Guard<Self::Policy, Self::Claims, R>;
    /// The framework extractor that marks a handler public (it checks nothing).
    type Public;
}

/// Implemented by an adapter's guard extractor: it has authenticated the caller and checked
/// requirement `R`, and gives both results to the handler body that `#[require]` rewrote.
pub trait Guard<P, C, R> {
    /// The caller and the proof.
    fn into_parts(self) -> (crate::Authenticated<P, C>, crate::Granted<R>);
}
