//! Roles the application's own database assigns, per tenant, beside what the token says.
//!
//! The identity provider says who a caller is; a store of role assignments keyed by
//! (issuer, subject, tenant) says what the caller is in each tenant. [`Authenticated::in_tenant`]
//! looks the caller up in one tenant and yields the caller scoped to it, with the assigned
//! roles joined to the credential's under the same policy and the same resolution (roles,
//! then permissions, then `Granted<R>` proofs from [`Authenticated::require`]), for tokens and
//! API keys alike. A caller with no membership in the tenant is refused as tenant checks
//! refuse: [`Denied`] with [`DenyReason::OtherTenant`], concealed (404).
//!
//! The trait [`Assignments`] is what a store implements: `authz-postgres` keeps a copy in
//! memory kept current by PostgreSQL `LISTEN/NOTIFY`; [`MemoryAssignments`] here is a store in
//! process memory, for tests and examples. [`manage`] is the rule every store's management
//! API runs: a caller grants or revokes only roles whose permissions it holds, in its own
//! tenant unless it meets a requirement that allows crossing tenants, and every change and
//! refusal is an audit event.
//!
//! ```
//! use authz_core::assignments::{Member, MemoryAssignments};
//! use authz_core::{Authenticated, DenyReason};
//! # authz_core::policy! { /// P
//! # pub mod invoices { permissions { /// r
//! # "invoices:read", /// w
//! # "invoices:write", } roles { /// v
//! # "viewer" = ["invoices:read"], /// a
//! # "admin" = "viewer" + ["invoices:write"], } } }
//! use invoices::{Role, perm};
//!
//! // The token only authenticates: no roles in it.
//! #[derive(authz_core::Claims)]
//! struct Session { sub: String }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryAssignments::<invoices::Policy>::new();
//! store.grant(Member::new("", "ann", "acme"), Role::Admin);
//!
//! let ann = Authenticated::<invoices::Policy, _>::from_verified_claims(Session { sub: "ann".into() });
//! assert!(ann.require::<perm::InvoicesWrite>().is_err()); // nothing from the token alone
//!
//! let in_acme = ann.in_tenant(&store, "acme").await?;
//! assert!(in_acme.require::<perm::InvoicesWrite>().is_ok());
//! assert_eq!(in_acme.tenant(), Some("acme"));
//!
//! // No membership in globex: refused as another tenant's resource is (404).
//! let refused = ann.in_tenant(&store, "globex").await.unwrap_err();
//! assert_eq!(refused.http_status(), 404);
//! assert_eq!(refused.denied().map(|d| d.reason()), Some(DenyReason::OtherTenant));
//! # Ok::<(), authz_core::assignments::TenantError>(())
//! # }).unwrap();
//! ```
//!
//! # Identity
//!
//! A member is (issuer, subject, tenant). The issuer is the token's `iss`
//! ([`Authenticated::issuer`]); API keys and claims the application verified itself carry none
//! and are members under the empty issuer `""`. A subject of one issuer is never a member
//! through another issuer's rows.
//!
//! # Tenants
//!
//! A credential that names a tenant itself (a token's `#[claims(tenant)]`, which the
//! validator has already checked against the issuer's bound tenants, or an API key issued in
//! a tenant) acts in that tenant only: [`in_tenant`](Authenticated::in_tenant) with another
//! tenant is refused before any lookup, so an assignment never takes a caller out of the
//! tenant its credential is bound to. A credential that names none acts in every tenant where
//! the store has a membership for it. A token issuer's cap (`Issuer::grants_at_most`, feature
//! `jwt`) applies to assigned roles too.
//!
//! # Audit events
//!
//! On target `authz::audit`: `event = "tenant_check"` for each [`in_tenant`](Authenticated::in_tenant)
//! (`DEBUG` allow with `reason = "member"`, `WARN` deny with `reason` `another tenant`, `issuer
//! not bound to the tenant`, `not a
//! member` or `no subject`), and `event = "role_assignment"` for each change through [`manage`]:
//! `action` (`granted`, `revoked`, `unchanged` at `INFO`; `grant_refused`, `revoke_refused` at
//! `WARN`), `member_issuer`, `member_subject`, `tenant`, `role`, `actor`, `actor_issuer`,
//! `actor_key_id`, `actor_tenant`, `reason`.

