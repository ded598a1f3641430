//! The opt-in staleness cache of [`RedisRevocation`](super::RedisRevocation): what Redis
//! answered, reused for a bounded time, for the per-request mode only.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::token::Clock;

use crate::util::lock;

/// What Redis answered for some keys, each for at most `staleness`.
pub(super) struct Cache {
    pub(super) staleness: Duration,
    pub(super) capacity: usize,
    /// When each entry was put, as a reading of `clock`'s monotonic time.
    pub(super) entries: Mutex<HashMap<String, (Duration, Option<u64>)>>,
    pub(super) clock: Clock,
}

impl Cache {
    /// The values of all `keys`, if each is cached and fresh.
    pub(super) fn get(&self, keys: &[&str]) -> Option<Vec<Option<u64>>> {
        let entries = lock(&self.entries);
        let now = self.clock.monotonic();
        keys.iter()
            .map(|key| {
                entries
                    .get(*key)
                    .filter(|(at, _)| now.saturating_sub(*at) < self.staleness)
                    .map(|(_, value)| *value)
            })
            .collect()
    }

    pub(super) fn put(&self, keys: &[&str], values: &[Option<u64>]) {
        let now = self.clock.monotonic();
        let mut entries = lock(&self.entries);
        if entries.len() + keys.len() > self.capacity {
            entries.retain(|_, (at, _)| now.saturating_sub(*at) < self.staleness);
            if entries.len() + keys.len() > self.capacity {
                entries.clear();
            }
        }
        for (key, value) in keys.iter().zip(values) {
            entries.insert((*key).to_owned(), (now, *value));
        }
    }

    pub(super) fn forget(&self, key: &str) {
        lock(&self.entries).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_forgets_stale_entries_and_stays_bounded() {
        let cache = Cache {
            staleness: Duration::from_millis(50),
            capacity: 3,
            entries: Mutex::new(HashMap::new()),
            clock: Clock::manual(1_000),
        };
        cache.put(&["a", "b"], &[Some(1), None]);
        assert_eq!(cache.get(&["a", "b"]), Some(vec![Some(1), None]));
        assert_eq!(cache.get(&["a", "c"]), None);
        cache.put(&["c", "d"], &[None, None]);
        assert!(lock(&cache.entries).len() <= 3);
        cache.forget("c");
        assert_eq!(cache.get(&["c"]), None);
        cache.clock.advance(Duration::from_millis(60));
        assert_eq!(cache.get(&["d"]), None);
    }
}
