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
use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use crate::policy::{NameKind, Permission, PermissionSet, Policy, Role, RoleSet};

mod list;
pub(crate) mod mapping;

pub use list::NameList;
pub use mapping::Name;

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

/// A claims field type that holds the subject. Implemented for `String`, `Box<str>`,
/// `Arc<str>`, `Rc<str>`, `Cow<str>` and `Option` of each.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the subject of claims",
    label = "the subject field must hold a string",
    note = "use `String` (or `Option<String>` when the claim may be absent)"
)]
pub trait SubjectField {
    /// The subject, if present.
    fn subject(&self) -> Option<&str>;
}

/// A claims field type that holds several role names: `Vec<String>`, `Box<[String]>`,
/// `HashSet<String>`, `BTreeSet<String>` (also of `Box<str>`), and `Option` of each.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold several role names",
    label = "a `#[claims(roles)]` field must be a list of names",
    note = "use `Vec<String>` (or `Option<Vec<String>>` when the claim may be absent)"
)]
pub trait RoleNames {
    /// The role names.
    fn role_names(&self) -> Names<'_>;
}

/// A claims field type that holds several permission names (for example an `scp` or
/// `permissions` array): the same types as [`RoleNames`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold several permission names",
    label = "a `#[claims(permissions)]` field must be a list of names",
    note = "use `Vec<String>`; for a space-separated OAuth `scope` string use `#[claims(scope)]`"
)]
pub trait PermissionNames {
    /// The permission names.
    fn permission_names(&self) -> Names<'_>;
}

/// A claims field type that holds an OAuth `scope` string (RFC 6749 section 3.3: names
/// separated by spaces): `String`, `Box<str>`, `Cow<str>`, and `Option` of each.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a space-separated scope string",
    label = "a `#[claims(scope)]` field must be a string",
    note = "use `String` or `Option<String>`; for an array of names use `#[claims(permissions)]`"
)]
pub trait ScopeString {
    /// The scope string, if present.
    fn scope(&self) -> Option<&str>;

    /// The names in the scope string. Empty items (repeated spaces) are skipped.
    fn scope_names(&self) -> Names<'_> {
        Names(match self.scope() {
            Some(scope) => Source::Scope(scope.split(' ')),
            None => Source::Empty,
        })
    }
}

/// The names in one claims field, borrowed from it. A concrete type rather than
/// `impl Iterator`, so a field of the wrong type is one compile error, not two.
#[derive(Clone)]
pub struct Names<'a>(Source<'a>);

#[derive(Clone)]
enum Source<'a> {
    Strings(core::slice::Iter<'a, String>),
    Boxed(core::slice::Iter<'a, Box<str>>),
    HashSet(std::collections::hash_set::Iter<'a, String>),
    BTreeSet(std::collections::btree_set::Iter<'a, String>),
    Scope(core::str::Split<'a, char>),
    Nested(core::slice::Iter<'a, Nested>),
    One(Option<&'a str>),
    Empty,
}

impl Names<'_> {
    /// No names.
    pub const EMPTY: Self = Names(Source::Empty);
}

impl<'a> Iterator for Names<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        match &mut self.0 {
            Source::Strings(it) => it.next().map(String::as_str),
            Source::Boxed(it) => it.next().map(|name| &**name),
            Source::HashSet(it) => it.next().map(String::as_str),
            Source::BTreeSet(it) => it.next().map(String::as_str),
            Source::Scope(it) => it.find(|name| !name.is_empty()),
            Source::Nested(it) => it.find_map(Nested::as_str),
            Source::One(name) => name.take(),
            Source::Empty => None,
        }
    }

    /// The source is matched once, not once a name: resolution folds over the names.
    #[inline]
    fn fold<B, F: FnMut(B, &'a str) -> B>(self, init: B, f: F) -> B {
        match self.0 {
            Source::Strings(it) => it.map(String::as_str).fold(init, f),
            Source::Boxed(it) => it.map(|name| &**name).fold(init, f),
            Source::HashSet(it) => it.map(String::as_str).fold(init, f),
            Source::BTreeSet(it) => it.map(String::as_str).fold(init, f),
            Source::Scope(it) => it.filter(|name| !name.is_empty()).fold(init, f),
            Source::Nested(it) => it.filter_map(Nested::as_str).fold(init, f),
            Source::One(name) => name.into_iter().fold(init, f),
            Source::Empty => init,
        }
    }
}

impl fmt::Debug for Names<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Names(..)")
    }
}

