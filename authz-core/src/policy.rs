//! Typed policy tables: permissions, roles and the set that joins them.
//!
//! A policy is declared once with [`policy!`](crate::policy!), which checks it at compile time
//! and generates a module of types. Everything here is what that module implements.
//!
//! ```
//! authz_core::policy! {
//!     /// Who may do what with reports.
//!     pub mod reports {
//!         permissions {
//!             /// Read one's own reports.
//!             "reports:read",
//!             /// Create reports.
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
//! use reports::{Permission, Role};
//!
//! let editor = Role::Editor.grants();
//! assert!(editor.contains(Permission::ReportsRead)); // inherited from viewer
//! assert!(!Role::Viewer.grants().contains(Permission::ReportsWrite));
//! assert_eq!("reports:write".parse::<Permission>(), Ok(Permission::ReportsWrite));
//! assert!("reports:wrte".parse::<Permission>().is_err());
//! ```

use core::fmt;
use core::hash::Hash;
use core::marker::PhantomData;
use core::str::FromStr;

/// The most permissions one policy may declare: the width of [`PermissionSet`].
pub const MAX_PERMISSIONS: usize = 128;

/// A policy: the permissions and roles declared by one [`policy!`](crate::policy!) invocation.
///
/// Implemented by the `Policy` type that `policy!` generates; there is no reason to implement
/// it by hand, and the generated tables are what makes the compile-time checks hold.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an authz policy",
    note = "declare a policy with `authz_core::policy! {{ pub mod name {{ ... }} }}` and use its `Policy` type"
)]
pub trait Policy: Copy + Eq + Hash + Default + fmt::Debug + Send + Sync + 'static {
    /// The policy's permission enum.
    type Permission: Permission<Policy = Self>;
    /// The policy's role enum.
    type Role: Role<Policy = Self>;
    /// The module name given to `policy!`, for messages and the rendered matrix.
    const NAME: &'static str;
    /// Every permission, in declaration order.
    const PERMISSIONS: &'static [Self::Permission];
    /// Every role, in declaration order.
    const ROLES: &'static [Self::Role];
    /// The separation-of-duties pairs: no role may hold both permissions of a pair.
    const SEPARATED: &'static [(Self::Permission, Self::Permission)];
}

/// A permission of a policy: a `resource:action` name with a bit in a [`PermissionSet`].
pub trait Permission:
    Copy + Eq + Hash + Ord + fmt::Debug + fmt::Display + FromStr + Send + Sync + 'static
{
    /// The policy this permission belongs to.
    type Policy: Policy<Permission = Self>;
    /// The stable name, as it appears in tokens and in the policy source.
    fn name(self) -> &'static str;
    /// The permission's position in declaration order (its bit in a [`PermissionSet`]).
    fn index(self) -> usize;
    /// Looks a name up; `None` for a name the policy does not declare.
    fn from_name(name: &str) -> Option<Self>;
}

/// A role of a policy: a named bundle of permissions that may inherit other roles.
pub trait Role:
    Copy + Eq + Hash + Ord + fmt::Debug + fmt::Display + FromStr + Send + Sync + 'static
{
    /// The policy this role belongs to.
    type Policy: Policy<Role = Self>;
    /// The stable name, as it appears in tokens and in the policy source.
    fn name(self) -> &'static str;
    /// Every permission the role holds, including those inherited (resolved at compile time).
    fn grants(self) -> PermissionSet<Self::Policy>;
    /// The permissions the role's declaration lists itself, without inheritance.
    fn direct_grants(self) -> PermissionSet<Self::Policy>;
    /// The roles this role inherits directly, in declaration order.
    fn parents(self) -> &'static [Self];
    /// The role's position in declaration order (its bit in a [`RoleSet`]).
    fn index(self) -> usize;
    /// The role and every role it inherits, transitively: holding this role counts as holding
    /// each of them.
    fn lineage(self) -> RoleSet<Self::Policy>;
    /// Looks a name up; `None` for a name the policy does not declare.
    fn from_name(name: &str) -> Option<Self>;
}

