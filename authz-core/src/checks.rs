//! Checks on a resource beyond ownership, each yielding a proof only it can make and refusing
//! with the same [`Denied`] as every other check: tenant isolation ([`HasTenant`],
//! [`Authenticated::check_tenant`]), four eyes ([`HasCreator`],
//! [`Authenticated::check_four_eyes`]) and rules of the application's own
//! ([`Authenticated::check_that`]).
//!
//! ```
//! use authz_core::checks::{HasCreator, HasTenant};
//! use authz_core::Authenticated;
//! # authz_core::policy! { /// P
//! # pub mod invoices { permissions { /// r
//! # "invoices:read", /// a
//! # "invoices:read_any_tenant", } } }
//! #[derive(authz_core::Claims)]
//! struct Session { sub: String, #[claims(tenant)] org: String }
//!
//! struct Invoice { tenant: String, created_by: String }
//! impl HasTenant for Invoice {
//!     fn tenant(&self) -> &str { &self.tenant }
//! }
//! impl HasCreator for Invoice {
//!     fn creator(&self) -> &str { &self.created_by }
//! }
//!
//! let ann = Authenticated::<invoices::Policy, _>::from_verified_claims(
//!     Session { sub: "ann".into(), org: "acme".into() },
//! );
//! let ours = Invoice { tenant: "acme".into(), created_by: "bob".into() };
//! let theirs = Invoice { tenant: "globex".into(), created_by: "bob".into() };
//!
//! let ours = ann.check_tenant(ours)?;            // same tenant: a proof
//! assert!(ann.check_tenant(theirs).is_err());    // another tenant: Denied
//! let approvable = ann.check_four_eyes(ours.into_inner())?; // bob created it, ann approves
//! assert!(ann.check_that(approvable.into_inner(), "not archived", |_, _| false).is_err());
//! # Ok::<(), authz_core::Denied>(())
//! ```

use core::fmt;
use core::ops::Deref;

use crate::audit;
use crate::authorize::{Authenticated, Denied, DenyReason};
use crate::claims::Claims;
use crate::policy::Policy;
use crate::requirement::{Requirement, Rule};

/// A resource that belongs to one tenant of a multi-tenant service.
pub trait HasTenant {
    /// The tenant the resource belongs to, compared with the caller's
    /// ([`Authenticated::tenant`]).
    fn tenant(&self) -> &str;
}

/// A resource created by someone, for four-eyes checks (the approver is not the creator).
/// As with [`HasOwner`](crate::HasOwner), where the validator trusts several issuers the
/// creator is the pair (issuer, subject): implement
/// [`creator_issuer`](HasCreator::creator_issuer) too.
pub trait HasCreator {
    /// The subject that created the resource.
    fn creator(&self) -> &str;

    /// The issuer of the creator's identity, when several issuers are trusted.
    fn creator_issuer(&self) -> Option<&str> {
        None
    }
}

macro_rules! proof {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name<T> {
            resource: T,
        }

        impl<T> $name<T> {
            /// The resource, giving up the proof.
            pub fn into_inner(self) -> T {
                self.resource
            }
        }

        impl<T> Deref for $name<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.resource
            }
        }

        impl<T: fmt::Debug> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.resource).finish()
            }
        }
    };
}

proof!(
    /// Proof that the resource belongs to the caller's tenant, or that the caller holds the
    /// permission that crosses tenants. Only [`Authenticated::check_tenant`] and
    /// [`Authenticated::check_tenant_or`] make one. Dereferences to the resource.
    InTenant
);
proof!(
    /// Proof that the caller did not create the resource (four eyes). Only
    /// [`Authenticated::check_four_eyes`] makes one. Dereferences to the resource.
    FourEyes
);
proof!(
    /// Proof that an application-defined rule held for the caller and the resource. Only
    /// [`Authenticated::check_that`] makes one. Dereferences to the resource.
    Checked
);

const TENANT_RULE: Rule = Rule::Check("same tenant");
const FOUR_EYES_RULE: Rule = Rule::Check("four eyes");

impl<P: Policy, C: Claims> Authenticated<P, C> {
    /// Tenant isolation: succeeds when the resource belongs to the caller's tenant. A caller
    /// whose credential names no tenant belongs to none and passes no tenant check. No
    /// permission lets a caller across tenants here; for that, see
    /// [`check_tenant_or`](Self::check_tenant_or). Refusing with 404 instead of 403, so that
    /// ids of other tenants cannot be probed: [`Denied::conceal`].
    pub fn check_tenant<T: HasTenant>(&self, resource: T) -> Result<InTenant<T>, Denied> {
        let same = self.tenant() == Some(resource.tenant());
        let reason = match (same, self.tenant()) {
            (true, _) => "same tenant",
            (false, None) => "no tenant",
            (false, Some(_)) => DenyReason::OtherTenant.as_str(),
        };
        self.record("tenant_check", TENANT_RULE, same, reason);
        if same {
            Ok(InTenant { resource })
        } else {
            Err(Denied::new(TENANT_RULE, DenyReason::OtherTenant))
        }
    }

