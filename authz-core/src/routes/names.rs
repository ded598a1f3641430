//! The route names recorded on callers, shared: a request's matched route pattern becomes the
//! same `Arc<str>` every time, so recording it on the caller costs a lookup, not an allocation.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use crate::util::{read, write};

/// At most this many distinct names are kept. Adapters pass route patterns (a finite set), but
/// one that passed raw paths must not grow the table without bound: past the limit a name is
/// allocated per call, as it was before there was a table.
const MAX_NAMES: usize = 4096;

fn table() -> &'static RwLock<HashMap<Box<str>, Arc<str>>> {
    static TABLE: OnceLock<RwLock<HashMap<Box<str>, Arc<str>>>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

/// `route` as a shared string: the one made the first time it was seen. A thread answers
/// the route it answered last without the table (a comparison instead of a lock and a hash):
/// a worker thread serves the same routes again and again.
pub(crate) fn shared(route: &str) -> Arc<str> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<Arc<str>>> = const { std::cell::RefCell::new(None) };
    }
    let last = LAST.with(|last| {
        let last = last.borrow();
        last.as_ref().filter(|name| ***name == *route).cloned()
    });
    if let Some(name) = last {
        return name;
    }
    let name = lookup(route);
    LAST.with(|last| *last.borrow_mut() = Some(name.clone()));
    name
}

fn lookup(route: &str) -> Arc<str> {
    if let Some(name) = read(table()).get(route) {
        return name.clone();
    }
    let mut names = write(table());
    if let Some(name) = names.get(route) {
        return name.clone();
    }
    let name: Arc<str> = Arc::from(route);
    if names.len() < MAX_NAMES {
        names.insert(route.into(), name.clone());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_seen_twice_is_the_same_allocation() {
        let a = shared("/reports/{id}");
        let b = shared(&String::from("/reports/{id}"));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "/reports/{id}");
        assert!(!Arc::ptr_eq(&a, &shared("/reports")));
    }

    #[test]
    fn the_last_name_of_a_thread_never_answers_for_another() {
        for route in ["/a", "/b", "/a", "/a/{id}", "/b"] {
            assert_eq!(&*shared(route), route);
        }
    }
}