/// A fixed-size set of a policy's permissions: a 128-bit bitset, `Copy`, `const`-constructible
/// and free of heap allocation. The type parameter keeps sets of different policies apart.
pub struct PermissionSet<P> {
    bits: u128,
    // `fn() -> P`: the set owns no `P`, so it is Send + Sync whatever `P` is.
    _policy: PhantomData<fn() -> P>,
}

impl<P: Policy> PermissionSet<P> {
    /// Every permission the policy declares.
    pub fn all() -> Self {
        P::PERMISSIONS.iter().copied().collect()
    }

    /// The set holding exactly `permission`.
    #[inline]
    pub fn of(permission: P::Permission) -> Self {
        Self::from_bits(1u128 << permission.index())
    }

    /// `true` if the set holds `permission`.
    #[inline]
    pub fn contains(self, permission: P::Permission) -> bool {
        self.bits & (1u128 << permission.index()) != 0
    }

    /// Adds `permission`; returns `true` if it was not already present.
    #[inline]
    pub fn insert(&mut self, permission: P::Permission) -> bool {
        let bit = 1u128 << permission.index();
        let added = self.bits & bit == 0;
        self.bits |= bit;
        added
    }

    /// Removes `permission`; returns `true` if it was present.
    #[inline]
    pub fn remove(&mut self, permission: P::Permission) -> bool {
        let bit = 1u128 << permission.index();
        let present = self.bits & bit != 0;
        self.bits &= !bit;
        present
    }

    /// The set with `permission` added.
    #[inline]
    #[must_use]
    pub fn with(mut self, permission: P::Permission) -> Self {
        self.insert(permission);
        self
    }

    /// The permissions in the set, in declaration order.
    pub fn iter(self) -> Iter<P> {
        Iter {
            bits: self.bits,
            _policy: PhantomData,
        }
    }
}

impl<P: Policy> fmt::Debug for PermissionSet<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(Permission::name))
            .finish()
    }
}

impl<P: Policy> fmt::Display for PermissionSet<P> {
    /// Space-separated names, the form of an OAuth `scope` string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, permission) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(permission.name())?;
        }
        Ok(())
    }
}

impl<P: Policy> FromIterator<P::Permission> for PermissionSet<P> {
    fn from_iter<I: IntoIterator<Item = P::Permission>>(iter: I) -> Self {
        let mut set = Self::EMPTY;
        set.extend(iter);
        set
    }
}

impl<P: Policy> Extend<P::Permission> for PermissionSet<P> {
    fn extend<I: IntoIterator<Item = P::Permission>>(&mut self, iter: I) {
        for permission in iter {
            self.insert(permission);
        }
    }
}

impl<P: Policy> IntoIterator for PermissionSet<P> {
    type Item = P::Permission;
    type IntoIter = Iter<P>;
    fn into_iter(self) -> Iter<P> {
        self.iter()
    }
}

/// A set of a policy's roles: 128 bits, like [`PermissionSet`]. A caller's role set holds each
/// role they carry and every role those inherit.
pub struct RoleSet<P> {
    bits: u128,
    _policy: PhantomData<fn() -> P>,
}

impl<P: Policy> RoleSet<P> {
    /// `true` if the set holds `role`.
    #[inline]
    pub fn contains(self, role: P::Role) -> bool {
        self.bits & (1u128 << role.index()) != 0
    }

    /// The roles in the set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = P::Role> {
        P::ROLES.iter().copied().filter(move |r| self.contains(*r))
    }
}

impl<P: Policy> fmt::Display for RoleSet<P> {
    /// Space-separated role names, in declaration order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, role) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(role.name())?;
        }
        Ok(())
    }
}

impl<P: Policy> fmt::Debug for RoleSet<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(Role::name)).finish()
    }
}

