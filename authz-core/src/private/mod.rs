//! What the macros' generated code names (`::authz_core::__private_0_1::…`). Not public API:
//! it may change in any release. Its name carries the version of `authz-macros` it belongs to
//! (which `authz-core` pins exactly), so that generated code from another version fails to
//! compile rather than misbehave. The name lookups `#[require]` and `#[derive(Claims)]`
//! evaluate at compile time are in the `lookup` module, re-exported here.

pub use core::fmt::{Display, Formatter, Result as FmtResult};
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};
pub use core::str::FromStr;
pub use serde;

pub use crate::adapter::{Adapter, Guard};
pub use crate::claims::{Claims, Names, RegisteredClaims};
pub use crate::policy::{Permission, PermissionSet, Policy, Role, RoleSet};
pub use crate::requirement::{AllOf, AnyOf, Implies, Requirement, Rule};
pub use crate::requirement::{CredentialTenant, InTenant, PathParam};

pub use crate::requirement::{Atom, Leaf, path::*};

pub use crate::__impl_name_traits_0_1 as impl_name_traits;

mod lookup;
pub mod probe;
pub use lookup::{
    Index, NameKey, PermissionAt, PolicyTables, RoleAt, mapped_permission_index, mapped_role_index,
    permission_index, role_index,
};

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

pub use crate::claims::{names_at, permission_names, role_names, scope_names, seconds, subject};

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

/// `Display`, `FromStr` and serde for a generated permission or role enum, which has inherent
/// `name` and `from_name` functions. `policy!` calls it as
/// `__private_0_1::impl_name_traits!`, so that it is versioned with the rest of the module.
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_name_traits_0_1 {
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

#[cfg(test)]
mod tests {
    /// An enum shaped as `policy!` generates them: `name` and `from_name`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Colour {
        Red,
    }

    impl Colour {
        fn name(self) -> &'static str {
            "red"
        }

        fn from_name(name: &str) -> Option<Self> {
            (name == "red").then_some(Self::Red)
        }
    }

    // The versioned path `policy!` is to call.
    crate::__private_0_1::impl_name_traits!(Colour, Permission, "colours");

    #[test]
    fn the_versioned_path_implements_the_name_traits() {
        assert_eq!(Colour::Red.to_string(), "red");
        assert_eq!("red".parse::<Colour>(), Ok(Colour::Red));
        let unknown = "blue".parse::<Colour>().unwrap_err();
        assert!(unknown.to_string().contains("blue"), "{unknown}");
        assert_eq!(serde_json::to_string(&Colour::Red).unwrap(), "\"red\"");
        assert_eq!(
            serde_json::from_str::<Colour>("\"red\"").unwrap(),
            Colour::Red
        );
    }
}
