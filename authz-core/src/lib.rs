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

// The crate root holds what most applications name; the rest is in the modules above.
pub use adapter::Adapter;
#[cfg(feature = "api-keys")]
pub use authorize::VerifiedKey;
pub use authorize::{Authenticated, Denied, DenyReason, Granted, HasOwner, Owned};
pub use claims::Claims;
#[cfg(feature = "jwt")]
pub use gate::{Gate, Refusal};
pub use policy::{Permission, PermissionSet, Policy, Role, RoleSet};
pub use requirement::{AllOf, AnyOf, Requirement, Rule, StepUp};
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

/// What the macros' generated code names. Not public API: it may change in any release. Its
/// name carries the version of `authz-macros` it belongs to (which `authz-core` pins exactly),
/// so that generated code from another version fails to compile rather than misbehave.
#[doc(hidden)]
pub mod __private_0_1 {
    pub use core::fmt::{Display, Formatter, Result as FmtResult};
    pub use core::option::Option::{self, None, Some};
    pub use core::result::Result::{self, Err, Ok};
    pub use core::str::FromStr;
    pub use serde;

    pub use crate::adapter::{Adapter, Guard};
    pub use crate::claims::{Claims, Names, RegisteredClaims};
    pub use crate::policy::{Permission, PermissionSet, Policy, Role, RoleSet};
    pub use crate::requirement::{AllOf, AnyOf, Implies, Requirement, Rule};

    pub use crate::requirement::{Atom, path::*};

