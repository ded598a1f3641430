//! What a token says about its bearer, and the permissions that grants under a policy.
//!
//! `#[derive(Claims)]` implements [`Claims`] for a serde claims struct. Field attributes say
//! which field is the subject (default: the field `sub`), which hold role names, an OAuth
//! `scope` string, or an array of permission names. Unknown names grant nothing and never
//! fail; they are counted so that an audit log can report them. A `map` on such a field says
//! which permission or role each of an identity provider's own names stands for (see
//! [`derive(Claims)`](derive@crate::Claims)), and [`NameList`] is the field type for a list
//! claim a token may omit.
//!
//! ```
//! use authz_core::{Claims, PermissionSet};
//! # authz_core::policy! {
//! #     /// Reports.
//! #     pub mod reports {
//! #         permissions {
//! #             /// Read.
//! #             "reports:read",
//! #             /// Write.
//! #             "reports:write",
//! #         }
//! #         roles {
//! #             /// Reads.
//! #             "viewer" = ["reports:read"],
//! #         }
//! #     }
//! # }
//!
//! #[derive(serde::Deserialize, Claims)]
//! struct MyClaims {
//!     sub: String,
//!     #[claims(roles)]
//!     roles: Vec<String>,
//!     #[claims(scope)]
//!     scope: Option<String>,
//!     exp: u64,
//! }
//!
//! let claims: MyClaims = serde_json::from_str(
//!     r#"{"sub":"alice","roles":["viewer","owner"],"scope":"reports:write openid","exp":1}"#,
//! ).unwrap();
//!
//! let resolved = claims.resolve::<reports::Policy>();
//! assert_eq!(claims.subject(), Some("alice"));
//! assert_eq!(resolved.permissions.to_string(), "reports:read reports:write");
//! // `owner` is a role the policy does not know; `openid` is an OpenID Connect scope, never unknown.
//! assert_eq!((resolved.unknown_roles, resolved.unknown_permissions), (1, 0));
//! assert!(MyClaims::REGISTERED.contains(authz_core::claims::RegisteredClaims::EXP));
//! ```

use core::fmt;

use crate::policy::{NameKind, Permission, PermissionSet, Policy, Role, RoleSet};

mod fields;
mod list;
pub(crate) mod mapping;
mod nested;

pub use fields::{
    Names, NumericDate, PermissionNames, RoleNames, ScopeString, SubjectField, permission_names,
    role_names, scope_names, seconds, subject,
};
pub use list::NameList;
pub use mapping::Name;
pub use nested::{Nested, NestedNames, names_at};

/// The claims of a bearer: subject, role names and permission names.
///
/// Derive it with `#[derive(Claims)]`; the derive also fills in [`Claims::REGISTERED`], which
/// token validation reads to learn which registered claims the struct expects.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `authz_core::Claims`",
    note = "add `#[derive(authz_core::Claims)]` to the claims struct"
)]
pub trait Claims {
    /// The registered claims (RFC 7519 section 4.1) that the struct has a field for, by their
    /// serialized name.
    const REGISTERED: RegisteredClaims;

