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
#[cfg(any(test, feature = "test-util"))]
extern crate self as authz_core;

mod adapter;
#[cfg(feature = "api-keys")]
mod api_key;
#[cfg(all(feature = "api-keys", feature = "redis"))]
mod api_key_redis;
mod authorize;
mod claims;
#[cfg(feature = "test-util")]
pub mod conformance;
mod gate;
mod matrix;
mod policy;
mod token;

pub use adapter::{Adapter, Guard};
#[cfg(feature = "api-keys")]
pub use api_key::{
    ApiKeyError, ApiKeyRecord, ApiKeyStore, ApiKeys, BadPrefix, InMemoryApiKeyStore, IssueError,
    IssuedKey, RevokeError, StoreError, VerifiedKey,
};
#[cfg(all(feature = "api-keys", feature = "redis"))]
pub use api_key_redis::RedisApiKeyStore;
pub use authorize::{
    Authenticated, Denied, DenyReason, Granted, HasOwner, Owned, Req, Requirement, Rule,
};
pub use claims::{
    Claims, Names, PermissionNames, RegisteredClaims, Resolution, RoleNames, ScopeString,
    SubjectField,
};
pub use gate::{
    AUDIT_TARGET, Credentials, Gate, RETRY_AFTER_SECONDS, Refusal, RefusalKind, bearer_credentials,
};
pub use matrix::render_markdown;
pub use policy::{
    Iter, MAX_PERMISSIONS, NameKind, Permission, PermissionSet, Policy, Role, RoleSet, UnknownName,
};
#[cfg(feature = "test-util")]
pub use token::test_util;
pub use token::{
    Algorithm, BoxFuture, CacheStats, ClaimsMismatch, ConfigError, DEFAULT_LEEWAY,
    DEFAULT_MAX_TOKEN_LEN, ErrorCategory, InMemoryRevocation, Issuer, Key, KeyError, MAX_KID_LEN,
    Revocation, RevocationError, RevocationQuery, RevocationStatus, TokenError, TokenPart,
    UnknownAlgorithm, Validated, Validator, ValidatorBuilder,
};
#[cfg(feature = "redis")]
pub use token::{
    DEFAULT_REDIS_PREFIX, DEFAULT_REDIS_TIMEOUT, MAX_CACHE_STALENESS, RedisConfigError,
    RedisRevocation, RedisRevocationBuilder,
};
#[cfg(feature = "remote")]
pub use token::{RemoteConfig, redact_url};

#[doc = include_str!("../doc/policy_macro.md")]
pub use authz_macros::policy;

#[doc = include_str!("../doc/derive_claims.md")]
pub use authz_macros::Claims;

#[doc = include_str!("../doc/require.md")]
pub use authz_macros::require;

/// Marks an `async fn` handler as callable by anyone, so that a deny-by-default router accepts
/// it. It inserts the adapter's public marker as the first parameter and checks nothing.
/// Like [`require`], it finds the adapter through the type alias `Authz` in scope, or
/// `#[public(authz = path)]`.
pub use authz_macros::public;

/// What the macros' generated code names. Not public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use core::fmt::{Display, Formatter, Result as FmtResult};
    pub use core::option::Option::{self, None, Some};
    pub use core::result::Result::{self, Err, Ok};
    pub use core::str::FromStr;
    pub use serde;

    use crate::{PermissionNames, Policy, RoleNames, ScopeString, SubjectField};

    pub use crate::adapter::Guard;

    /// The bit of permission `name` in policy `P`; fails compilation, with a hint, when `P`
    /// declares no such permission. `#[require]` calls it in a const context.
    #[track_caller]
    pub const fn permission_bit<P: Policy>(name: &str) -> u128 {
        lookup(
            P::PERMISSION_NAMES,
            P::PERMISSION_HINTS,
            P::UNKNOWN_PERMISSION_HINT,
            name,
        )
    }

    /// The bit of role `name` in policy `P`, like [`permission_bit`].
    #[track_caller]
    pub const fn role_bit<P: Policy>(name: &str) -> u128 {
        lookup(P::ROLE_NAMES, P::ROLE_HINTS, P::UNKNOWN_ROLE_HINT, name)
    }

    #[track_caller]
    #[allow(clippy::panic)] // A panic in const evaluation is how this reports a compile error.
    const fn lookup(names: &[&str], hints: &[&str], unknown: &str, name: &str) -> u128 {
        // Exact matches first: the edit distances below are for the error message only, and
        // computing them for every name on every (correct) lookup made const evaluation the
        // bulk of `cargo check` for a large policy.
        let mut i = 0;
        while i < names.len() {
            if str_eq(names[i], name) {
                return 1u128 << i;
            }
            i += 1;
        }
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

    use crate::claims::const_str_eq as str_eq;

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
