//! Callers presenting a verified API key.

#[allow(unused_imports)]
use super::*;

#[cfg(feature = "api-keys")]
impl<P: Policy, C: Claims> Authenticated<P, C> {
    /// A caller presenting a verified API key: its subject, and exactly the permissions the key
    /// grants (names the policy no longer declares grant nothing and are counted as unknown).
    pub fn from_api_key(key: VerifiedKey) -> Self {
        use crate::policy::Permission as _;
        let mut permissions = PermissionSet::EMPTY;
        let mut unknown_permissions = 0;
        for name in &key.permissions {
            match P::Permission::from_name(name) {
                Some(permission) => {
                    permissions.insert(permission);
                }
                None => unknown_permissions += 1,
            }
        }
        let mut resolution = Resolution {
            permissions,
            unknown_permissions,
            ..Resolution::default()
        };
        resolution.separate();
        Self {
            credential: Credential::ApiKey(Arc::new(key)),
            permissions: resolution.permissions,
            roles: RoleSet::EMPTY,
            unknown_roles: 0,
            unknown_permissions,
            separated: resolution.separated,
            route: None,
            step_up: StepUpStatus::Unassessed,
            scoped_tenant: None,
        }
    }

    /// The API key, when the caller presented one.
    pub fn api_key(&self) -> Option<&VerifiedKey> {
        match &self.credential {
            Credential::ApiKey(key) => Some(key),
            _ => None,
        }
    }
}

/// An API key that passed verification: who it acts as and what it may do.
#[cfg(feature = "api-keys")]
#[derive(Debug, Clone)]
pub struct VerifiedKey {
    pub(crate) id: String,
    pub(crate) subject: String,
    pub(crate) permissions: Vec<String>,
    pub(crate) expires_at: Option<u64>,
    pub(crate) tenant: Option<String>,
    pub(crate) issued_by: Option<crate::api_key::IssuedBy>,
}

#[cfg(feature = "api-keys")]
impl VerifiedKey {
    /// Who is accountable for the key, when it is a service account's issued by a caller
    /// ([`ApiKeyRecord::issued_by`](crate::api_key::ApiKeyRecord::issued_by)).
    pub fn issued_by(&self) -> Option<&crate::api_key::IssuedBy> {
        self.issued_by.as_ref()
    }

    /// The key's public id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The subject the key acts as.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The permission names it grants.
    pub fn permissions(&self) -> &[String] {
        &self.permissions
    }

    /// When it expires (unix seconds), if ever.
    pub fn expires_at(&self) -> Option<u64> {
        self.expires_at
    }

    /// The tenant the key acts in, if it was issued in one.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
}