macro_rules! string_like {
    ($($ty:ty),*) => {$(
        impl SubjectField for $ty {
            fn subject(&self) -> Option<&str> {
                Some(self)
            }
        }
        impl ScopeString for $ty {
            fn scope(&self) -> Option<&str> {
                Some(self)
            }
        }
    )*};
}
string_like!(String, Box<str>, Arc<str>, Rc<str>, Cow<'_, str>);

impl<T: SubjectField> SubjectField for Option<T> {
    fn subject(&self) -> Option<&str> {
        self.as_ref().and_then(T::subject)
    }
}

impl<T: ScopeString> ScopeString for Option<T> {
    fn scope(&self) -> Option<&str> {
        self.as_ref().and_then(T::scope)
    }
}

macro_rules! name_lists {
    ($($ty:ty => $source:ident),*) => {$(
        impl RoleNames for $ty {
            fn role_names(&self) -> Names<'_> {
                Names(Source::$source(self.iter()))
            }
        }
        impl PermissionNames for $ty {
            fn permission_names(&self) -> Names<'_> {
                Names(Source::$source(self.iter()))
            }
        }
    )*};
}
name_lists!(
    Vec<String> => Strings,
    Vec<Box<str>> => Boxed,
    Box<[String]> => Strings,
    Box<[Box<str>]> => Boxed,
    HashSet<String> => HashSet,
    BTreeSet<String> => BTreeSet
);

impl<T: RoleNames> RoleNames for Option<T> {
    fn role_names(&self) -> Names<'_> {
        self.as_ref().map_or(Names::EMPTY, T::role_names)
    }
}

impl<T: PermissionNames> PermissionNames for Option<T> {
    fn permission_names(&self) -> Names<'_> {
        self.as_ref().map_or(Names::EMPTY, T::permission_names)
    }
}

/// Reads a subject field: what `#[derive(Claims)]` calls on the field it takes the subject
/// from, so that a field of another type is one error naming [`SubjectField`].
#[inline]
pub fn subject<T: SubjectField + ?Sized>(field: &T) -> Option<&str> {
    field.subject()
}

/// Reads a role-names field (`#[claims(roles)]`), as [`subject`] does.
#[inline]
pub fn role_names<T: RoleNames + ?Sized>(field: &T) -> Names<'_> {
    field.role_names()
}

/// Reads a permission-names field (`#[claims(permissions)]`), as [`subject`] does.
#[inline]
pub fn permission_names<T: PermissionNames + ?Sized>(field: &T) -> Names<'_> {
    field.permission_names()
}

/// Reads a scope-string field (`#[claims(scope)]`), as [`subject`] does.
#[inline]
pub fn scope_names<T: ScopeString + ?Sized>(field: &T) -> Names<'_> {
    field.scope_names()
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

    #[test]
    fn scope_strings_split_on_spaces_only() {
        let scope = Some(String::from("  a:b   c:d\te:f "));
        assert_eq!(scope.scope_names().collect::<Vec<_>>(), ["a:b", "c:d\te:f"]);
        let none: Option<String> = None;
        assert_eq!(none.scope_names().count(), 0);
    }

    // `fold` (what resolution uses) gives the names `next` gives, for every source.
    #[test]
    fn fold_and_next_agree() {
        let strings: Vec<String> = vec!["a".into(), "b".into()];
        let boxed: Vec<Box<str>> = vec!["c".into()];
        let set: HashSet<String> = ["d".to_owned()].into();
        let tree: BTreeSet<String> = ["e".to_owned(), "f".to_owned()].into();
        let scope = String::from(" g  h ");
        let nested: Nested = serde_json::from_str(r#"{"r":["i",1,"j"]}"#).unwrap();
        let one: Nested = serde_json::from_str(r#"{"r":"k"}"#).unwrap();
        let sources = [
            strings.role_names(),
            boxed.role_names(),
            set.role_names(),
            tree.role_names(),
            scope.scope_names(),
            nested.names_at(&["r"], false),
            one.names_at(&["r"], false),
            Names::EMPTY,
        ];
        let mut all = Vec::new();
        for names in sources {
            let by_next: Vec<&str> = names.clone().collect();
            let by_fold = names.fold(Vec::new(), |mut out, name| {
                out.push(name);
                out
            });
            assert_eq!(by_next, by_fold);
            all.extend(by_fold);
        }
        assert_eq!(all, ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]);
    }

    #[test]
    fn optional_lists() {
        let roles: Option<Vec<String>> = Some(vec!["a".into(), "b".into()]);
        assert_eq!(roles.role_names().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(None::<Vec<String>>.role_names().count(), 0);
        assert_eq!(Some(Box::<str>::from("s")).subject(), Some("s"));
    }
}

/// A claim's JSON value kept as a tree, for names that sit inside it: Keycloak's
/// `realm_access.roles` and `resource_access.<client>.roles`, a namespaced object. Mark the
/// field `#[claims(roles, at = "roles")]` (or `scope`, `permissions`) with the path inside
/// the value; a missing member or a value of another shape gives no names.
///
/// ```
/// #[derive(serde::Deserialize, authz_core::Claims)]
/// struct Keycloak {
///     sub: String,
///     #[claims(roles, at = "roles")]
///     realm_access: Option<authz_core::claims::Nested>,
///     #[claims(roles, at = "reports-api.roles")]
///     resource_access: Option<authz_core::claims::Nested>,
/// }
/// # use authz_core::Claims as _;
/// let token: Keycloak = serde_json::from_str(r#"{
///     "sub": "ann",
///     "realm_access": { "roles": ["offline_access", "viewer"] },
///     "resource_access": { "reports-api": { "roles": ["editor"] }, "account": { "roles": ["x"] } }
/// }"#).unwrap();
/// assert_eq!(token.role_names().collect::<Vec<_>>(), ["offline_access", "viewer", "editor"]);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Nested(Node);

#[derive(Clone, PartialEq, Eq)]
enum Node {
    String(String),
    List(Vec<Nested>),
    Object(std::collections::BTreeMap<String, Nested>),
    /// Numbers, booleans, null: no names.
    Other,
}

impl Nested {
    /// The member at `path` (each segment a member name), if every member exists.
    pub fn get(&self, path: &[&str]) -> Option<&Nested> {
        path.iter().try_fold(self, |node, segment| match &node.0 {
            Node::Object(members) => members.get(*segment),
            _ => None,
        })
    }

    /// The string, if this value is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            Node::String(value) => Some(value),
            _ => None,
        }
    }

    /// The names at `path`: the strings of an array, or a string (split at spaces when
    /// `split`, as an OAuth `scope`). Anything else gives none.
    pub fn names_at(&self, path: &[&str], split: bool) -> Names<'_> {
        Names(match self.get(path).map(|node| &node.0) {
            Some(Node::List(items)) => Source::Nested(items.iter()),
            Some(Node::String(value)) if split => Source::Scope(value.split(' ')),
            Some(Node::String(value)) => Source::One(Some(value)),
            _ => Source::Empty,
        })
    }
}

