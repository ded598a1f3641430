//! A copy in process memory of a Redis store's entries under one prefix, kept current by the
//! push channel ([`push`](super::push)) so that a check reads memory only.
//!
//! The copy believes Redis only: it is loaded with `SCAN`, then `MGET` and `PTTL`, and a key a
//! pushed message names is read back the same way (in batches of up to [`BATCH`] distinct
//! keys) before it changes. Entries merge by maximum (value and expiry), so the order in which
//! a load and a read-back arrive does not matter. Expiries are Redis's own remaining time in
//! milliseconds (`PTTL`) counted from when it answered, on a monotonic clock, and rounded
//! towards keeping: the copy never forgets an entry Redis still holds. Past its capacity the
//! copy stops being trusted until a load fits again.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::push::{self, BATCH, ChannelError, Follower, Trust, hinted_key, now_ms};
use super::{Connection, RedisError, keys};
use crate::token::BoxFuture;
use crate::util::{DigestKeys, read, write};

/// Milliseconds an entry is kept past Redis's remaining time: one for Redis's whole
/// milliseconds, one for this clock's.
const KEEP_MARGIN_MS: u64 = 2;

/// An entry's identity: its kind (the index of its key's kind among the store's kinds) and
/// the SHA-256 its key names, without the prefix and hex of the Redis key. What a check looks
/// up, so that it builds no string. Hashed whole, with keys no one outside the process knows
/// ([`DigestKeys`]): digests chosen to collide cannot make the map quadratic.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Slot {
    pub(crate) kind: u8,
    pub(crate) digest: [u8; 32],
}

impl Hash for Slot {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(&self.digest);
        state.write_u8(self.kind);
    }
}

/// An entry's value, and when (a [`now_ms`] reading, exclusive) it expires.
#[derive(Clone, Copy)]
struct Entry {
    value: u64,
    expires: u64,
}

/// The entries of one store, by [`Slot`].
pub(crate) struct Mirror {
    prefix: Box<str>,
    /// The kinds of key, by their index in a [`Slot`]: `jti:`, `sub:`, ...
    kinds: &'static [&'static str],
    /// More entries than this and the copy stops being trusted.
    capacity: usize,
    entries: RwLock<HashMap<Slot, Entry, DigestKeys>>,
    trust: Trust,
    /// Set when an entry did not fit; cleared by the next load.
    full: AtomicBool,
    started: AtomicBool,
    /// Loads completed, for tests and metrics.
    loads: AtomicU64,
}

