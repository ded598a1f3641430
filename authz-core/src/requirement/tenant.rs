//! Requirements scoped to a tenant: where a route's tenant comes from, as a type.
//!
//! `#[require(permission = "invoices:read", tenant = "{org}")]` checks `invoices:read` for the
//! caller *in the tenant named by the path parameter `{org}`*: the adapter looks the caller
//! up in that tenant (its membership and the roles the application's store assigns it there,
//! see [`assignments`](crate::assignments)), refuses it (404) when it is no member, and checks
//! the requirement against the caller scoped to the tenant. `tenant = credential` takes the
//! tenant the credential itself names (a token's `#[claims(tenant)]`, an API key's tenant).
//! The requirement type is [`InTenant<T, R>`](InTenant), and the route table shows it:
//!
//! ```
//! use authz_core::requirement::{InTenant, TenantFrom, TenantSource};
//! use authz_core::Requirement;
//! # authz_core::policy! { /// P
//! # pub mod invoices { permissions { /// r
//! # "invoices:read", } } }
//! use invoices::perm;
//!
//! /// The organisation of `/orgs/{org}/...` (what `tenant = "{org}"` generates, by hand).
//! #[derive(Debug)]
//! struct Org;
//! impl TenantSource for Org {
//!     const FROM: TenantFrom = TenantFrom::Path("org");
//! }
//!
//! type ReadOrgInvoices = InTenant<Org, perm::InvoicesRead>;
//! assert_eq!(ReadOrgInvoices::TENANT, Some(TenantFrom::Path("org")));
//! assert_eq!(ReadOrgInvoices::RULE.to_string(), "permission(invoices:read) in tenant {org}");
//! ```
//!
//! A proof of `InTenant<T, R>` weakens to whatever `R` implies, so domain functions keep
//! asking for `Granted<perm::InvoicesRead>`. [`Authenticated::require`](crate::Authenticated::require)
//! grants an `InTenant` requirement only to a caller scoped to a tenant (by the adapter, or by
//! [`Authenticated::in_tenant`](crate::Authenticated::in_tenant)): a proof that a tenant was
//! checked cannot come from a caller that never was.

use core::fmt;
use core::marker::PhantomData;

use super::{Atom, Implies, Requirement, Rule, path};
use crate::policy::{PermissionSet, RoleSet};

/// Where the tenant of a request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TenantFrom {
    /// A path parameter of the route, by name (`"org"` for `/orgs/{org}/...`). The adapter's
    /// router refuses, at start-up, a route whose path has no such parameter.
    Path(&'static str),
    /// The tenant the credential names: a token's `#[claims(tenant)]`, an API key's tenant.
    Credential,
}

impl TenantFrom {
    /// Whether two sources are the same (usable in constants).
    pub const fn same(self, other: TenantFrom) -> bool {
        match (self, other) {
            (TenantFrom::Credential, TenantFrom::Credential) => true,
            (TenantFrom::Path(a), TenantFrom::Path(b)) => {
                let (a, b) = (a.as_bytes(), b.as_bytes());
                if a.len() != b.len() {
                    return false;
                }
                let mut i = 0;
                while i < a.len() {
                    if a[i] != b[i] {
                        return false;
                    }
                    i += 1;
                }
                true
            }
            _ => false,
        }
    }
}

impl fmt::Display for TenantFrom {
    /// `{org}` for a path parameter, `the credential's tenant` for the credential.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TenantFrom::Path(name) => write!(f, "{{{name}}}"),
            TenantFrom::Credential => f.write_str("the credential's tenant"),
        }
    }
}

/// A type that says where a route's tenant comes from: `tenant = "{org}"` and
/// `tenant = credential` in `#[require]` generate one; an application may name its own
/// (`struct Org;` with `FROM = TenantFrom::Path("org")`) and write `tenant = Org`.
///
/// It only says where the tenant's *name* is read; the membership check always runs, so a
/// source cannot grant anything.
pub trait TenantSource: 'static {
    /// Where the tenant comes from.
    const FROM: TenantFrom;
}

/// The tenant the credential names (`tenant = credential`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CredentialTenant;

impl TenantSource for CredentialTenant {
    const FROM: TenantFrom = TenantFrom::Credential;
}

/// `R`, checked for the caller in the tenant `T` names: what
/// `#[require(permission = "...", tenant = "{org}")]` builds. The adapter's guard scopes the
/// caller to the tenant (its membership there, with the roles the application's store assigns
/// it, through `Gate::assignments`, feature `jwt`) before the check, and refuses a
/// caller with no membership (404). [`Authenticated::require`](crate::Authenticated::require)
/// grants it only to a scoped caller. A proof of `InTenant<T, R>` weakens to whatever `R`
/// implies. The route table prints `permission(invoices:read) in tenant {org}`.
pub struct InTenant<T, R>(PhantomData<fn() -> (T, R)>);

