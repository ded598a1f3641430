//! [`NameList`]: a list claim that a token may omit, send as `null`, as one string or as an
//! array, read with no serde attribute.

use core::fmt;

use super::fields::Source;
use super::{Names, PermissionNames, RoleNames, ScopeString};

/// The field type for a claim of names that a token may leave out: roles, groups, scopes,
/// permissions. Absent, `null` and `[]` are all no names, so a token without the claim (a
/// machine token without groups, an Entra token without app roles) is read, not refused, with
/// no `#[serde(default)]` or `Option` to remember.
///
/// It reads a JSON array of strings, or one string: under `#[claims(scope)]` a string is split
/// at spaces (an OAuth `scope`, RFC 6749 section 3.3) and an array is taken as it is (Okta's
/// `scp`), so one field reads Entra's `scp` string and Okta's `scp` array alike; under
/// `#[claims(roles)]` or `#[claims(permissions)]` a string is one name (an Okta group may be
/// called `Order Admins`). Any other JSON value is a malformed token.
///
/// ```
/// use authz_core::claims::NameList;
/// # authz_core::policy! { pub mod reports {
/// #     permissions { "reports:read", "reports:write" }
/// #     roles { "viewer" = ["reports:read"] }
/// # } }
///
/// #[derive(serde::Deserialize, authz_core::Claims)]
/// struct AccessToken {
///     sub: String,
///     #[claims(roles)]
///     groups: NameList,
///     #[claims(scope)]
///     scp: NameList,
/// }
///
/// use authz_core::Claims as _;
/// // A machine token: no groups at all.
/// let machine: AccessToken = serde_json::from_str(r#"{"sub":"svc","scp":"reports:read"}"#)?;
/// assert_eq!(machine.permissions::<reports::Policy>().to_string(), "reports:read");
/// // An array of scopes, a `null` for groups.
/// let user: AccessToken =
///     serde_json::from_str(r#"{"sub":"ann","groups":null,"scp":["reports:write","openid"]}"#)?;
/// assert_eq!(user.permissions::<reports::Policy>().to_string(), "reports:write");
/// // A claim of another JSON type is a malformed token, as it would be for `Vec<String>`.
/// assert!(serde_json::from_str::<AccessToken>(r#"{"sub":"x","scp":7}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct NameList(List);

#[derive(Clone, PartialEq, Eq, Default)]
enum List {
    #[default]
    Empty,
    One(String),
    Many(Vec<String>),
}

impl NameList {
    /// No names.
    pub const EMPTY: Self = Self(List::Empty);

    /// The names, each as it came (a single string is one name, not split).
    pub fn iter(&self) -> Names<'_> {
        Names(match &self.0 {
            List::Empty => Source::Empty,
            List::One(name) => Source::One(Some(name)),
            List::Many(names) => Source::Strings(names.iter()),
        })
    }

    /// Whether the claim held no names (it was absent, `null`, `""` or `[]`).
    pub fn is_empty(&self) -> bool {
        match &self.0 {
            List::Empty => true,
            List::One(name) => name.is_empty(),
            List::Many(names) => names.is_empty(),
        }
    }
}

impl From<Vec<String>> for NameList {
    fn from(names: Vec<String>) -> Self {
        Self(List::Many(names))
    }
}

impl From<String> for NameList {
    fn from(name: String) -> Self {
        Self(List::One(name))
    }
}

impl From<&str> for NameList {
    fn from(name: &str) -> Self {
        Self(List::One(name.to_owned()))
    }
}

impl<const N: usize> From<[&str; N]> for NameList {
    fn from(names: [&str; N]) -> Self {
        Self(List::Many(
            names.iter().map(|&name| name.to_owned()).collect(),
        ))
    }
}

impl fmt::Debug for NameList {
    /// The number of names only: the names come from the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            List::Empty => f.write_str("NameList(empty)"),
            List::One(_) => f.write_str("NameList(one string)"),
            List::Many(names) => write!(f, "NameList({} names)", names.len()),
        }
    }
}

impl RoleNames for NameList {
    fn role_names(&self) -> Names<'_> {
        self.iter()
    }
}

impl PermissionNames for NameList {
    fn permission_names(&self) -> Names<'_> {
        self.iter()
    }
}

impl ScopeString for NameList {
    /// The scope string, when the claim was one string.
    fn scope(&self) -> Option<&str> {
        match &self.0 {
            List::One(scope) => Some(scope),
            _ => None,
        }
    }

    /// A string split at spaces; an array's names as they are.
    fn scope_names(&self) -> Names<'_> {
        match &self.0 {
            List::One(scope) => Names(Source::Scope(scope.split(' '))),
            _ => self.iter(),
        }
    }
}

impl<'de> serde::Deserialize<'de> for NameList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Through `deserialize_option`, as `Option` is read: serde's derive then gives a
        // missing field `visit_none` instead of a "missing field" error, which is what lets a
        // token omit the claim with no `#[serde(default)]` on the field.
        deserializer.deserialize_option(ListVisitor)
    }
}

struct ListVisitor;

impl<'de> serde::de::Visitor<'de> for ListVisitor {
    type Value = NameList;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<NameList, E> {
        Ok(NameList::EMPTY)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<NameList, E> {
        Ok(NameList::EMPTY)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<NameList, D::Error> {
        d.deserialize_any(ListVisitor)
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<NameList, E> {
        Ok(NameList(List::One(value.to_owned())))
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<NameList, E> {
        Ok(NameList(List::One(value)))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<NameList, A::Error> {
        // At most the declared size, so a hostile length hint cannot reserve much.
        let mut names = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(name) = seq.next_element::<String>()? {
            names.push(name);
        }
        Ok(NameList(List::Many(names)))
    }
}