/// The set algebra both sets share: construction, bits, `const` operations and the operator and
/// comparison traits (hand-written: derives would demand `P: Clone` etc. of the phantom
/// parameter).
macro_rules! bitset {
    ($set:ident, $item:literal, $index:ident) => {
        impl<P> $set<P> {
            /// The empty set.
            pub const EMPTY: Self = Self::from_bits(0);

            /// Builds a set from raw bits. Used by the code `policy!` generates (through
            /// `__private_0_1`), which only passes bits of declared names.
            pub(crate) const fn from_bits(bits: u128) -> Self {
                Self {
                    bits,
                    _policy: PhantomData,
                }
            }

            #[doc = concat!("The raw bits: bit `i` is the ", $item, " with [`", stringify!($index), "::index`] `i`.")]
            pub const fn bits(self) -> u128 {
                self.bits
            }

            #[doc = concat!("`true` if the set holds no ", $item, ".")]
            pub const fn is_empty(self) -> bool {
                self.bits == 0
            }

            #[doc = concat!("The number of ", $item, "s in the set.")]
            pub const fn len(self) -> usize {
                self.bits.count_ones() as usize
            }

            #[doc = concat!("The ", $item, "s in either set.")]
            #[must_use]
            pub const fn union(self, other: Self) -> Self {
                Self::from_bits(self.bits | other.bits)
            }

            #[doc = concat!("The ", $item, "s in both sets.")]
            #[must_use]
            pub const fn intersection(self, other: Self) -> Self {
                Self::from_bits(self.bits & other.bits)
            }

            #[doc = concat!("The ", $item, "s in `self` but not in `other`.")]
            #[must_use]
            pub const fn difference(self, other: Self) -> Self {
                Self::from_bits(self.bits & !other.bits)
            }

            #[doc = concat!("`true` if every ", $item, " of `self` is in `other`.")]
            pub const fn is_subset(self, other: Self) -> bool {
                self.bits & !other.bits == 0
            }

            #[doc = concat!("`true` if every ", $item, " of `other` is in `self`.")]
            pub const fn is_superset(self, other: Self) -> bool {
                other.is_subset(self)
            }

            #[doc = concat!("`true` if the sets share at least one ", $item, ".")]
            pub const fn intersects(self, other: Self) -> bool {
                self.bits & other.bits != 0
            }
        }

        impl<P> Clone for $set<P> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<P> Copy for $set<P> {}
        impl<P> PartialEq for $set<P> {
            fn eq(&self, other: &Self) -> bool {
                self.bits == other.bits
            }
        }
        impl<P> Eq for $set<P> {}
        impl<P> Hash for $set<P> {
            fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
                self.bits.hash(state);
            }
        }
        impl<P> Default for $set<P> {
            fn default() -> Self {
                Self::EMPTY
            }
        }
        impl<P> core::ops::BitOr for $set<P> {
            type Output = Self;
            fn bitor(self, rhs: Self) -> Self {
                self.union(rhs)
            }
        }
        impl<P> core::ops::BitOrAssign for $set<P> {
            fn bitor_assign(&mut self, rhs: Self) {
                *self = self.union(rhs);
            }
        }
        impl<P> core::ops::BitAnd for $set<P> {
            type Output = Self;
            fn bitand(self, rhs: Self) -> Self {
                self.intersection(rhs)
            }
        }
        impl<P> core::ops::Sub for $set<P> {
            type Output = Self;
            fn sub(self, rhs: Self) -> Self {
                self.difference(rhs)
            }
        }
    };
}

bitset!(PermissionSet, "permission", Permission);
bitset!(RoleSet, "role", Role);

/// Iterator over the permissions of a [`PermissionSet`], in declaration order.
pub struct Iter<P> {
    bits: u128,
    _policy: PhantomData<fn() -> P>,
}

impl<P> fmt::Debug for Iter<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter")
            .field("remaining", &self.bits.count_ones())
            .finish()
    }
}

impl<P: Policy> Iterator for Iter<P> {
    type Item = P::Permission;
    fn next(&mut self) -> Option<P::Permission> {
        if self.bits == 0 {
            return None;
        }
        let index = self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        P::PERMISSIONS.get(index).copied()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.bits.count_ones() as usize;
        (n, Some(n))
    }
}

impl<P: Policy> ExactSizeIterator for Iter<P> {}

/// The error of parsing a permission or role name the policy does not declare.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy `{policy}` declares no {kind} named `{name}`")]
pub struct UnknownName {
    policy: &'static str,
    kind: NameKind,
    name: Box<str>,
}