use core::fmt;
use std::error::Error as StdError;
use std::sync::Arc;

use crate::audit;
use crate::authorize::{Authenticated, Denied, DenyReason};
use crate::claims::Claims;
use crate::policy::{PermissionSet, Policy, Role as _, RoleSet};
use crate::requirement::Rule;

/// The rule tenant membership refusals name.
const MEMBER_RULE: Rule = Rule::Check("tenant member");

/// Who holds an assignment: a subject of an issuer, in a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Member<'a> {
    /// The issuer of the subject's tokens (`iss`); `""` for API keys and verified claims.
    pub issuer: &'a str,
    /// The subject, as [`Authenticated::subject`] reads it.
    pub subject: &'a str,
    /// The tenant the roles apply in.
    pub tenant: &'a str,
}

/// The longest issuer a member may have, in bytes.
pub const MAX_ISSUER_LEN: usize = 512;
/// The longest subject, and the longest tenant, a member may have, in bytes.
pub const MAX_NAME_LEN: usize = 256;

impl<'a> Member<'a> {
    /// The member `subject` of `issuer` in `tenant`.
    pub const fn new(issuer: &'a str, subject: &'a str, tenant: &'a str) -> Self {
        Self {
            issuer,
            subject,
            tenant,
        }
    }

    /// Whether a store can hold this member: a subject and a tenant of 1 to
    /// [`MAX_NAME_LEN`] bytes, an issuer of at most [`MAX_ISSUER_LEN`], and no NUL character
    /// (which PostgreSQL's `text` cannot hold). No member outside these bounds exists, so
    /// [`in_tenant`](Authenticated::in_tenant) refuses one without asking the store, and
    /// [`manage`] refuses to write one (400), whatever a request carried.
    pub fn is_valid(&self) -> bool {
        let name = |value: &str, max: usize| value.len() <= max && !value.contains('\0');
        !self.subject.is_empty()
            && !self.tenant.is_empty()
            && name(self.subject, MAX_NAME_LEN)
            && name(self.tenant, MAX_NAME_LEN)
            && name(self.issuer, MAX_ISSUER_LEN)
    }
}

/// The roles assigned to one member, resolved under policy `P`: the roles as assigned, the
/// roles held (each with those it inherits) and the permissions they grant. `Copy`, 48 bytes,
/// so joining it to a caller is a few ORs.
pub struct Assigned<P> {
    assigned: RoleSet<P>,
    roles: RoleSet<P>,
    permissions: PermissionSet<P>,
}

impl<P: Policy> Assigned<P> {
    /// No roles.
    pub const NONE: Self = Self {
        assigned: RoleSet::EMPTY,
        roles: RoleSet::EMPTY,
        permissions: PermissionSet::EMPTY,
    };

    /// Exactly `role`.
    pub fn of(role: P::Role) -> Self {
        Self::NONE.with(role)
    }

    /// These roles and `role`.
    #[must_use]
    pub fn with(mut self, role: P::Role) -> Self {
        self.assigned |= RoleSet::from_bits(1u128 << role.index());
        self.roles |= role.lineage();
        self.permissions |= role.grants();
        self
    }

    /// These roles without `role` (the roles it inherits stay when another assigned role
    /// still holds them).
    #[must_use]
    pub fn without(self, role: P::Role) -> Self {
        self.assigned
            .iter()
            .filter(|other| *other != role)
            .fold(Self::NONE, Self::with)
    }