impl<T: TenantSource, R: Requirement> Requirement for InTenant<T, R> {
    type Policy = R::Policy;
    const RULE: Rule = Rule::InTenant(&R::RULE, T::FROM);
    const STEP_UP: bool = R::STEP_UP;
    const TENANT: Option<TenantFrom> = Some(T::FROM);

    #[inline]
    fn is_met(permissions: PermissionSet<Self::Policy>, roles: RoleSet<Self::Policy>) -> bool {
        R::is_met(permissions, roles)
    }
}

impl<T, R> Clone for InTenant<T, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T, R> Copy for InTenant<T, R> {}
impl<T, R> Default for InTenant<T, R> {
    fn default() -> Self {
        Self(PhantomData)
    }
}
impl<T: TenantSource, R: Requirement> fmt::Debug for InTenant<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Self::RULE)
    }
}

#[diagnostic::do_not_recommend]
impl<T, R> Implies<InTenant<T, R>, path::Itself> for InTenant<T, R> {}

// A proof in a tenant is a proof of everything `R` implies.
#[diagnostic::do_not_recommend]
impl<T, R, W: Atom, I> Implies<W, path::Scoped<I>> for InTenant<T, R> where R: Implies<W, I> {}

/// The one tenant source of a combination's parts (`AllOf`, `AnyOf`); a compile error when two
/// parts name different sources.
#[doc(hidden)]
#[allow(clippy::panic)] // A panic in const evaluation is how this reports a compile error.
pub const fn one_tenant(sources: &[Option<TenantFrom>]) -> Option<TenantFrom> {
    let mut found: Option<TenantFrom> = None;
    let mut i = 0;
    while i < sources.len() {
        if let Some(source) = sources[i] {
            if let Some(before) = found
                && !before.same(source)
            {
                panic!(
                    "the parts of this requirement read their tenant from different places: declare one `tenant = ...` for the whole requirement"
                );
            }
            found = Some(source);
        }
        i += 1;
    }
    found
}

/// A path parameter named by up to 32 bytes packed into two integers: what
/// `#[require(tenant = "{org}")]` generates, since a type cannot carry a string. Not for
/// application code: write `tenant = "{org}"`, or a [`TenantSource`] of your own.
#[doc(hidden)]
#[derive(Debug)]
pub struct PathParam<const LOW: u128, const HIGH: u128>;

impl<const LOW: u128, const HIGH: u128> PathParam<LOW, HIGH> {
    const BYTES: [u8; 32] = {
        let (low, high) = (LOW.to_le_bytes(), HIGH.to_le_bytes());
        let mut out = [0u8; 32];
        let mut i = 0;
        while i < 16 {
            out[i] = low[i];
            out[16 + i] = high[i];
            i += 1;
        }
        out
    };
    const NAME: &'static str = {
        let mut len = 0;
        while len < 32 && Self::BYTES[len] != 0 {
            len += 1;
        }
        match core::str::from_utf8(Self::BYTES.split_at(len).0) {
            Ok(name) => name,
            Err(_) => panic!("a path parameter's name is UTF-8"),
        }
    };
}

impl<const LOW: u128, const HIGH: u128> TenantSource for PathParam<LOW, HIGH> {
    const FROM: TenantFrom = TenantFrom::Path(Self::NAME);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the macro packs: the name's bytes, little-endian, in two integers.
    fn pack(name: &str) -> (u128, u128) {
        let mut bytes = [0u8; 32];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        let (low, high) = bytes.split_at(16);
        (
            u128::from_le_bytes(low.try_into().unwrap()),
            u128::from_le_bytes(high.try_into().unwrap()),
        )
    }

    #[test]
    fn a_packed_parameter_name_reads_back() {
        assert_eq!(pack("org"), (0x67726f, 0));
        assert_eq!(
            <PathParam<0x67726f, 0> as TenantSource>::FROM,
            TenantFrom::Path("org")
        );
        let (low, high) = pack("organisation_identifier_of_32byt");
        assert_ne!(high, 0);
        let long = "organisation_identifier_of_32byt";
        assert_eq!(long.len(), 32);
        // Const generics need literal values; the macro emits them. Check the decoder on the
        // same bytes through a const with those values.
        const LOW: u128 = 0x6564695f6e6f69746173696e6167726f;
        const HIGH: u128 = 0x74796232335f666f5f7265696669746e;
        assert_eq!((low, high), (LOW, HIGH));
        assert_eq!(
            <PathParam<LOW, HIGH> as TenantSource>::FROM,
            TenantFrom::Path(long)
        );
    }

    #[test]
    fn one_source_for_a_combination() {
        let org = Some(TenantFrom::Path("org"));
        assert_eq!(one_tenant(&[None, org, None, org]), org);
        assert_eq!(one_tenant(&[None, None]), None);
        assert!(
            std::panic::catch_unwind(|| one_tenant(&[org, Some(TenantFrom::Credential)])).is_err()
        );
    }
}
