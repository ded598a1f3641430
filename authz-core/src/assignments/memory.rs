//! [`MemoryAssignments`]: role assignments in process memory.

use core::fmt;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::{Action, Assigned, Assignments, ChangeError, Member, Membership, Unavailable, manage};
use crate::authorize::Authenticated;
use crate::claims::Claims;
use crate::policy::Policy;
use crate::requirement::Requirement;
use crate::util::{read, write};

/// A store of role assignments in process memory: for tests, examples and single-process
/// tools. Not shared between instances; use `authz-postgres` for a service.
pub struct MemoryAssignments<P> {
    // tenant -> issuer -> subject -> roles: lookups by `&str`, without building a key.
    tenants: RwLock<HashMap<Arc<str>, Issuers<P>>>,
}

/// One tenant's members of [`MemoryAssignments`]: issuer, then subject.
type Issuers<P> = HashMap<Box<str>, HashMap<Box<str>, Assigned<P>>>;

impl<P: Policy> Default for MemoryAssignments<P> {
    fn default() -> Self {
        Self {
            tenants: RwLock::default(),
        }
    }
}

impl<P: Policy> fmt::Debug for MemoryAssignments<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryAssignments")
            .field("tenants", &read(&self.tenants).len())
            .finish()
    }
}

impl<P: Policy> MemoryAssignments<P> {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Assigns `role` to `member`, checking no caller (for setup code and tests); whether it
    /// was not assigned already.
    pub fn grant(&self, member: Member<'_>, role: P::Role) -> bool {
        let mut tenants = write(&self.tenants);
        let tenant = match tenants.get_key_value(member.tenant) {
            Some((tenant, _)) => tenant.clone(),
            None => Arc::from(member.tenant),
        };
        let roles = tenants
            .entry(tenant)
            .or_default()
            .entry(member.issuer.into())
            .or_default()
            .entry(member.subject.into())
            .or_default();
        let before = *roles;
        *roles = roles.with(role);
        before != *roles
    }

    /// Takes `role` back from `member`, checking no caller; whether it was assigned.
    pub fn revoke(&self, member: Member<'_>, role: P::Role) -> bool {
        let mut tenants = write(&self.tenants);
        let Some(roles) = tenants
            .get_mut(member.tenant)
            .and_then(|issuers| issuers.get_mut(member.issuer))
            .and_then(|subjects| subjects.get_mut(member.subject))
        else {
            return false;
        };
        let before = *roles;
        *roles = roles.without(role);
        before != *roles
    }

    /// [`grant`](Self::grant) on behalf of `caller`, under [`manage`]'s rules, audited.
    pub async fn grant_by<O: Requirement<Policy = P>, C: Claims>(
        &self,
        caller: &Authenticated<P, C>,
        cross_tenant: O,
        member: Member<'_>,
        role: P::Role,
    ) -> Result<bool, ChangeError> {
        manage(caller, cross_tenant, Action::Grant, member, role, async {
            Ok(self.grant(member, role))
        })
        .await
    }

    /// [`revoke`](Self::revoke) on behalf of `caller`, under [`manage`]'s rules, audited.
    pub async fn revoke_by<O: Requirement<Policy = P>, C: Claims>(
        &self,
        caller: &Authenticated<P, C>,
        cross_tenant: O,
        member: Member<'_>,
        role: P::Role,
    ) -> Result<bool, ChangeError> {
        manage(caller, cross_tenant, Action::Revoke, member, role, async {
            Ok(self.revoke(member, role))
        })
        .await
    }
}

impl<P: Policy> MemoryAssignments<P> {
    fn lookup(&self, member: Member<'_>) -> Result<Option<Membership<P>>, Unavailable> {
        let tenants = read(&self.tenants);
        Ok(tenants
            .get_key_value(member.tenant)
            .and_then(|(tenant, issuers)| {
                let assigned = issuers.get(member.issuer)?.get(member.subject)?;
                Some(Membership::new(tenant.clone(), *assigned))
            }))
    }
}

impl<P: Policy> Assignments<P> for MemoryAssignments<P> {
    async fn membership(&self, member: Member<'_>) -> Result<Option<Membership<P>>, Unavailable> {
        self.lookup(member)
    }

    fn membership_now(
        &self,
        member: Member<'_>,
    ) -> Option<Result<Option<Membership<P>>, Unavailable>> {
        Some(self.lookup(member))
    }
}