impl UnknownName {
    /// Builds the error; used by generated `FromStr` impls (through
    /// `__private_0_1::unknown_name`). Names longer than 128 bytes are shortened, so a hostile
    /// input cannot make the message large.
    pub(crate) fn new(policy: &'static str, kind: NameKind, name: &str) -> Self {
        Self {
            policy,
            kind,
            name: crate::util::truncate(name, 128).into(),
        }
    }

    /// Whether a permission or a role was looked up.
    pub fn kind(&self) -> NameKind {
        self.kind
    }

    /// The name that was not found (at most 128 bytes of it).
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// What kind of name an [`UnknownName`] is, or an unknown name in claims was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// A permission name.
    Permission,
    /// A role name.
    Role,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Permission => "permission",
            NameKind::Role => "role",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::policy! {
        /// Test policy.
        pub mod pay {
            permissions {
                /// a
                "payments:initiate",
                /// b
                "payments:approve",
                /// c
                "payments:read",
            }
            roles {
                /// r
                "reader" = ["payments:read"],
                /// c
                "clerk" = "reader" + ["payments:initiate"],
                /// a
                "approver" = "reader" + ["payments:approve"],
            }
            separation_of_duties {
                ["payments:initiate", "payments:approve"],
            }
        }
    }

    use pay::{Permission as Perm, Role};

    #[test]
    fn roles_resolve_inheritance() {
        assert_eq!(
            Role::Clerk.grants(),
            PermissionSet::EMPTY
                .with(Perm::PaymentsRead)
                .with(Perm::PaymentsInitiate)
        );
        assert_eq!(
            Role::Clerk.direct_grants(),
            PermissionSet::of(Perm::PaymentsInitiate)
        );
        assert_eq!(Role::Approver.parents(), &[Role::Reader]);
        assert!(Role::Reader.parents().is_empty());
    }

    #[test]
    fn names_round_trip() {
        for &p in <pay::Policy as Policy>::PERMISSIONS {
            assert_eq!(p.to_string().parse::<Perm>(), Ok(p));
            assert_eq!(Perm::from_name(p.name()), Some(p));
        }
        for &r in <pay::Policy as Policy>::ROLES {
            assert_eq!(r.name().parse::<Role>(), Ok(r));
        }
        let err = "payments:nope".parse::<Perm>().unwrap_err();
        assert_eq!(err.kind(), NameKind::Permission);
        assert_eq!(
            err.to_string(),
            "policy `pay` declares no permission named `payments:nope`"
        );
        assert!(
            "READER".parse::<Role>().is_err(),
            "names are case-sensitive"
        );
    }

    #[test]
    fn set_display_debug_and_iter() {
        let set = Role::Clerk.grants();
        assert_eq!(set.to_string(), "payments:initiate payments:read");
        assert_eq!(
            format!("{set:?}"),
            r#"{"payments:initiate", "payments:read"}"#
        );
        assert_eq!(set.iter().len(), 2);
        assert_eq!(PermissionSet::<pay::Policy>::all().len(), 3);
    }

    #[test]
    fn set_edges() {
        let mut set = PermissionSet::<pay::Policy>::EMPTY;
        assert!(set.is_empty());
        assert!(set.insert(Perm::PaymentsRead));
        assert!(!set.insert(Perm::PaymentsRead));
        assert!(set.remove(Perm::PaymentsRead));
        assert!(!set.remove(Perm::PaymentsRead));
        assert!(set.is_empty());
        assert!(PermissionSet::<pay::Policy>::EMPTY.is_subset(set));
    }

    #[test]
    fn separated_pairs_are_exposed() {
        assert_eq!(
            <pay::Policy as Policy>::SEPARATED,
            &[(Perm::PaymentsInitiate, Perm::PaymentsApprove)]
        );
    }

    #[test]
    fn long_unknown_names_are_truncated() {
        let long = "é".repeat(200);
        let err = long.parse::<Role>().unwrap_err();
        assert!(err.name().len() <= 128);
        assert!(long.starts_with(err.name()));
    }
}