    /// The roles of the names the policy declares, and how many names it does not declare
    /// (an older or newer deployment's names: they grant nothing).
    pub fn from_names<'n>(names: impl IntoIterator<Item = &'n str>) -> (Self, u32) {
        let mut unknown = 0;
        let assigned =
            names
                .into_iter()
                .fold(Self::NONE, |set, name| match P::Role::from_name(name) {
                    Some(role) => set.with(role),
                    None => {
                        unknown += 1;
                        set
                    }
                });
        (assigned, unknown)
    }

    /// The roles as assigned.
    pub fn assigned(&self) -> RoleSet<P> {
        self.assigned
    }

    /// The roles held: each assigned role with every role it inherits.
    pub fn roles(&self) -> RoleSet<P> {
        self.roles
    }

    /// The permissions the roles grant.
    pub fn permissions(&self) -> PermissionSet<P> {
        self.permissions
    }

    /// Whether no role is assigned.
    pub fn is_empty(&self) -> bool {
        self.assigned.is_empty()
    }
}

impl<P> Clone for Assigned<P> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P> Copy for Assigned<P> {}
impl<P> PartialEq for Assigned<P> {
    fn eq(&self, other: &Self) -> bool {
        self.assigned == other.assigned
    }
}
impl<P> Eq for Assigned<P> {}
impl<P: Policy> Default for Assigned<P> {
    fn default() -> Self {
        Self::NONE
    }
}

impl<P: Policy> fmt::Debug for Assigned<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.assigned, f)
    }
}

/// A member's roles in one tenant, as a store found them.
pub struct Membership<P> {
    tenant: Arc<str>,
    assigned: Assigned<P>,
}

impl<P: Policy> Membership<P> {
    /// `assigned` in `tenant`. A store keeps tenant names shared, so that handing one out
    /// allocates nothing.
    pub fn new(tenant: Arc<str>, assigned: Assigned<P>) -> Self {
        Self { tenant, assigned }
    }

    /// The tenant.
    pub fn tenant(&self) -> &Arc<str> {
        &self.tenant
    }

    /// The roles.
    pub fn assigned(&self) -> &Assigned<P> {
        &self.assigned
    }
}

impl<P: Policy> fmt::Debug for Membership<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Membership")
            .field("tenant", &self.tenant)
            .field("assigned", &self.assigned)
            .finish()
    }
}

/// A store of role assignments under policy `P`.
///
/// [`membership`](Self::membership) runs on every request that asks for a tenant, so a store
/// should answer from memory. It must fail closed: when it cannot say what the assignments are
/// now (its database is down and its copy is not known to be current), it answers
/// [`Unavailable`], never a copy that may hold a revoked role.
pub trait Assignments<P: Policy>: Send + Sync {
    /// The member's roles in its tenant; `None` when it has none there.
    fn membership(
        &self,
        member: Member<'_>,
    ) -> impl Future<Output = Result<Option<Membership<P>>, Unavailable>> + Send;

    /// The answer of [`membership`](Self::membership) when the store has it without waiting
    /// (from its copy in memory), else `None`. A gate holding the store
    /// (`Gate::assignments`, feature `jwt`) asks this first, so that a warm store
    /// costs a request no allocation; the default always waits for `membership`. Must give the
    /// same answer `membership` would.
    fn membership_now(
        &self,
        member: Member<'_>,
    ) -> Option<Result<Option<Membership<P>>, Unavailable>> {
        let _ = member;
        None
    }
}

/// A store could not say what the assignments are (503): its database cannot be reached and
/// its copy is not known to be current.
#[derive(Debug, thiserror::Error)]
#[error("the role assignments cannot be read right now")]
pub struct Unavailable {
    #[source]
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl Unavailable {
    /// Unavailable because of `source`.
    pub fn new(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self {
            source: Some(source.into()),
        }
    }
}

/// Why [`Authenticated::in_tenant`] gave no caller.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TenantError {
    /// The caller may not act in the tenant: no membership there, a credential bound to
    /// another tenant, or no subject. Concealed (404), as another tenant's resource is.
    #[error(transparent)]
    Denied(Denied),
    /// The store cannot answer right now (503): never a stale grant.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl TenantError {
    /// The HTTP status a handler answers with: 404 (403 if the refusal was revealed) or 503.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Denied(denied) if denied.is_concealed() => 404,
            Self::Denied(_) => 403,
            Self::Unavailable(_) => 503,
        }
    }

    /// The refusal, when the caller was refused rather than the store unavailable.
    pub fn denied(&self) -> Option<&Denied> {
        match self {
            Self::Denied(denied) => Some(denied),
            Self::Unavailable(_) => None,
        }
    }
}

