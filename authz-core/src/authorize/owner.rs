//! Owner checks: the owner, or a holder of the override, within the resource's tenant.

#[allow(unused_imports)]
use super::*;

impl<P: Policy, C: Claims> Authenticated<P, C> {
    /// The owner check most services want, in one call: the caller is the owner, or holds
    /// `same_tenant` (say `perm::DocsReadAny`) within the resource's tenant, or holds
    /// `any_tenant` (say `perm::DocsReadAnyTenant`, for support staff). Another tenant's
    /// resource without `any_tenant` is refused as absent (404, [concealed](Denied::conceal));
    /// within the tenant, a caller who is neither owner nor holder of `same_tenant` gets 403.
    /// A resource without a tenant ([`HasOwner::owner_tenant`] `None`) is in every caller's.
    /// With `#[derive(Resource)]` the resource describes its owner and tenant itself.
    pub fn check_owner_or<T, S, X>(
        &self,
        resource: T,
        same_tenant: S,
        any_tenant: X,
    ) -> Result<Owned<T>, Denied>
    where
        T: HasOwner,
        S: Requirement<Policy = P>,
        X: Requirement<Policy = P>,
    {
        let _ = (same_tenant, any_tenant);
        let other_tenant = resource
            .owner_tenant()
            .is_some_and(|tenant| self.tenant() != Some(tenant));
        let (allowed, reason, rule) = if other_tenant {
            let crossed = self.meets::<X>();
            let reason = if crossed {
                "cross-tenant permission"
            } else {
                DenyReason::OtherTenant.as_str()
            };
            (crossed, reason, X::RULE)
        } else if self.owns(&resource) {
            (true, OwnerOutcome::Owner.reason(), S::RULE)
        } else if self.meets::<S>() || self.meets::<X>() {
            (true, OwnerOutcome::Override.reason(), S::RULE)
        } else {
            (false, OwnerOutcome::NotOwner.reason(), S::RULE)
        };
        if audit::may_record(allowed) {
            audit::resource_check("owner_check", self.audit_who(), rule, allowed, reason);
        }
        match (allowed, other_tenant) {
            (true, _) => Ok(Owned { resource }),
            (false, true) => Err(Denied::new(X::RULE, DenyReason::OtherTenant)),
            (false, false) => Err(Denied::new(S::RULE, DenyReason::NotOwner)),
        }
    }

    /// Whether the caller is the resource's owner: the same subject and, where the resource
    /// names its owner's issuer, the same issuer (see [`HasOwner`]).
    pub(super) fn owns<T: HasOwner>(&self, resource: &T) -> bool {
        self.subject().is_some_and(|subject| {
            subject == resource.owner()
                && match resource.owner_issuer() {
                    Some(issuer) => self.issuer() == Some(issuer),
                    None => !self.identity_includes_issuer(),
                }
        })
    }

    /// Who audit events about this caller name.
    pub(crate) fn audit_who(&self) -> audit::Who<'_> {
        audit::Who {
            subject: self.subject().unwrap_or(""),
            issuer: self.issuer().unwrap_or(""),
            key_id: self.api_key_id(),
            tenant: self.tenant().unwrap_or(""),
            route: self.route().unwrap_or(""),
        }
    }

    /// The API key's id when the caller presented one; empty for tokens.
    fn api_key_id(&self) -> &str {
        #[cfg(feature = "api-keys")]
        if let Some(key) = self.api_key() {
            return key.id();
        }
        ""
    }

    /// The unknown names for an audit event, each cut to 64 characters, 16 of each kind,
    /// joined; empty strings (and no allocation) in the common case of none. Names come from
    /// the credential, so they are logged with `Debug` (escaped) and bounded.
    #[cfg(feature = "jwt")]
    pub(crate) fn audit_unknown_names(&self) -> (String, String) {
        if self.unknown_counts() == (0, 0) {
            return (String::new(), String::new());
        }
        let (mut roles, mut permissions) = (Vec::new(), Vec::new());
        for (kind, name) in self.unknown_names() {
            let name = crate::util::truncate(name, 64);
            match kind {
                NameKind::Role => roles.push(name),
                NameKind::Permission => permissions.push(name),
            }
        }
        roles.truncate(16);
        permissions.truncate(16);
        (roles.join(","), permissions.join(","))
    }
}

/// How an owner check ended, for its audit event.
#[derive(Clone, Copy)]
pub(crate) enum OwnerOutcome {
    Owner,
    Override,
    NotOwner,
}

impl OwnerOutcome {
    pub(crate) fn allowed(self) -> bool {
        !matches!(self, Self::NotOwner)
    }

    /// The audit event's `reason`.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Override => "override",
            Self::NotOwner => "not the owner",
        }
    }
}