impl fmt::Debug for Nested {
    /// The shape and member names only: values come from the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Node::String(_) => f.write_str("Nested(string)"),
            Node::List(items) => write!(f, "Nested(array of {})", items.len()),
            Node::Object(members) => f.debug_set().entries(members.keys()).finish(),
            Node::Other => f.write_str("Nested(other)"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Nested {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Through `deserialize_option`, as `Option` is read, so that a field of this type
        // that the token omits is no value rather than a "missing field" error.
        deserializer.deserialize_option(NestedVisitor)
    }
}

struct NestedVisitor;

impl<'de> serde::de::Visitor<'de> for NestedVisitor {
    type Value = Nested;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Nested, E> {
        Ok(Nested(Node::String(value.to_owned())))
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<Nested, E> {
        Ok(Nested(Node::String(value)))
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Nested, E> {
        Ok(Nested(Node::Other))
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Nested, E> {
        Ok(Nested(Node::Other))
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Nested, E> {
        Ok(Nested(Node::Other))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Nested, E> {
        Ok(Nested(Node::Other))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Nested, E> {
        Ok(Nested(Node::Other))
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Nested, E> {
        Ok(Nested(Node::Other))
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Nested, D::Error> {
        d.deserialize_any(NestedVisitor)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Nested, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Nested(Node::List(items)))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Nested, A::Error> {
        let mut members = std::collections::BTreeMap::new();
        while let Some((key, value)) = map.next_entry::<String, Nested>()? {
            members.insert(key, value);
        }
        Ok(Nested(Node::Object(members)))
    }
}

/// A claims field type that holds names at a path inside a JSON value (`#[claims(roles, at =
/// "...")]`): [`Nested`] and `Option<Nested>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold names at a path",
    label = "a field with `at = \"...\"` holds a JSON value",
    note = "use `authz_core::claims::Nested` (or `Option<Nested>` when the claim may be absent)"
)]
pub trait NestedNames {
    /// The names at `path`, as [`Nested::names_at`].
    fn names_at(&self, path: &[&str], split: bool) -> Names<'_>;
}

impl NestedNames for Nested {
    fn names_at(&self, path: &[&str], split: bool) -> Names<'_> {
        Nested::names_at(self, path, split)
    }
}

impl NestedNames for Option<Nested> {
    fn names_at(&self, path: &[&str], split: bool) -> Names<'_> {
        self.as_ref()
            .map_or(Names::EMPTY, |nested| nested.names_at(path, split))
    }
}

/// Reads names at a path in a field (`#[claims(roles, at = "...")]`), as [`subject`] does.
#[inline]
pub fn names_at<'a, T: NestedNames + ?Sized>(
    field: &'a T,
    path: &[&str],
    split: bool,
) -> Names<'a> {
    field.names_at(path, split)
}

/// A claims field type that holds a NumericDate (RFC 7519 section 2: unix seconds), such as
/// `auth_time`: `u64`, `i64` and `Option` of each. A negative time reads as none.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a time in unix seconds",
    label = "this field must be a number of seconds",
    note = "use `u64` (or `Option<u64>` when the claim may be absent)"
)]
pub trait NumericDate {
    /// The time, if present.
    fn seconds(&self) -> Option<u64>;
}

impl NumericDate for u64 {
    fn seconds(&self) -> Option<u64> {
        Some(*self)
    }
}

impl NumericDate for i64 {
    fn seconds(&self) -> Option<u64> {
        u64::try_from(*self).ok()
    }
}

impl<T: NumericDate> NumericDate for Option<T> {
    fn seconds(&self) -> Option<u64> {
        self.as_ref().and_then(T::seconds)
    }
}

/// Reads a NumericDate field (`auth_time`), as [`subject`] does.
#[inline]
pub fn seconds<T: NumericDate + ?Sized>(field: &T) -> Option<u64> {
    field.seconds()
}