impl<P: Policy, C: Claims> Authenticated<P, C> {
    /// Who this caller is as a member of `tenant`: its issuer (`""` without one), subject and
    /// the tenant. `None` for a caller without a subject.
    pub fn member_in<'a>(&'a self, tenant: &'a str) -> Option<Member<'a>> {
        Some(Member::new(
            self.issuer().unwrap_or(""),
            self.subject()?,
            tenant,
        ))
    }

    /// The caller scoped to `tenant` (say the `{org}` of `/orgs/{org}/invoices`), with the
    /// roles `assignments` gives it there joined to its credential's: its
    /// [`permissions`](Self::permissions), [`roles`](Self::roles) and
    /// [`require`](Self::require) then answer for that tenant, and [`tenant`](Self::tenant)
    /// is `tenant`, so tenant and owner checks compare resources with it.
    ///
    /// Refused with [`TenantError::Denied`] (404) when the caller has no membership there,
    /// when its credential names another tenant (see the [module docs](self)), or when it has
    /// no subject; [`TenantError::Unavailable`] (503) when the store cannot answer. Either way
    /// an audit event `tenant_check` records it.
    pub async fn in_tenant<A: Assignments<P> + ?Sized>(
        &self,
        assignments: &A,
        tenant: &str,
    ) -> Result<Self, TenantError> {
        self.clone().into_tenant(assignments, tenant).await
    }

    /// [`in_tenant`](Self::in_tenant) on a caller the code owns, which it consumes instead of
    /// copying: what an adapter's guard calls for a route declared in a tenant.
    pub async fn into_tenant<A: Assignments<P> + ?Sized>(
        self,
        assignments: &A,
        tenant: &str,
    ) -> Result<Self, TenantError> {
        self.scope_into(assignments, Some(tenant)).await
    }

    /// The caller scoped to `tenant`, or (`None`) to the tenant its credential names.
    pub(crate) async fn scope_into<A: Assignments<P> + ?Sized>(
        self,
        assignments: &A,
        tenant: Option<&str>,
    ) -> Result<Self, TenantError> {
        let member = self.scope_member(tenant)?;
        // The answer from memory when the store has one; the wait for its database boxed, so
        // that the future of every request stays small (it is moved as a whole, and the
        // store's query future is large).
        let found = match assignments.membership_now(member) {
            Some(answer) => answer?,
            None => Box::pin(assignments.membership(member)).await?,
        };
        let in_tenant = is_membership_in(found.as_ref(), member.tenant);
        self.scoped(found, in_tenant)
    }

    /// [`scope_into`](Self::scope_into) as far as it gets without waiting: the answer when
    /// the store has it in memory (no allocation), else the caller back, for `scope_into`.
    #[cfg(feature = "jwt")]
    pub(crate) fn scope_now<A: Assignments<P> + ?Sized>(
        self,
        assignments: &A,
        tenant: Option<&str>,
    ) -> Scoping<Self, TenantError> {
        // `Some(found)` when the store answered from memory.
        let (answered, in_tenant) = match self.scope_member(tenant) {
            Err(error) => return Scoping::Now(Err(error)),
            Ok(member) => match assignments.membership_now(member) {
                None => (None, false),
                Some(Err(unavailable)) => return Scoping::Now(Err(unavailable.into())),
                Some(Ok(found)) => {
                    let in_tenant = is_membership_in(found.as_ref(), member.tenant);
                    (Some(found), in_tenant)
                }
            },
        };
        match answered {
            Some(found) => Scoping::Now(self.scoped(found, in_tenant)),
            None => Scoping::Wait(self),
        }
    }

