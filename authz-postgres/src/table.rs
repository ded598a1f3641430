//! The copy in memory: each member's roles, found by three `&str` without building a key.

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::Arc;

use authz_core::Policy;
use authz_core::assignments::{Assigned, Member, Membership};
use hashbrown::{DefaultHashBuilder as RandomState, HashTable};

/// One member and its roles. Issuers and tenants repeat across members, so they are shared.
struct Entry<P> {
    issuer: Arc<str>,
    subject: Box<str>,
    tenant: Arc<str>,
    assigned: Assigned<P>,
}

impl<P> Entry<P> {
    fn is(&self, member: &Member<'_>) -> bool {
        *self.subject == *member.subject
            && *self.tenant == *member.tenant
            && *self.issuer == *member.issuer
    }
}

/// Every member with at least one role the policy knows. Hashed with foldhash (hashbrown's
/// default) under seeds drawn at random per process and table, so that names chosen by callers
/// cannot be made to collide; std's SipHash cost a third of a lookup.
pub(crate) struct Table<P> {
    entries: HashTable<Entry<P>>,
    hasher: RandomState,
    issuers: HashSet<Arc<str>>,
    tenants: HashSet<Arc<str>>,
}

impl<P: Policy> Default for Table<P> {
    fn default() -> Self {
        Self {
            entries: HashTable::new(),
            hasher: RandomState::default(),
            issuers: HashSet::new(),
            tenants: HashSet::new(),
        }
    }
}

fn hash(hasher: &RandomState, member: &Member<'_>) -> u64 {
    hasher.hash_one((member.issuer, member.subject, member.tenant))
}

fn intern(names: &mut HashSet<Arc<str>>, name: &str) -> Arc<str> {
    match names.get(name) {
        Some(shared) => shared.clone(),
        None => {
            let shared: Arc<str> = Arc::from(name);
            names.insert(shared.clone());
            shared
        }
    }
}

impl<P: Policy> Table<P> {
    /// The member's roles, sharing the table's tenant name: no allocation.
    #[inline]
    pub(crate) fn get(&self, member: &Member<'_>) -> Option<Membership<P>> {
        self.entries
            .find(hash(&self.hasher, member), |entry| entry.is(member))
            .map(|entry| Membership::new(entry.tenant.clone(), entry.assigned))
    }

    /// Sets the member's roles; none removes the member.
    pub(crate) fn set(&mut self, member: &Member<'_>, assigned: Assigned<P>) {
        let hash = hash(&self.hasher, member);
        let found = self.entries.find_entry(hash, |entry| entry.is(member));
        match (found, assigned.is_empty()) {
            (Ok(mut entry), false) => entry.get_mut().assigned = assigned,
            (Ok(entry), true) => {
                entry.remove();
            }
            (Err(_), true) => {}
            (Err(_), false) => {
                let entry = Entry {
                    issuer: intern(&mut self.issuers, member.issuer),
                    subject: member.subject.into(),
                    tenant: intern(&mut self.tenants, member.tenant),
                    assigned,
                };
                let hasher = &self.hasher;
                self.entries
                    .insert_unique(hash, entry, |entry| hash_entry(hasher, entry));
            }
        }
    }

    /// Adds `role` to the member's roles (while loading, one row at a time).
    pub(crate) fn add(&mut self, member: &Member<'_>, role: P::Role) {
        let current = self
            .get(member)
            .map_or(Assigned::NONE, |found| *found.assigned());
        self.set(member, current.with(role));
    }

    /// How many members have roles.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

fn hash_entry<P>(hasher: &RandomState, entry: &Entry<P>) -> u64 {
    hash(
        hasher,
        &Member::new(&entry.issuer, &entry.subject, &entry.tenant),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    authz_core::policy! {
        /// P
        pub mod p {
            permissions {
                /// r
                "a:read",
                /// w
                "a:write",
            }
            roles {
                /// v
                "viewer" = ["a:read"],
                /// e
                "editor" = "viewer" + ["a:write"],
            }
        }
    }

    #[test]
    fn members_are_found_by_all_three_names_and_share_tenants() {
        let mut table = Table::<p::Policy>::default();
        let ann = Member::new("iss", "ann", "acme");
        table.add(&ann, p::Role::Viewer);
        table.add(&ann, p::Role::Editor);
        table.add(&Member::new("iss", "bob", "acme"), p::Role::Viewer);
        assert_eq!(table.len(), 2);
        let found = table.get(&ann).unwrap();
        assert!(found.assigned().assigned().contains(p::Role::Editor));
        let bob = table.get(&Member::new("iss", "bob", "acme")).unwrap();
        assert!(Arc::ptr_eq(found.tenant(), bob.tenant()));
        for other in [
            Member::new("", "ann", "acme"),
            Member::new("iss", "ann", "globex"),
            Member::new("iss", "an", "nacme"),
            Member::new("iss", "annacme", ""),
        ] {
            assert!(table.get(&other).is_none(), "{other:?}");
        }
        table.set(&ann, Assigned::NONE);
        assert!(table.get(&ann).is_none());
        assert_eq!(table.len(), 1);
    }
}
