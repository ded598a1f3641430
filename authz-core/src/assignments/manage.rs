//! Changing memberships on behalf of a caller: the no-escalation rule, the tenant rule, and
//! the audit event of every change and refusal ([`manage`]).

use core::fmt;

use super::{Member, Unavailable};
use crate::authorize::{Authenticated, Denied, DenyReason};
use crate::claims::Claims;
use crate::policy::{Permission as _, PermissionSet, Policy, Role as _, RoleSet};
use crate::requirement::{Requirement, Rule};

/// The `cross_tenant` requirement of a management route that never crosses tenants: no caller
/// meets it, so [`manage`] (and a store's `grant_by` and `revoke_by`) changes memberships only
/// in the caller's own tenant, whatever the caller holds.
pub struct OwnTenantOnly<P>(core::marker::PhantomData<fn() -> P>);

impl<P: Policy> Requirement for OwnTenantOnly<P> {
    type Policy = P;
    const RULE: Rule = Rule::Check("own tenant only");

    fn is_met(_: PermissionSet<P>, _: RoleSet<P>) -> bool {
        false
    }
}

impl<P> Clone for OwnTenantOnly<P> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P> Copy for OwnTenantOnly<P> {}
impl<P> Default for OwnTenantOnly<P> {
    fn default() -> Self {
        Self(core::marker::PhantomData)
    }
}
impl<P> fmt::Debug for OwnTenantOnly<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OwnTenantOnly")
    }
}

/// A change to memberships, for [`manage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Assign a role.
    Grant,
    /// Take a role back.
    Revoke,
}

/// Why [`manage`] changed nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeError {
    /// The member is in another tenant than the caller's, and the caller does not meet the
    /// requirement for crossing tenants: refused as another tenant's resource is (404).
    #[error("{0}")]
    OtherTenant(Denied),
    /// The role grants permissions the caller does not hold (403): a caller assigns and
    /// takes back only roles within its own permissions.
    #[error("the role grants permissions the caller does not hold: {missing}")]
    NotHeld {
        /// The permissions the caller lacks, comma-separated.
        missing: String,
    },
    /// The member cannot exist: an empty or too long subject or tenant, or a NUL character
    /// (400, see [`Member::is_valid`]).
    #[error("invalid member: {0}")]
    InvalidMember(&'static str),
    /// The store could not be written (503).
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl ChangeError {
    /// The HTTP status a handler answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::OtherTenant(denied) if denied.is_concealed() => 404,
            Self::OtherTenant(_) | Self::NotHeld { .. } => 403,
            Self::InvalidMember(_) => 400,
            Self::Unavailable(_) => 503,
        }
    }
}

/// Grants or revokes `role` of `member` on behalf of `caller` (the request's authenticated
/// caller, scoped to its tenant), under the rules API keys follow: the role's permissions must
/// all be the caller's own, and a member of another tenant than the caller's needs
/// `cross_tenant` (say `perm::MembersManageAnyTenant`). Runs `write` only when both hold, and
/// records the outcome as an audit event naming the caller. `write` answers whether anything
/// changed.
///
/// What a store's management API calls; the application's route decides, with its own
/// `#[require]`, who may manage memberships at all.
pub async fn manage<O, C, W>(
    caller: &Authenticated<O::Policy, C>,
    cross_tenant: O,
    action: Action,
    member: Member<'_>,
    role: <O::Policy as Policy>::Role,
    write: W,
) -> Result<bool, ChangeError>
where
    O: Requirement,
    C: Claims,
    W: Future<Output = Result<bool, Unavailable>>,
{
    let _ = cross_tenant;
    let outcome = match check_change::<O, C>(caller, member, role) {
        Ok(()) => write.await.map_err(ChangeError::from),
        Err(refused) => Err(refused),
    };
    crate::audit::role_assignment(
        action,
        outcome.as_ref().copied().map_err(|error| error as _),
        member,
        role.name(),
        caller.audit_who(),
    );
    outcome
}

fn check_change<O: Requirement, C: Claims>(
    caller: &Authenticated<O::Policy, C>,
    member: Member<'_>,
    role: <O::Policy as Policy>::Role,
) -> Result<(), ChangeError> {
    if !member.is_valid() {
        return Err(ChangeError::InvalidMember(
            "a subject and a tenant of 1 to 256 bytes, an issuer of at most 512, no NUL",
        ));
    }
    if caller.tenant() != Some(member.tenant) && !caller.meets::<O>() {
        return Err(ChangeError::OtherTenant(Denied::new(
            O::RULE,
            DenyReason::OtherTenant,
        )));
    }
    let missing = role.grants().difference(caller.permissions());
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|p| p.name()).collect();
        return Err(ChangeError::NotHeld {
            missing: names.join(", "),
        });
    }
    Ok(())
}
