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
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

// Lets the macros' absolute `::authz_core::…` paths resolve inside this crate's own tests.
#[cfg(test)]
extern crate self as authz_core;

mod authorize;
mod claims;
mod matrix;
mod policy;
mod token;

pub use authorize::{
    Authenticated, Denied, DenyReason, Granted, HasOwner, Owned, Req, Requirement, Rule,
};
pub use claims::{
    Claims, Names, PermissionNames, RegisteredClaims, Resolution, RoleNames, ScopeString,
    SubjectField,
};
pub use matrix::render_markdown;
pub use policy::{
    Iter, MAX_PERMISSIONS, NameKind, Permission, PermissionSet, Policy, Role, RoleSet, UnknownName,
};
#[cfg(feature = "remote")]
pub use token::RemoteConfig;
#[cfg(feature = "test-util")]
pub use token::test_util;
pub use token::{
    Algorithm, BoxFuture, ClaimsMismatch, ConfigError, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_LEN,
    ErrorCategory, InMemoryRevocation, Key, KeyError, MAX_KID_LEN, Revocation, RevocationError,
    RevocationQuery, RevocationStatus, TokenError, TokenPart, UnknownAlgorithm, Validated,
    Validator, ValidatorBuilder,
};

#[doc = include_str!("../doc/policy_macro.md")]
pub use authz_macros::policy;

#[doc = include_str!("../doc/derive_claims.md")]
pub use authz_macros::Claims;

/// What the macros' generated code names. Not public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use core::fmt::{Display, Formatter, Result as FmtResult};
    pub use core::option::Option::{self, None, Some};
    pub use core::result::Result::{self, Err, Ok};
    pub use core::str::FromStr;
    pub use serde;

    use crate::{PermissionNames, RoleNames, ScopeString, SubjectField};

    /// Reads a subject field.
    #[inline]
    pub fn subject<T: SubjectField + ?Sized>(field: &T) -> Option<&str> {
        field.subject()
    }

    /// Reads a role-names field.
    #[inline]
    pub fn role_names<T: RoleNames + ?Sized>(field: &T) -> crate::Names<'_> {
        field.role_names()
    }

    /// Reads a permission-names field.
    #[inline]
    pub fn permission_names<T: PermissionNames + ?Sized>(field: &T) -> crate::Names<'_> {
        field.permission_names()
    }

    /// Reads a scope-string field.
    #[inline]
    pub fn scope_names<T: ScopeString + ?Sized>(field: &T) -> crate::Names<'_> {
        field.scope_names()
    }

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
        T: FromStr<Err = crate::UnknownName>,
        D: serde::Deserializer<'de>,
    {
        struct NameVisitor<T>(core::marker::PhantomData<T>);
        impl<T: FromStr<Err = crate::UnknownName>> serde::de::Visitor<'_> for NameVisitor<T> {
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
}

/// `Display`, `FromStr` and serde for a generated permission or role enum, which has inherent
/// `name` and `from_name` functions.
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_name_traits {
    ($ty:ident, $kind:ident, $policy:expr) => {
        impl $crate::__private::Display for $ty {
            fn fmt(
                &self,
                f: &mut $crate::__private::Formatter<'_>,
            ) -> $crate::__private::FmtResult {
                f.write_str(self.name())
            }
        }
        impl $crate::__private::FromStr for $ty {
            type Err = $crate::UnknownName;
            fn from_str(name: &str) -> $crate::__private::Result<Self, $crate::UnknownName> {
                Self::from_name(name).ok_or_else(|| {
                    $crate::UnknownName::__new($policy, $crate::NameKind::$kind, name)
                })
            }
        }
        impl $crate::__private::serde::Serialize for $ty {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> $crate::__private::Result<S::Ok, S::Error> {
                $crate::__private::serialize_name(self.name(), serializer)
            }
        }
        impl<'de> $crate::__private::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> $crate::__private::Result<Self, D::Error> {
                $crate::__private::deserialize_name(deserializer)
            }
        }
    };
}
