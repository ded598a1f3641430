//! The field types `#[derive(Claims)]` reads, each through a trait whose error names the
//! types it takes: a subject, role and permission names, an OAuth `scope` string, a time in
//! unix seconds; and [`Names`], the names of one field, borrowed.

use core::fmt;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use super::Nested;

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
pub struct Names<'a>(pub(super) Source<'a>);

#[derive(Clone)]
pub(super) enum Source<'a> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