    /// Names the claims carry that are neither roles nor permissions of any policy (from
    /// `#[claims(ignore = [...])]`), so audit events do not report them as unknown on every
    /// request. The OpenID Connect scopes in [`STANDARD_SCOPES`] are ignored always.
    const IGNORED: &'static [&'static str] = &[];

    /// The subject (`sub`, or the field marked `#[claims(subject)]`), if present.
    fn subject(&self) -> Option<&str>;

    /// The caller's tenant (the field marked `#[claims(tenant)]`, such as Entra ID's `tid` or an
    /// organisation claim), if the claims name one.
    fn tenant(&self) -> Option<&str> {
        None
    }

    /// The authentication context class the login met (`acr`, OpenID Connect Core 1.0
    /// section 2), read by step-up checks. The derive reads a field serialized as `acr`.
    fn acr(&self) -> Option<&str> {
        None
    }

    /// The authentication methods of the login (`amr`, RFC 8176: `pwd`, `otp`, `hwk`, ...).
    /// The derive reads a field serialized as `amr`.
    fn amr(&self) -> Names<'_> {
        Names::EMPTY
    }

    /// When the user last logged in (`auth_time`, unix seconds), read by step-up checks'
    /// maximum age. The derive reads a field serialized as `auth_time`.
    fn auth_time(&self) -> Option<u64> {
        None
    }

    /// Every role name the claims carry, known to the policy or not.
    fn role_names(&self) -> impl Iterator<Item = &str>;

    /// Every permission name the claims carry (split `scope` strings and permission arrays),
    /// known to the policy or not.
    fn permission_names(&self) -> impl Iterator<Item = &str>;

    /// Every name the claims carry, as what it stands for under policy `P`: role and
    /// permission names as the token spells them, and the provider's names that a
    /// `map = { ... }` of the derive translates into a role or permission of `P` (see
    /// [`Name`]). By default the [`role_names`](Self::role_names), then the
    /// [`permission_names`](Self::permission_names), as written; the derive overrides it
    /// when a field has a `map`. [`resolve`](Self::resolve) and
    /// [`unknown_names`](Self::unknown_names) read the claims through it.
    #[inline]
    fn names<P: Policy>(&self) -> impl Iterator<Item = Name<'_, P>> {
        self.role_names()
            .map(Name::Role)
            .chain(self.permission_names().map(Name::Permission))
    }

    /// The effective permissions under policy `P`, with counts of the names `P` does not know.
    /// Allocates nothing.
    #[inline]
    fn resolve<P: Policy>(&self) -> Resolution<P> {
        let mut resolution = Resolution::default();
        // `for_each` rather than `for`: a chain of fields is then one tight loop per field.
        self.names::<P>().for_each(|name| match name {
            Name::Role(name) => match P::Role::from_name(name) {
                Some(role) => resolution.grant_role(role),
                None if is_ignored::<Self>(name) => {}
                None => resolution.unknown_roles += 1,
            },
            Name::Permission(name) => match P::Permission::from_name(name) {
                Some(permission) => {
                    resolution.permissions.insert(permission);
                }
                None if is_ignored::<Self>(name) => {}
                None => resolution.unknown_permissions += 1,
            },
            Name::MappedRole(role) => resolution.grant_role(role),
            Name::MappedPermission(permission) => {
                resolution.permissions.insert(permission);
            }
        });
        resolution.separate();
        resolution
    }

    /// The effective permissions under policy `P`: the union of the known roles' grants and the
    /// known permissions named directly.
    #[inline]
    fn permissions<P: Policy>(&self) -> PermissionSet<P> {
        self.resolve::<P>().permissions
    }

    /// The role and permission names that policy `P` does not know, for audit logs, as the
    /// token spells them. A provider's name that the claims type maps is known.
    fn unknown_names<P: Policy>(&self) -> impl Iterator<Item = (NameKind, &str)> {
        self.names::<P>().filter_map(|name| match name {
            Name::Role(name) if P::Role::from_name(name).is_none() && !is_ignored::<Self>(name) => {
                Some((NameKind::Role, name))
            }
            Name::Permission(name)
                if P::Permission::from_name(name).is_none() && !is_ignored::<Self>(name) =>
            {
                Some((NameKind::Permission, name))
            }
            _ => None,
        })
    }
}

/// The OpenID Connect scope values (OpenID Connect Core 1.0 sections 5.4 and 11) that ask for
/// identity data, not permissions: never reported as unknown names.
pub const STANDARD_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

fn is_ignored<C: Claims + ?Sized>(name: &str) -> bool {
    STANDARD_SCOPES.contains(&name) || C::IGNORED.contains(&name)
}

/// The outcome of [`Claims::resolve`].
pub struct Resolution<P> {
    /// The permissions granted by known roles and known permission names.
    pub permissions: PermissionSet<P>,
    /// The known roles, each with every role it inherits.
    pub roles: RoleSet<P>,
    /// How many role names the policy does not declare.
    pub unknown_roles: u32,
    /// How many permission names the policy does not declare.
    pub unknown_permissions: u32,
    /// The first separation-of-duties pair of the policy whose two permissions the claims held
    /// together (NIST RBAC dynamic separation of duties), by name. Both permissions of every
    /// such pair are left out of [`permissions`](Self::permissions), whatever an adapter then
    /// does (a `Gate` refuses such a caller by default).
    pub separated: Option<(&'static str, &'static str)>,
}

impl<P: Policy> Resolution<P> {
    /// A copy of a resolution kept for a cached token (the public type is not `Clone`).
    #[cfg(feature = "jwt")]
    pub(crate) fn copied(&self) -> Self {
        Self {
            permissions: self.permissions,
            roles: self.roles,
            unknown_roles: self.unknown_roles,
            unknown_permissions: self.unknown_permissions,
            separated: self.separated,
        }
    }
}

