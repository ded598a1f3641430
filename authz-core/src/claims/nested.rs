//! [`Nested`]: a claim's JSON value kept as a tree, for names inside it.

use core::fmt;

use super::fields::{Names, Source};

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

/// Reads names at a path in a field (`#[claims(roles, at = "...")]`), as
/// [`subject`](super::subject) does.
#[inline]
pub fn names_at<'a, T: NestedNames + ?Sized>(
    field: &'a T,
    path: &[&str],
    split: bool,
) -> Names<'a> {
    field.names_at(path, split)
}