impl Mirror {
    /// An empty copy of the entries under `prefix` whose keys are of `kinds`, trusted only
    /// while it holds at most `capacity` entries.
    pub(crate) fn new(prefix: &str, kinds: &'static [&'static str], capacity: usize) -> Self {
        Self {
            prefix: prefix.into(),
            kinds,
            capacity,
            entries: RwLock::new(HashMap::default()),
            trust: Trust::default(),
            full: AtomicBool::new(false),
            started: AtomicBool::new(false),
            loads: AtomicU64::new(0),
        }
    }

    /// The values of `slots`, or `None` when the copy is not trusted now.
    pub(crate) fn get<const N: usize>(
        &self,
        slots: &[Option<Slot>; N],
    ) -> Option<[Option<u64>; N]> {
        let now = now_ms();
        if !self.trusted_at(now) {
            return None;
        }
        let entries = read(&self.entries);
        let values = slots.map(|slot| {
            slot.and_then(|slot| {
                entries
                    .get(&slot)
                    .filter(|entry| entry.expires > now)
                    .map(|entry| entry.value)
            })
        });
        drop(entries);
        // A copy that stopped being trusted while it was read answers nothing.
        self.trusted_at(now).then_some(values)
    }

    fn trusted_at(&self, now: u64) -> bool {
        self.trust.holds_at(now) && !self.full.load(Ordering::Acquire)
    }

    /// The slot a Redis key of this store names, if it is one.
    fn slot(&self, key: &str) -> Option<Slot> {
        keys::parse(&self.prefix, self.kinds, key)
    }

    /// The Redis key of `slot`.
    fn key(&self, slot: &Slot) -> String {
        keys::slot_key(&self.prefix, self.kinds, slot)
    }

    /// Whether checks read memory now.
    pub(crate) fn is_synced(&self) -> bool {
        self.trusted_at(now_ms())
    }

    /// How many entries are held.
    pub(crate) fn len(&self) -> usize {
        read(&self.entries).len()
    }

    /// How many full loads have completed.
    pub(crate) fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    /// Records what Redis answered for key `key` just now: `value`, for `pttl` more
    /// milliseconds (-1: no expiry). A key that is none of this store's is ignored.
    pub(crate) fn remember(&self, key: &str, value: u64, pttl: i64) {
        if let Some(slot) = self.slot(key) {
            self.keep(slot, value, pttl, now_ms());
        }
    }

    /// Records `value` for `slot`, which Redis holds for `pttl` more milliseconds (-1: no
    /// expiry) as of `at` (a [`now_ms`] reading taken once it answered), keeping the larger
    /// value and the later expiry.
    fn keep(&self, slot: Slot, value: u64, pttl: i64, at: u64) {
        let expires = match u64::try_from(pttl) {
            Ok(left) => at.saturating_add(left).saturating_add(KEEP_MARGIN_MS),
            Err(_) if pttl == -1 => u64::MAX,
            Err(_) => return,
        };
        let mut entries = write(&self.entries);
        if let Some(entry) = entries.get_mut(&slot) {
            entry.value = entry.value.max(value);
            entry.expires = entry.expires.max(expires);
        } else if entries.len() < self.capacity {
            entries.insert(slot, Entry { value, expires });
        } else {
            // Not kept: the copy is incomplete from now on, and must not be read.
            self.full.store(true, Ordering::Release);
            self.trust.revoke();
        }
    }

    /// Reads the entries of `slots` from Redis and keeps what it holds.
    async fn read_back(&self, connection: &Connection, slots: &[Slot]) -> Result<(), ChannelError> {
        if slots.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = slots.iter().map(|slot| self.key(slot)).collect();
        let mut pipe = redis::pipe();
        pipe.cmd("MGET").arg(&keys);
        for key in &keys {
            pipe.cmd("PTTL").arg(key);
        }
        let mut answers: Vec<redis::Value> = connection
            .query_pipe(&pipe)
            .await
            .map_err(ChannelError::redis("cannot read entries back"))?;
        let at = now_ms();
        if answers.len() != keys.len() + 1 {
            return Err(ChannelError::redis("reading entries back")(
                RedisError::Unexpected("a pipeline answer of another length"),
            ));
        }
        let pttls = answers.split_off(1);
        let values: Vec<redis::Value> =
            redis::from_redis_value(answers.remove(0)).map_err(|_| {
                ChannelError::redis("reading entries back")(RedisError::Unexpected(
                    "MGET that is not an array",
                ))
            })?;
        if values.len() != keys.len() {
            return Err(ChannelError::redis("reading entries back")(
                RedisError::Unexpected("MGET with a wrong count"),
            ));
        }
        for ((slot, value), pttl) in slots.iter().zip(values).zip(pttls) {
            // A value that is not a number belongs to no entry (another tool's key of the
            // same shape): skipped, alone. A key without TTL (-1) never expires; a key that is
            // gone (-2, nil) is not kept.
            let (Ok(value), Ok(pttl)) = (
                redis::from_redis_value::<u64>(value),
                redis::from_redis_value::<i64>(pttl),
            ) else {
                continue;
            };
            self.keep(*slot, value, pttl, at);
        }
        Ok(())
    }

    /// Loads every entry under the prefix into an empty copy.
    async fn load_all(&self, connection: &Connection) -> Result<(), ChannelError> {
        write(&self.entries).clear();
        self.full.store(false, Ordering::Release);
        let pattern = format!("{}*", escape_glob(&self.prefix));
        let mut cursor: u64 = 0;
        loop {
            let mut scan = redis::cmd("SCAN");
            scan.arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(BATCH);
            let (next, keys): (u64, Vec<String>) = connection
                .query(&scan)
                .await
                .map_err(ChannelError::redis("cannot load"))?;
            let slots: Vec<Slot> = keys.iter().filter_map(|key| self.slot(key)).collect();
            self.read_back(connection, &slots).await?;
            self.check()?;
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    /// Starts the subscriber task once.
    pub(crate) fn start(self: &Arc<Self>, connection: &Arc<Connection>, timeout: Duration) {
        push::start(self, &self.started, connection, &self.prefix, timeout);
    }
}

impl Follower for Mirror {
    type Hint = Slot;

    fn load<'a>(&'a self, connection: &'a Connection) -> BoxFuture<'a, Result<(), ChannelError>> {
        Box::pin(async move {
            self.load_all(connection).await?;
            self.loads.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
    }

    fn hint(&self, payload: &[u8]) -> Option<Slot> {
        self.slot(hinted_key(payload)?)
    }

    fn confirm<'a>(
        &'a self,
        connection: &'a Connection,
        hints: Vec<Slot>,
    ) -> BoxFuture<'a, Result<(), ChannelError>> {
        Box::pin(async move {
            for batch in hints.chunks(BATCH) {
                self.read_back(connection, batch).await?;
            }
            self.check()
        })
    }

    fn purge(&self) {
        let now = now_ms();
        write(&self.entries).retain(|_, entry| entry.expires > now);
    }

    fn check(&self) -> Result<(), ChannelError> {
        if self.full.load(Ordering::Acquire) {
            Err(ChannelError::Full)
        } else {
            Ok(())
        }
    }

    fn trust(&self) -> &Trust {
        &self.trust
    }
}

/// `prefix` with the glob characters of `SCAN MATCH` escaped.
fn escape_glob(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len());
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// For the `push_message` fuzz target: the key of the entry a pushed message would have read
/// back by a copy of `kinds` under `prefix`, if any.
#[cfg(feature = "test-util")]
pub(crate) fn hinted_entry(
    prefix: &str,
    kinds: &'static [&'static str],
    payload: &[u8],
) -> Option<String> {
    let mirror = Mirror::new(prefix, kinds, 1);
    mirror.hint(payload).map(|slot| mirror.key(&slot))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher as _;

    use super::*;

    const KINDS: &[&str] = &["jti:", "sub:"];

    #[test]
    fn a_message_names_a_key_of_the_store_or_nothing() {
        let mirror = Mirror::new("p:", KINDS, 10);
        let key = keys::key_of("p:", "sub:", &[7; 32]);
        assert_eq!(
            mirror.hint(format!("{key} 17 300").as_bytes()),
            Some(Slot {
                kind: 1,
                digest: [7; 32]
            })
        );
        assert_eq!(mirror.hint(key.as_bytes()).map(|s| s.kind), Some(1));
        assert_eq!(mirror.hint(format!("{key}0 1 1").as_bytes()), None);
        assert_eq!(mirror.hint(b"q:sub:00 1 1"), None);
    }

    #[test]
    fn entries_merge_by_maximum_expire_and_are_read_only_while_trusted() {
        let mirror = Mirror::new("p:", KINDS, 10);
        mirror.trust.until(u64::MAX);
        let key = keys::key_of("p:", "sub:", &[7; 32]);
        let slot = mirror.slot(&key).expect("a key of this store");
        assert_eq!((slot.kind, slot.digest), (1, [7; 32]));
        mirror.remember(&key, 5, 100_000);
        mirror.remember(&key, 3, 150_000);
        let other = Slot {
            kind: 0,
            digest: [7; 32],
        };
        assert_eq!(
            mirror.get(&[Some(slot), Some(other), None]),
            Some([Some(5), None, None])
        );
        // Gone from Redis (-2): not kept.
        mirror.remember(&keys::key_of("p:", "jti:", &[1; 32]), 1, -2);
        mirror.remember("elsewhere:jti:00", 1, 100_000);
        mirror.remember("p:sub:0123", 1, 100_000);
        assert_eq!(mirror.len(), 1);
        mirror.trust.revoke();
        assert_eq!(mirror.get(&[Some(slot)]), None);
        // A deadline in the past is no trust either.
        mirror.trust.until(now_ms());
        assert_eq!(mirror.get(&[Some(slot)]), None);
    }

    #[test]
    fn an_entry_is_kept_while_redis_may_hold_it_and_not_much_longer() {
        let mirror = Mirror::new("p:", KINDS, 10);
        mirror.trust.until(u64::MAX);
        let slot = Slot {
            kind: 0,
            digest: [3; 32],
        };
        // Redis answered, at `at`, that it holds the key 1500 ms more.
        let at = now_ms();
        mirror.keep(slot, 9, 1500, at);
        let entry = read(&mirror.entries)[&slot];
        assert_eq!(entry.expires, at + 1500 + KEEP_MARGIN_MS);
        mirror.keep(slot, 9, -1, at);
        assert_eq!(read(&mirror.entries)[&slot].expires, u64::MAX);
    }

    #[test]
    fn past_its_capacity_the_copy_is_not_read() {
        let mirror = Mirror::new("p:", KINDS, 2);
        mirror.trust.until(u64::MAX);
        let slot = |n: u8| Slot {
            kind: 0,
            digest: [n; 32],
        };
        mirror.keep(slot(1), 1, 10_000, now_ms());
        mirror.keep(slot(2), 1, 10_000, now_ms());
        // An entry already held is updated in place.
        mirror.keep(slot(2), 2, 20_000, now_ms());
        assert!(mirror.check().is_ok());
        assert_eq!(mirror.get(&[Some(slot(2))]), Some([Some(2)]));
        mirror.keep(slot(3), 1, 10_000, now_ms());
        assert_eq!(mirror.len(), 2);
        assert!(matches!(mirror.check(), Err(ChannelError::Full)));
        assert_eq!(mirror.get(&[Some(slot(1))]), None);
        // A barrier coming back does not make it trusted again: only a load does.
        mirror.trust.until(u64::MAX);
        assert!(!mirror.is_synced());
    }

    #[test]
    fn chosen_digests_do_not_collide_in_the_map() {
        let hasher = DigestKeys::default();
        let hash = |kind: u8, digest: [u8; 32]| hasher.hash_one(Slot { kind, digest });
        // Digests that agree on their first 8 bytes (the old hasher's whole input).
        let hashes: HashSet<u64> = (0..1000u16)
            .map(|n| {
                let mut digest = [0u8; 32];
                digest[30..].copy_from_slice(&n.to_le_bytes());
                hash(0, digest)
            })
            .collect();
        assert_eq!(hashes.len(), 1000);
        // Every byte and the kind reach the hash.
        let base = hash(0, [0; 32]);
        for position in 0..32 {
            let mut digest = [0u8; 32];
            digest[position] = 1;
            assert_ne!(hash(0, digest), base, "byte {position}");
        }
        assert_ne!(hash(1, [0; 32]), base);
        // Keyed: another process (other keys) hashes differently.
        let other = DigestKeys([3, 5, 7, 9]);
        assert_ne!(
            other.hash_one(Slot {
                kind: 0,
                digest: [0; 32]
            }),
            base
        );
    }

    #[test]
    fn glob_characters_are_escaped() {
        assert_eq!(escape_glob("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }
}