impl<P> Default for Resolution<P> {
    fn default() -> Self {
        Self {
            permissions: PermissionSet::EMPTY,
            roles: RoleSet::EMPTY,
            unknown_roles: 0,
            unknown_permissions: 0,
            separated: None,
        }
    }
}

impl<P: Policy> Resolution<P> {
    /// Adds a known role: its permissions, and it with every role it inherits.
    #[inline]
    fn grant_role(&mut self, role: P::Role) {
        self.permissions |= role.grants();
        self.roles |= role.lineage();
    }

    /// Takes `forbidden` out of the caller's permissions, and with it every role that grants
    /// any of it, so that no role requirement passes on such a role and no proof weakens to a
    /// withheld permission. The roles a removed role inherits stay if they grant none of it.
    /// What separation of duties and an issuer's cap both do.
    pub(crate) fn withhold(&mut self, forbidden: PermissionSet<P>) {
        self.permissions = self.permissions.difference(forbidden);
        let granting = self
            .roles
            .iter()
            .filter(|role| role.grants().intersects(forbidden))
            .fold(0u128, |bits, role| bits | 1u128 << role.index());
        self.roles = self.roles.difference(RoleSet::from_bits(granting));
    }

    /// Applies dynamic separation of duties: a set holding both permissions of a declared pair
    /// loses both, and the first such pair is recorded. A few ANDs per declared pair.
    #[inline]
    pub(crate) fn separate(&mut self) {
        for &(a, b) in P::SEPARATED {
            if self.permissions.contains(a) && self.permissions.contains(b) {
                self.separated.get_or_insert((a.name(), b.name()));
                self.withhold(PermissionSet::of(a).with(b));
            }
        }
    }
}

impl<P> Clone for Resolution<P> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P> Copy for Resolution<P> {}

impl<P: Policy> fmt::Debug for Resolution<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolution")
            .field("permissions", &self.permissions)
            .field("roles", &self.roles)
            .field("unknown_roles", &self.unknown_roles)
            .field("unknown_permissions", &self.unknown_permissions)
            .field("separated", &self.separated)
            .finish()
    }
}

/// Which registered claims (RFC 7519 section 4.1) a claims struct has a field for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RegisteredClaims(u8);

impl RegisteredClaims {
    /// None.
    pub const NONE: Self = Self(0);
    /// `exp`, expiration time.
    pub const EXP: Self = Self(1);
    /// `nbf`, not before.
    pub const NBF: Self = Self(1 << 1);
    /// `iat`, issued at.
    pub const IAT: Self = Self(1 << 2);
    /// `iss`, issuer.
    pub const ISS: Self = Self(1 << 3);
    /// `aud`, audience.
    pub const AUD: Self = Self(1 << 4);
    /// `jti`, token id.
    pub const JTI: Self = Self(1 << 5);
    /// `sub`, subject.
    pub const SUB: Self = Self(1 << 6);

    const NAMES: [(Self, &'static str); 7] = [
        (Self::EXP, "exp"),
        (Self::NBF, "nbf"),
        (Self::IAT, "iat"),
        (Self::ISS, "iss"),
        (Self::AUD, "aud"),
        (Self::JTI, "jti"),
        (Self::SUB, "sub"),
    ];

    /// The registered claim with this name, if it is one.
    pub const fn from_name(name: &str) -> Option<Self> {
        let mut i = 0;
        while i < Self::NAMES.len() {
            if const_str_eq(Self::NAMES[i].1, name) {
                return Some(Self::NAMES[i].0);
            }
            i += 1;
        }
        None
    }

    /// Both sets together.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// `true` if every claim of `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The names of the claims in the set.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(c, _)| self.contains(*c))
            .map(|(_, name)| name)
    }
}

pub(crate) const fn const_str_eq(a: &str, b: &str) -> bool {
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

impl fmt::Debug for RegisteredClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_claims_by_name() {
        assert_eq!(
            RegisteredClaims::from_name("aud"),
            Some(RegisteredClaims::AUD)
        );
        assert_eq!(RegisteredClaims::from_name("Aud"), None);
        assert_eq!(RegisteredClaims::from_name("au"), None);
        let set = RegisteredClaims::EXP.union(RegisteredClaims::SUB);
        assert_eq!(set.names().collect::<Vec<_>>(), ["exp", "sub"]);
        assert!(set.contains(RegisteredClaims::EXP));
        assert!(!set.contains(RegisteredClaims::EXP.union(RegisteredClaims::AUD)));
        assert_eq!(format!("{set:?}"), r#"{"exp", "sub"}"#);
    }
}