    /// How `#[derive(Resource)]` reads an owner, tenant or creator field: the string types
    /// (never an `Option`: a resource without an owner must not match an empty subject).
    #[diagnostic::on_unimplemented(
        message = "a `{Self}` field cannot name an owner, tenant or creator",
        label = "expected a string type here",
        note = "`#[resource(owner)]`, `tenant` and `creator` take `String`, `&str`, `Box<str>`, `Arc<str>`, `Rc<str>` or `Cow<str>`; an `Option` is refused, so that a resource without an owner is never owned by a caller with an empty subject"
    )]
    pub trait FieldStr {
        /// The field as text.
        fn field_str(&self) -> &str;
    }
    /// How `#[derive(Resource)]` reads an issuer field: a string type, or an `Option` of one.
    #[diagnostic::on_unimplemented(
        message = "a `{Self}` field cannot name an issuer",
        label = "expected a string type, or an `Option` of one",
        note = "`#[resource(owner_issuer)]` and `creator_issuer` take `String`, `&str`, `Box<str>`, `Arc<str>`, `Rc<str>`, `Cow<str>` or an `Option` of one"
    )]
    pub trait FieldOptStr {
        /// The field as optional text.
        fn field_opt_str(&self) -> Option<&str>;
    }
    macro_rules! field_str {
        ($($ty:ty),*) => {$(
            impl FieldStr for $ty {
                fn field_str(&self) -> &str {
                    self
                }
            }
            impl FieldOptStr for $ty {
                fn field_opt_str(&self) -> Option<&str> {
                    Some(self)
                }
            }
            impl FieldOptStr for Option<$ty> {
                fn field_opt_str(&self) -> Option<&str> {
                    self.as_deref()
                }
            }
        )*};
    }
    field_str!(
        String,
        &str,
        Box<str>,
        std::sync::Arc<str>,
        std::rc::Rc<str>,
        std::borrow::Cow<'_, str>
    );

    /// The tables `#[require]`'s name lookups read, generated by `policy!`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not an authz policy",
        label = "names are looked up in `{Self}`, which is not a policy",
        note = "declare a policy with `authz_core::policy! {{ pub mod name {{ ... }} }}` and use its `Policy` type"
    )]
    pub trait PolicyTables: Policy {
        /// The FNV-1a hash of each permission name with its index, sorted by hash.
        const SORTED_PERMISSIONS: &'static [(u64, usize)];
        /// The FNV-1a hash of each role name with its index, sorted by hash.
        const SORTED_ROLES: &'static [(u64, usize)];
        /// Permission names in declaration order.
        const PERMISSION_NAMES: &'static [&'static str];
        /// Role names in declaration order.
        const ROLE_NAMES: &'static [&'static str];
        /// For each permission, the message for a name that looks like a typo of it.
        const PERMISSION_HINTS: &'static [&'static str];
        /// For each role, the message for a name that looks like a typo of it.
        const ROLE_HINTS: &'static [&'static str];
        /// The message for an unknown permission name, listing the declared ones.
        const UNKNOWN_PERMISSION_HINT: &'static str;
        /// The message for an unknown role name, listing the declared ones.
        const UNKNOWN_ROLE_HINT: &'static str;
    }

    /// The requirement type of the permission declared at index `I`.
    pub trait PermissionAt<const I: usize> {
        /// `perm::…` of the policy.
        type Requirement;
    }

    /// The requirement type of the role declared at index `I`.
    pub trait RoleAt<const I: usize> {
        /// `role::…` of the policy.
        type Requirement;
    }

    /// The index of permission `name` in policy `P`; fails compilation, with a hint, when `P`
    /// declares no such permission. `#[require]` calls it in a const context with the name's
    /// FNV-1a hash, computed by the macro: a binary search over integers keeps the cost of a
    /// handler low and independent of the policy's size, and the name is compared once.
    #[track_caller]
    pub const fn permission_index<P: PolicyTables>(hash: u64, name: &str) -> usize {
        match find(P::SORTED_PERMISSIONS, P::PERMISSION_NAMES, hash, name) {
            Some(index) => index,
            None => unknown(
                P::PERMISSION_NAMES,
                P::PERMISSION_HINTS,
                P::UNKNOWN_PERMISSION_HINT,
                name,
            ),
        }
    }

    /// The index of role `name` in policy `P`, like [`permission_index`].
    #[track_caller]
    pub const fn role_index<P: PolicyTables>(hash: u64, name: &str) -> usize {
        match find(P::SORTED_ROLES, P::ROLE_NAMES, hash, name) {
            Some(index) => index,
            None => unknown(P::ROLE_NAMES, P::ROLE_HINTS, P::UNKNOWN_ROLE_HINT, name),
        }
    }

    /// The index of permission `name` in policy `P`, for a `map = { ... }` entry of
    /// `#[derive(Claims)]`: as [`permission_index`], except that a role's name gets the
    /// advice to write `role` before it rather than a suggestion.
    #[track_caller]
    #[allow(clippy::panic)] // A panic in const evaluation is how this reports a compile error.
    pub const fn mapped_permission_index<P: PolicyTables>(hash: u64, name: &str) -> usize {
        if find(P::SORTED_PERMISSIONS, P::PERMISSION_NAMES, hash, name).is_none()
            && find(P::SORTED_ROLES, P::ROLE_NAMES, hash, name).is_some()
        {
            panic!(
                "this is a role of the policy, not a permission: write `role` before it, as in `\"Provider Name\" => role \"admin\"`"
            );
        }
        permission_index::<P>(hash, name)
    }

    /// The index of role `name` in policy `P`, for a `map = { ... }` entry: as
    /// [`mapped_permission_index`], the other way round.
    #[track_caller]
    #[allow(clippy::panic)] // A panic in const evaluation is how this reports a compile error.
    pub const fn mapped_role_index<P: PolicyTables>(hash: u64, name: &str) -> usize {
        if find(P::SORTED_ROLES, P::ROLE_NAMES, hash, name).is_none()
            && find(P::SORTED_PERMISSIONS, P::PERMISSION_NAMES, hash, name).is_some()
        {
            panic!(
                "this is a permission of the policy, not a role: write `permission` before it, as in `\"Orders.Read\" => permission \"orders:read\"`"
            );
        }
        role_index::<P>(hash, name)
    }

    /// A compile-time index: generated code writes `Index::<{ lookup }>::VALUE`, so that the
    /// lookup is a constant argument, evaluated when the crate is checked (and its failure an
    /// error there), even inside a generic function.
    #[derive(Debug)]
    pub struct Index<const I: usize>;

    impl<const I: usize> Index<I> {
        /// `I`.
        pub const VALUE: usize = I;
    }

    pub use crate::claims::Name;
    pub use crate::claims::mapping::{mapped_permission, mapped_role};

    /// The permission set of raw `bits` (only bits of declared permissions are passed).
    pub const fn permission_set<P>(bits: u128) -> crate::policy::PermissionSet<P> {
        crate::policy::PermissionSet::from_bits(bits)
    }

    /// The role set of raw `bits` (only bits of declared roles are passed).
    pub const fn role_set<P>(bits: u128) -> crate::policy::RoleSet<P> {
        crate::policy::RoleSet::from_bits(bits)
    }

    /// The error of a generated `FromStr` for an undeclared name.
    pub fn unknown_name(
        policy: &'static str,
        kind: crate::policy::NameKind,
        name: &str,
    ) -> crate::policy::UnknownName {
        crate::policy::UnknownName::new(policy, kind, name)
    }

    /// Whether bit `index` is set.
    #[inline(always)]
    pub const fn has_bit(bits: u128, index: usize) -> bool {
        bits & (1u128 << index) != 0
    }

    /// The index of `name` among `names`, found through `sorted` (hash, index) pairs. Names
    /// whose hashes collide stand side by side; each is compared.
    const fn find(sorted: &[(u64, usize)], names: &[&str], hash: u64, name: &str) -> Option<usize> {
        let (mut low, mut high) = (0, sorted.len());
        while low < high {
            let middle = low + (high - low) / 2;
            if sorted[middle].0 < hash {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        while low < sorted.len() && sorted[low].0 == hash {
            let index = sorted[low].1;
            if str_eq(names[index], name) {
                return Some(index);
            }
            low += 1;
        }
        None
    }

    use crate::claims::const_str_eq as str_eq;

    /// Reports an unknown name: the closest declared name when one is close, else the list.
    /// Runs only when compilation is failing anyway.
    #[track_caller]
    #[allow(clippy::panic)] // A panic in const evaluation is how this reports a compile error.
    const fn unknown(names: &[&str], hints: &[&str], unknown: &str, name: &str) -> usize {
        let mut i = 0;
        let mut best = (usize::MAX, 0);
        while i < names.len() {
            let distance = edit_distance(names[i].as_bytes(), name.as_bytes());
            if distance < best.0 {
                best = (distance, i);
            }
            i += 1;
        }
        let limit = if name.len() / 3 > 1 {
            name.len() / 3
        } else {
            1
        };
        if best.0 <= limit && best.1 < hints.len() {
            panic!("{}", hints[best.1]);
        }
        panic!("{}", unknown);
    }

    /// Levenshtein distance over bytes, for names up to 64 bytes (longer: no suggestion).
    const fn edit_distance(a: &[u8], b: &[u8]) -> usize {
        const MAX: usize = 64;
        if a.len() > MAX || b.len() > MAX {
            return usize::MAX;
        }
        let mut row = [0usize; MAX + 1];
        let mut j = 0;
        while j <= b.len() {
            row[j] = j;
            j += 1;
        }
        let mut i = 0;
        while i < a.len() {
            let mut diagonal = row[0];
            row[0] = i + 1;
            let mut j = 0;
            while j < b.len() {
                let substitute = diagonal + if a[i] == b[j] { 0 } else { 1 };
                diagonal = row[j + 1];
                let insert = row[j] + 1;
                let delete = diagonal + 1;
                let mut best = substitute;
                if insert < best {
                    best = insert;
                }
                if delete < best {
                    best = delete;
                }
                row[j + 1] = best;
                j += 1;
            }
            i += 1;
        }
        row[b.len()]
    }

    pub use crate::claims::{
        names_at, permission_names, role_names, scope_names, seconds, subject,
    };

    /// Serializes a permission or role as its name.
    pub fn serialize_name<S: serde::Serializer>(
        name: &'static str,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(name)
    }

    /// Deserializes a permission or role from its name, with `FromStr`'s error.
    pub fn deserialize_name<'de, T, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: FromStr<Err = crate::policy::UnknownName>,
        D: serde::Deserializer<'de>,
    {
        struct NameVisitor<T>(core::marker::PhantomData<T>);
        impl<T: FromStr<Err = crate::policy::UnknownName>> serde::de::Visitor<'_> for NameVisitor<T> {
            type Value = T;
            fn expecting(&self, f: &mut Formatter<'_>) -> FmtResult {
                f.write_str("a name declared by the policy")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(NameVisitor(core::marker::PhantomData))
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn find_compares_names_on_a_hash_match_and_walks_collisions() {
            let names = ["a:x", "b:y", "c:z"];
            // "b:y" and "c:z" given the same hash, as a collision would.
            let sorted = [(1, 0), (5, 2), (5, 1)];
            assert_eq!(super::find(&sorted, &names, 1, "a:x"), Some(0));
            assert_eq!(super::find(&sorted, &names, 5, "b:y"), Some(1));
            assert_eq!(super::find(&sorted, &names, 5, "c:z"), Some(2));
            assert_eq!(super::find(&sorted, &names, 5, "d:w"), None);
            assert_eq!(super::find(&sorted, &names, 1, "b:y"), None);
            assert_eq!(super::find(&sorted, &names, 7, "a:x"), None);
            assert_eq!(super::find(&[], &[], 7, "a:x"), None);
        }
    }
}

/// `Display`, `FromStr` and serde for a generated permission or role enum, which has inherent
/// `name` and `from_name` functions.
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_name_traits {
    ($ty:ident, $kind:ident, $policy:expr) => {
        impl $crate::__private_0_1::Display for $ty {
            fn fmt(
                &self,
                f: &mut $crate::__private_0_1::Formatter<'_>,
            ) -> $crate::__private_0_1::FmtResult {
                f.write_str(self.name())
            }
        }
        impl $crate::__private_0_1::FromStr for $ty {
            type Err = $crate::policy::UnknownName;
            fn from_str(
                name: &str,
            ) -> $crate::__private_0_1::Result<Self, $crate::policy::UnknownName> {
                Self::from_name(name).ok_or_else(|| {
                    $crate::__private_0_1::unknown_name(
                        $policy,
                        $crate::policy::NameKind::$kind,
                        name,
                    )
                })
            }
        }
        impl $crate::__private_0_1::serde::Serialize for $ty {
            fn serialize<S: $crate::__private_0_1::serde::Serializer>(
                &self,
                serializer: S,
            ) -> $crate::__private_0_1::Result<S::Ok, S::Error> {
                $crate::__private_0_1::serialize_name(self.name(), serializer)
            }
        }
        impl<'de> $crate::__private_0_1::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__private_0_1::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> $crate::__private_0_1::Result<Self, D::Error> {
                $crate::__private_0_1::deserialize_name(deserializer)
            }
        }
    };
}
