//! Identity providers' own names for a policy's permissions and roles: what [`Claims::names`]
//! yields, and what a `map = { ... }` of `#[derive(Claims)]` resolves a provider's name to.
//!
//! [`Claims::names`]: super::Claims::names

use core::any::TypeId;
use core::fmt;

use crate::policy::{Permission, Policy, Role};

/// One name a token carries, as [`Claims::names`](super::Claims::names) yields it under policy
/// `P`: a name as the token spells it, for `P` to look up, or a provider's name that a `map` of
/// the claims type translated into a permission or role of `P`.
pub enum Name<'a, P: Policy> {
    /// A role name as the token spells it.
    Role(&'a str),
    /// A permission name as the token spells it.
    Permission(&'a str),
    /// A provider's name that the claims type maps to this role.
    MappedRole(P::Role),
    /// A provider's name that the claims type maps to this permission.
    MappedPermission(P::Permission),
}

impl<P: Policy> Clone for Name<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P: Policy> Copy for Name<'_, P> {}

impl<P: Policy> PartialEq for Name<'_, P> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Role(a), Self::Role(b)) | (Self::Permission(a), Self::Permission(b)) => a == b,
            (Self::MappedRole(a), Self::MappedRole(b)) => a == b,
            (Self::MappedPermission(a), Self::MappedPermission(b)) => a == b,
            _ => false,
        }
    }
}
impl<P: Policy> Eq for Name<'_, P> {}

impl<P: Policy> fmt::Debug for Name<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Role(name) => f.debug_tuple("Role").field(name).finish(),
            Self::Permission(name) => f.debug_tuple("Permission").field(name).finish(),
            Self::MappedRole(role) => f.debug_tuple("MappedRole").field(role).finish(),
            Self::MappedPermission(permission) => {
                f.debug_tuple("MappedPermission").field(permission).finish()
            }
        }
    }
}

/// Whether `P` and `M` are one policy. Both are `'static` types known after
/// monomorphisation, so the comparison is of two constants and folds away.
#[inline(always)]
fn same_policy<P: Policy, M: Policy>() -> bool {
    TypeId::of::<P>() == TypeId::of::<M>()
}

/// What `#[derive(Claims)]` yields for a provider's name that its `map` sends to the
/// permission at `index` of `M`, the policy the map was checked against when the crate
/// compiled. Under `M` itself that is the permission, with no lookup; under another policy the
/// permission's name is looked up there, and a policy without it reads the provider's name as
/// written (unknown to it, so counted and reported as such).
#[inline(always)]
pub fn mapped_permission<'a, P: Policy, M: Policy>(index: usize, provider: &'a str) -> Name<'a, P> {
    if same_policy::<P, M>() {
        if let Some(&permission) = P::PERMISSIONS.get(index) {
            return Name::MappedPermission(permission);
        }
    } else if let Some(permission) = M::PERMISSIONS
        .get(index)
        .and_then(|mapped| P::Permission::from_name(mapped.name()))
    {
        return Name::MappedPermission(permission);
    }
    Name::Permission(provider)
}

/// As [`mapped_permission`], for a provider's name mapped to the role at `index` of `M`.
#[inline(always)]
pub fn mapped_role<'a, P: Policy, M: Policy>(index: usize, provider: &'a str) -> Name<'a, P> {
    if same_policy::<P, M>() {
        if let Some(&role) = P::ROLES.get(index) {
            return Name::MappedRole(role);
        }
    } else if let Some(role) = M::ROLES
        .get(index)
        .and_then(|mapped| P::Role::from_name(mapped.name()))
    {
        return Name::MappedRole(role);
    }
    Name::Role(provider)
}