    /// The member to look up for a caller scoped to `tenant` (or, `None`, to its credential's
    /// tenant), after the checks that need no store.
    fn scope_member<'s>(&'s self, tenant: Option<&'s str>) -> Result<Member<'s>, TenantError> {
        let tenant = match (self.credential_tenant(), tenant) {
            (Some(own), Some(tenant)) if own != tenant => {
                return Err(self.refuse_tenant("another tenant"));
            }
            (_, Some(tenant)) => tenant,
            (Some(own), None) => own,
            (None, None) => return Err(self.refuse_tenant("no tenant")),
        };
        if !self.issuer_speaks_for(tenant) {
            return Err(self.refuse_tenant("issuer not bound to the tenant"));
        }
        let Some(member) = self.member_in(tenant) else {
            return Err(self.refuse_tenant("no subject"));
        };
        if !member.is_valid() {
            return Err(self.refuse_tenant("not a member"));
        }
        Ok(member)
    }

    /// The caller joined to the roles the store found for it, when `in_tenant` says they are
    /// its membership in the tenant asked for ([`is_membership_in`]); else refused.
    fn scoped(self, found: Option<Membership<P>>, in_tenant: bool) -> Result<Self, TenantError> {
        match found {
            Some(found) if in_tenant => {
                let joined = self.join_assigned(found.tenant, &found.assigned);
                if audit::may_record(true) {
                    audit::resource_check(
                        "tenant_check",
                        joined.audit_who(),
                        MEMBER_RULE,
                        true,
                        "member",
                    );
                }
                Ok(joined)
            }
            _ => Err(self.refuse_tenant("not a member")),
        }
    }

    /// The caller scoped to the tenant its credential names (a token's `#[claims(tenant)]`,
    /// an API key's tenant), with its roles there joined, as [`in_tenant`](Self::in_tenant).
    /// A credential that names no tenant is refused (404).
    pub async fn in_own_tenant<A: Assignments<P> + ?Sized>(
        &self,
        assignments: &A,
    ) -> Result<Self, TenantError> {
        self.clone().scope_into(assignments, None).await
    }

    /// The caller scoped to `tenant` with no store to ask: only the tenant its credential names
    /// (and its issuer may speak for), with the credential's roles. What a gate without
    /// [`Gate::assignments`](crate::Gate::assignments) does for a route declared in a tenant.
    #[cfg(feature = "jwt")]
    pub(crate) fn in_credential_tenant(self, tenant: Option<&str>) -> Result<Self, TenantError> {
        let tenant = match (self.credential_tenant(), tenant) {
            (Some(own), Some(tenant)) if own == tenant => tenant,
            (Some(own), None) => own,
            (Some(_), Some(_)) => return Err(self.refuse_tenant("another tenant")),
            (None, _) => return Err(self.refuse_tenant("no tenant")),
        };
        if !self.issuer_speaks_for(tenant) {
            return Err(self.refuse_tenant("issuer not bound to the tenant"));
        }
        let tenant = Arc::from(tenant);
        let joined = self.join_assigned(tenant, &Assigned::NONE);
        if audit::may_record(true) {
            audit::resource_check(
                "tenant_check",
                joined.audit_who(),
                MEMBER_RULE,
                true,
                "credential tenant",
            );
        }
        Ok(joined)
    }

    fn refuse_tenant(&self, reason: &'static str) -> TenantError {
        if audit::may_record(false) {
            audit::resource_check("tenant_check", self.audit_who(), MEMBER_RULE, false, reason);
        }
        TenantError::Denied(Denied::new(MEMBER_RULE, DenyReason::OtherTenant))
    }
}

// For the gate (feature `jwt`), which holds a store of any type.
mod manage;
mod memory;
pub use manage::{Action, ChangeError, OwnTenantOnly, manage};
pub use memory::MemoryAssignments;

#[cfg(feature = "jwt")]
mod erased;
#[cfg(feature = "jwt")]
pub(crate) use erased::ErasedAssignments;

/// Whether `found` is a membership with roles in `tenant` (a store answering for another
/// tenant grants nothing).
fn is_membership_in<P: Policy>(found: Option<&Membership<P>>, tenant: &str) -> bool {
    found.is_some_and(|found| !found.assigned.is_empty() && *found.tenant == *tenant)
}

/// What scoping a caller comes to without waiting: the answer, or the caller back when the
/// store must be asked (its database).
#[cfg(feature = "jwt")]
pub(crate) enum Scoping<T, E> {
    Now(Result<T, E>),
    Wait(T),
}

#[cfg(test)]
mod tests;
