//! Roles joined from the application's store, and an issuer's cap on what its tokens grant.

#[allow(unused_imports)]
use super::*;

impl<P: Policy, C: Claims> Authenticated<P, C> {
    /// The caller scoped to `tenant`, with `assigned` (the roles the application's store
    /// assigns it there) joined to what the credential grants, through the same resolution:
    /// separation of duties is applied to the union, and a token issuer's cap
    /// ([`Issuer::grants_at_most`](crate::Issuer::grants_at_most)) to the result, so that no
    /// assignment widens what the token's issuer may grant. What
    /// [`in_tenant`](Self::in_tenant) calls once it has found the membership.
    pub(crate) fn join_assigned(
        mut self,
        tenant: Arc<str>,
        assigned: &crate::assignments::Assigned<P>,
    ) -> Self {
        // Common case: nothing was withheld from the credential, so what it grants is what
        // it resolved to, and joining is two ORs. Otherwise start again from the names.
        let mut resolution = if self.separated.is_none() && !self.is_capped() {
            crate::claims::Resolution {
                permissions: self.permissions,
                roles: self.roles,
                ..crate::claims::Resolution::default()
            }
        } else {
            self.unwithheld()
        };
        resolution.permissions |= assigned.permissions();
        resolution.roles |= assigned.roles();
        resolution.separate();
        #[cfg(feature = "jwt")]
        if let Credential::Token(validated) = &self.credential
            && let Some(cap) = &validated.grants
        {
            cap_grants(&mut resolution, cap);
        }
        self.permissions = resolution.permissions;
        self.roles = resolution.roles;
        self.separated = resolution.separated;
        self.scoped_tenant = Some(tenant);
        self
    }

    /// Whether the credential's issuer may speak for `tenant` ([`Issuer::tenants`](crate::Issuer::tenants)):
    /// a token's issuer bound to other tenants may not, whatever the application's store says;
    /// an API key or verified claims have no issuer to bind.
    pub(crate) fn issuer_speaks_for(&self, tenant: &str) -> bool {
        #[cfg(not(feature = "jwt"))]
        let _ = tenant;
        match &self.credential {
            #[cfg(feature = "jwt")]
            Credential::Token(validated) => validated.speaks.for_tenant(tenant),
            #[allow(unreachable_patterns)]
            _ => true,
        }
    }

    /// Whether the credential is a token whose issuer caps what it may grant.
    fn is_capped(&self) -> bool {
        match &self.credential {
            #[cfg(feature = "jwt")]
            Credential::Token(validated) => validated.grants.is_some(),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// What the credential names, before separation of duties and an issuer's cap withheld
    /// anything: the start of a join when something was withheld.
    fn unwithheld(&self) -> crate::claims::Resolution<P> {
        match &self.credential {
            #[cfg(feature = "jwt")]
            Credential::Token(validated) => unwithheld_claims(&validated.claims),
            Credential::Claims(claims) => unwithheld_claims(&**claims),
            #[cfg(feature = "api-keys")]
            Credential::ApiKey(key) => {
                use crate::policy::Permission as _;
                crate::claims::Resolution {
                    permissions: key
                        .permissions
                        .iter()
                        .filter_map(|name| P::Permission::from_name(name))
                        .collect(),
                    ..crate::claims::Resolution::default()
                }
            }
        }
    }
}

/// [`Claims::resolve`] without its separation of duties: the known roles and permissions the
/// claims name.
fn unwithheld_claims<P: Policy, C: Claims>(claims: &C) -> crate::claims::Resolution<P> {
    use crate::claims::Name;
    use crate::policy::{Permission as _, Role as _};
    let mut resolution = crate::claims::Resolution::<P>::default();
    let mut role = |role: P::Role| {
        resolution.permissions |= role.grants();
        resolution.roles |= role.lineage();
    };
    let mut permissions = PermissionSet::<P>::EMPTY;
    claims.names::<P>().for_each(|name| match name {
        Name::Role(name) => {
            if let Some(found) = P::Role::from_name(name) {
                role(found);
            }
        }
        Name::MappedRole(found) => role(found),
        Name::Permission(name) => {
            if let Some(found) = P::Permission::from_name(name) {
                permissions.insert(found);
            }
        }
        Name::MappedPermission(found) => {
            permissions.insert(found);
        }
    });
    resolution.permissions |= permissions;
    resolution
}

/// Applies an issuer's cap ([`Issuer::grants_at_most`](crate::Issuer::grants_at_most)): the
/// permissions outside it are withheld, with every role that grants one of them.
#[cfg(feature = "jwt")]
pub(super) fn cap_grants<P: Policy>(
    resolution: &mut crate::claims::Resolution<P>,
    cap: &[Box<str>],
) {
    use crate::policy::Permission as _;
    let allowed = cap
        .iter()
        .filter_map(|name| P::Permission::from_name(name))
        .fold(PermissionSet::EMPTY, PermissionSet::with);
    resolution.withhold(PermissionSet::all().difference(allowed));
}