    /// Tenant isolation with an explicit way across: succeeds when the resource belongs to
    /// the caller's tenant, or when the caller meets `cross_tenant`, a requirement that says
    /// so by name (say `perm::InvoicesReadAnyTenant`, held by a support role).
    pub fn check_tenant_or<T: HasTenant, X: Requirement<Policy = P>>(
        &self,
        resource: T,
        cross_tenant: X,
    ) -> Result<InTenant<T>, Denied> {
        let _ = cross_tenant;
        let same = self.tenant() == Some(resource.tenant());
        let allowed = same || self.meets::<X>();
        let reason = if same {
            "same tenant"
        } else if allowed {
            "cross-tenant permission"
        } else {
            DenyReason::OtherTenant.as_str()
        };
        self.record("tenant_check", X::RULE, allowed, reason);
        if allowed {
            Ok(InTenant { resource })
        } else {
            Err(Denied::new(X::RULE, DenyReason::OtherTenant))
        }
    }

    /// Four eyes: succeeds when the caller is not the resource's creator, so that who
    /// prepares a payment or an invoice does not also approve it. A caller without a subject
    /// is refused (it cannot be told apart from the creator).
    ///
    /// A service account's key issued by a caller (`ApiKeys::issue_by`, feature `api-keys`)
    /// stands for that caller too: it may not approve what its accountable caller created.
    /// Record [`accountable`](Self::accountable) as the creator, and what a person creates
    /// through such a key is theirs as well.
    pub fn check_four_eyes<T: HasCreator>(&self, resource: T) -> Result<FourEyes<T>, Denied> {
        let created = match self.subject() {
            None => true,
            Some(subject) => {
                same_party(subject, self.issuer(), &resource)
                    || self
                        .accountable_issuer()
                        .is_some_and(|(who, issuer)| same_party(who, issuer, &resource))
            }
        };
        let allowed = !created;
        let reason = if allowed {
            "not the creator"
        } else {
            DenyReason::SameCreator.as_str()
        };
        self.record("four_eyes", FOUR_EYES_RULE, allowed, reason);
        if allowed {
            Ok(FourEyes { resource })
        } else {
            Err(Denied::new(FOUR_EYES_RULE, DenyReason::SameCreator))
        }
    }

    /// Who stands behind the caller, for the creator a four-eyes resource records: the caller
    /// that issued a service account's key (`VerifiedKey::issued_by`, feature `api-keys`),
    /// otherwise the caller's own subject. `None` without a subject.
    pub fn accountable(&self) -> Option<&str> {
        self.accountable_issuer()
            .map(|(who, _)| who)
            .or_else(|| self.subject())
    }

    /// The party accountable for a service account's key, with its issuer.
    fn accountable_issuer(&self) -> Option<(&str, Option<&str>)> {
        #[cfg(feature = "api-keys")]
        if let Some(by) = self.api_key().and_then(crate::VerifiedKey::issued_by) {
            return Some((by.subject.as_str(), by.issuer.as_deref()));
        }
        None
    }

    /// A rule of the application's own, named `name` in audit events and refusals: succeeds
    /// when `rule` holds for the caller and the resource. The proof and the refusal are those
    /// of every other check, so a handler answers it with `?` like the rest.
    pub fn check_that<T>(
        &self,
        resource: T,
        name: &'static str,
        rule: impl FnOnce(&Self, &T) -> bool,
    ) -> Result<Checked<T>, Denied> {
        let allowed = rule(self, &resource);
        let described = Rule::Check(name);
        let reason = if allowed {
            "passed"
        } else {
            DenyReason::Check.as_str()
        };
        self.record("check", described, allowed, reason);
        if allowed {
            Ok(Checked { resource })
        } else {
            Err(Denied::new(described, DenyReason::Check))
        }
    }

    fn record(&self, event: &'static str, rule: Rule, allowed: bool, reason: &'static str) {
        if audit::may_record(allowed) {
            audit::resource_check(event, self.audit_who(), rule, allowed, reason);
        }
    }
}

/// Proofs chain: a proof of one check is still the resource for the next, so that a domain
/// function can demand both (`&FourEyes<InTenant<Invoice>>`: approved by someone else, within
/// the caller's tenant).
macro_rules! pass_through {
    ($($proof:ident),*) => {$(
        impl<T: HasTenant> HasTenant for $proof<T> {
            fn tenant(&self) -> &str {
                self.resource.tenant()
            }
        }

        impl<T: HasCreator> HasCreator for $proof<T> {
            fn creator(&self) -> &str {
                self.resource.creator()
            }
            fn creator_issuer(&self) -> Option<&str> {
                self.resource.creator_issuer()
            }
        }

        impl<T: crate::HasOwner> crate::HasOwner for $proof<T> {
            fn owner(&self) -> &str {
                self.resource.owner()
            }
            fn owner_issuer(&self) -> Option<&str> {
                self.resource.owner_issuer()
            }
            fn owner_tenant(&self) -> Option<&str> {
                self.resource.owner_tenant()
            }
        }
    )*};
}
pass_through!(InTenant, FourEyes, Checked);

impl<T: HasTenant> HasTenant for crate::Owned<T> {
    fn tenant(&self) -> &str {
        T::tenant(self)
    }
}

impl<T: HasCreator> HasCreator for crate::Owned<T> {
    fn creator(&self) -> &str {
        T::creator(self)
    }
    fn creator_issuer(&self) -> Option<&str> {
        T::creator_issuer(self)
    }
}

/// Whether `subject` of `issuer` may be `resource`'s creator. Only two known, different
/// issuers make the same subject someone else. An unknown issuer on either side (an API key,
/// verified claims, a resource that names none) may be the creator: refusing cannot be abused.
fn same_party<T: HasCreator>(subject: &str, issuer: Option<&str>, resource: &T) -> bool {
    subject == resource.creator()
        && match (resource.creator_issuer(), issuer) {
            (Some(theirs), Some(mine)) => theirs == mine,
            _ => true,
        }
}
