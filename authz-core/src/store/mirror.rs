//! A copy in process memory of a Redis store's entries under one prefix, kept current by a
//! push channel (Redis pub/sub) so that a check reads memory only.
//!
//! Writers publish each entry as they store it (`<key> <value> <ttl>` on the channel
//! `<prefix>events`, from the same Lua script that writes it). A background task per store
//! subscribes, then loads every entry (`SCAN` with `MGET` and `TTL`), then applies what it is
//! pushed. Entries merge by maximum (value and expiry), so the order in which a load and a
//! push arrive does not matter, and the copy only ever holds unexpired entries.
//!
//! The copy is trusted only while it is synchronized: after the load, and while a `PING` on
//! the subscription comes back within the timeout. A lost connection, a server that stops
//! answering (paused, overloaded) or a subscriber that falls behind all make it untrusted at
//! once, and checks fall back to asking Redis per request (and fail closed when that fails
//! too); after reconnecting, the task loads everything again before the copy is trusted, so no
//! entry written during the gap is missed.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use futures_core::Stream;
use redis::Client;

use super::Connection;
use crate::util::{read, unix_now, write};

/// How often the subscriber checks that the channel still delivers.
const HEARTBEAT: Duration = Duration::from_millis(250);
/// Keys per `SCAN` step and per `MGET` of a load.
const LOAD_BATCH: usize = 1000;

/// What the subscriber keeps current: a store's copy in memory.
pub(crate) trait Follower: Send + Sync + 'static {
    /// Makes the copy whole again after (re)subscribing: everything written before is in it.
    fn load<'a>(
        &'a self,
        connection: &'a Connection,
        prefix: &'a str,
    ) -> crate::token::BoxFuture<'a, Result<(), &'static str>>;

    /// Applies one pushed message.
    fn push(&self, payload: &[u8]);

    /// Drops what has expired; called on every heartbeat.
    fn purge(&self) {}

    /// Whether checks may read the copy.
    fn set_synced(&self, synced: bool);
}

/// Starts `follower`'s subscriber task on the current tokio runtime, unless `started` says it
/// runs already (none: the copy stays untrusted and every check asks Redis).
pub(crate) fn start<F: Follower>(
    follower: &Arc<F>,
    started: &AtomicBool,
    client: &Client,
    connection: &Arc<Connection>,
    prefix: &str,
    timeout: Duration,
) {
    if started.swap(true, Ordering::AcqRel) {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        started.store(false, Ordering::Release);
        return;
    };
    let weak: Weak<F> = Arc::downgrade(follower);
    runtime.spawn(subscribe(
        weak,
        client.clone(),
        Arc::clone(connection),
        prefix.to_owned(),
        timeout,
    ));
}

/// An entry's identity: its kind (the index of its key's kind among the store's kinds) and
/// the SHA-256 its key names, without the prefix and hex of the Redis key. What a check looks
/// up, so that it builds no string.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) kind: u8,
    pub(crate) digest: [u8; 32],
}

impl Hash for Slot {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The digest is already uniform: eight of its bytes are a hash.
        let mut head = [0u8; 8];
        head.copy_from_slice(&self.digest[..8]);
        state.write_u64(u64::from_le_bytes(head) ^ u64::from(self.kind));
    }
}

/// Passes on the one `u64` a [`Slot`] writes.
#[derive(Default)]
pub(crate) struct SlotHasher(u64);

impl Hasher for SlotHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

type Slots = HashMap<Slot, (u64, u64), BuildHasherDefault<SlotHasher>>;

/// The entries of one store: (value, expires at, unix seconds) by [`Slot`].
pub(crate) struct Mirror {
    prefix: Box<str>,
    /// The kinds of key, by their index in a [`Slot`]: `jti:`, `sub:`, ...
    kinds: &'static [&'static str],
    entries: RwLock<Slots>,
    synced: AtomicBool,
    started: AtomicBool,
    /// Loads completed, for tests and metrics.
    loads: AtomicU64,
}

impl Mirror {
    /// An empty copy of the entries under `prefix` whose keys are of `kinds`.
    pub(crate) fn new(prefix: &str, kinds: &'static [&'static str]) -> Self {
        Self {
            prefix: prefix.into(),
            kinds,
            entries: RwLock::new(Slots::default()),
            synced: AtomicBool::new(false),
            started: AtomicBool::new(false),
            loads: AtomicU64::new(0),
        }
    }

    /// The values of `slots`, or `None` when the copy is not trusted now.
    pub(crate) fn get<const N: usize>(
        &self,
        slots: &[Option<Slot>; N],
    ) -> Option<[Option<u64>; N]> {
        if !self.synced.load(Ordering::Acquire) {
            return None;
        }
        let now = unix_now();
        let entries = read(&self.entries);
        let values = slots.map(|slot| {
            slot.and_then(|slot| {
                entries
                    .get(&slot)
                    .filter(|(_, expires)| *expires > now)
                    .map(|(value, _)| *value)
            })
        });
        drop(entries);
        // A copy that stopped being trusted while it was read answers nothing.
        self.synced.load(Ordering::Acquire).then_some(values)
    }

    /// The slot a Redis key of this store names, if it is one.
    fn slot(&self, key: &str) -> Option<Slot> {
        let rest = key.strip_prefix(&*self.prefix)?;
        let (kind, hex) = self
            .kinds
            .iter()
            .enumerate()
            .find_map(|(i, kind)| rest.strip_prefix(kind).map(|hex| (i, hex)))?;
        let hex = hex.as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let mut digest = [0u8; 32];
        for (byte, pair) in digest.iter_mut().zip(hex.chunks_exact(2)) {
            let digit = |c: u8| char::from(c).to_digit(16);
            *byte = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
        }
        Some(Slot {
            kind: u8::try_from(kind).ok()?,
            digest,
        })
    }

    /// Whether checks read memory now.
    pub(crate) fn is_synced(&self) -> bool {
        self.synced.load(Ordering::Acquire)
    }

    /// How many entries are held.
    pub(crate) fn len(&self) -> usize {
        read(&self.entries).len()
    }

    /// How many full loads have completed.
    pub(crate) fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    /// Records the entry of Redis key `key`, keeping the larger value and the later expiry.
    /// A key that is none of this store's is ignored.
    pub(crate) fn apply(&self, key: &str, value: u64, expires: u64) {
        if let Some(slot) = self.slot(key) {
            self.apply_slot(slot, value, expires);
        }
    }

    fn apply_slot(&self, slot: Slot, value: u64, expires: u64) {
        if expires <= unix_now() {
            return;
        }
        let mut entries = write(&self.entries);
        let entry = entries.entry(slot).or_insert((value, expires));
        entry.0 = entry.0.max(value);
        entry.1 = entry.1.max(expires);
    }

    /// Starts the subscriber task once.
    pub(crate) fn start(
        self: &Arc<Self>,
        client: &Client,
        connection: &Arc<Connection>,
        prefix: &str,
        timeout: Duration,
    ) {
        start(self, &self.started, client, connection, prefix, timeout);
    }
}

impl Follower for Mirror {
    fn load<'a>(
        &'a self,
        connection: &'a Connection,
        prefix: &'a str,
    ) -> crate::token::BoxFuture<'a, Result<(), &'static str>> {
        Box::pin(async move {
            load(self, connection, prefix).await?;
            self.loads.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
    }

    fn push(&self, payload: &[u8]) {
        if let Some((key, value, ttl)) = parse(payload) {
            self.apply(key, value, unix_now().saturating_add(ttl));
        }
    }

    fn purge(&self) {
        let now = unix_now();
        write(&self.entries).retain(|_, (_, expires)| *expires > now);
    }

    fn set_synced(&self, synced: bool) {
        self.synced.store(synced, Ordering::Release);
    }
}

/// The channel a store publishes its entries on.
pub(crate) fn channel(prefix: &str) -> String {
    format!("{prefix}events")
}

/// The subscriber: (re)connects, subscribes, loads, then applies pushes until the channel
/// fails; ends when the store is dropped.
async fn subscribe<F: Follower>(
    follower: Weak<F>,
    client: Client,
    connection: Arc<Connection>,
    prefix: String,
    timeout: Duration,
) {
    let channel = channel(&prefix);
    loop {
        let Some(strong) = follower.upgrade() else {
            return;
        };
        strong.set_synced(false);
        drop(strong);
        let session = async {
            let pubsub = tokio::time::timeout(timeout, client.get_async_pubsub())
                .await
                .map_err(|_| "timed out")?
                .map_err(|_| "cannot connect")?;
            let (mut sink, mut stream) = pubsub.split();
            tokio::time::timeout(timeout, sink.subscribe(&channel))
                .await
                .map_err(|_| "timed out")?
                .map_err(|_| "cannot subscribe")?;
            // Subscribed first, loaded second: an entry written meanwhile arrives by either
            // way, and applying it twice changes nothing.
            {
                let Some(strong) = follower.upgrade() else {
                    return Ok(());
                };
                strong.load(&connection, &prefix).await?;
                strong.set_synced(true);
            }
            let mut heartbeat = tokio::time::interval(HEARTBEAT);
            loop {
                tokio::select! {
                    message = std::future::poll_fn(|cx| std::pin::Pin::new(&mut stream).poll_next(cx)) => {
                        let Some(message) = message else {
                            return Err("the subscription ended");
                        };
                        let Some(strong) = follower.upgrade() else {
                            return Ok(());
                        };
                        strong.push(message.get_payload_bytes());
                    }
                    _ = heartbeat.tick() => {
                        let Some(strong) = follower.upgrade() else {
                            return Ok(());
                        };
                        strong.purge();
                        drop(strong);
                        // A PING answered on the subscription shows that the server still
                        // delivers (pushes meanwhile are buffered by the connection's driver).
                        let answered = tokio::time::timeout(timeout, sink.ping::<redis::Value>())
                            .await
                            .is_ok_and(|answer| answer.is_ok());
                        if !answered {
                            return Err("the subscription stopped answering");
                        }
                    }
                }
            }
        };
        let result: Result<(), &str> = session.await;
        let Some(strong) = follower.upgrade() else {
            return;
        };
        strong.set_synced(false);
        drop(strong);
        match result {
            Ok(()) => return,
            Err(reason) => {
                tracing::warn!(
                    reason,
                    "Redis push channel lost: reads ask Redis per request until it is back and reloaded"
                );
                tokio::time::sleep(HEARTBEAT).await;
            }
        }
    }
}

/// Loads every entry under `prefix` into the copy.
async fn load(mirror: &Mirror, connection: &Connection, prefix: &str) -> Result<(), &'static str> {
    let pattern = format!("{}*", escape_glob(prefix));
    let mut cursor: u64 = 0;
    loop {
        let mut scan = redis::cmd("SCAN");
        scan.arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(LOAD_BATCH);
        let (next, keys): (u64, Vec<String>) =
            connection.query(&scan).await.map_err(|_| "cannot load")?;
        if !keys.is_empty() {
            let mut pipe = redis::pipe();
            pipe.cmd("MGET").arg(&keys);
            for key in &keys {
                pipe.cmd("TTL").arg(key);
            }
            let (values, ttls): (Vec<Option<u64>>, Vec<i64>) = {
                let mut answers: Vec<redis::Value> = connection
                    .query_pipe(&pipe)
                    .await
                    .map_err(|_| "cannot load")?;
                if answers.len() != keys.len() + 1 {
                    return Err("Redis answered the load unexpectedly");
                }
                let ttls = answers
                    .split_off(1)
                    .into_iter()
                    .map(|v| redis::from_redis_value(v).unwrap_or(-2))
                    .collect();
                let values = redis::from_redis_value(answers.remove(0)).unwrap_or_default();
                (values, ttls)
            };
            let now = unix_now();
            for ((key, value), ttl) in keys.iter().zip(values).zip(ttls) {
                // Values that are not numbers belong to no revocation (another tool's keys
                // under the prefix): skipped. A key without TTL (-1) never expires.
                if let (Some(value), Ok(ttl)) = (value, u64::try_from(ttl)) {
                    mirror.apply(key, value, now.saturating_add(ttl));
                } else if let (Some(value), -1) = (value, ttl) {
                    mirror.apply(key, value, u64::MAX);
                }
            }
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

/// `key value ttl`, as the writers' script publishes it.
fn parse(payload: &[u8]) -> Option<(&str, u64, u64)> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut parts = text.rsplitn(3, ' ');
    let ttl = parts.next()?.parse().ok()?;
    let value = parts.next()?.parse().ok()?;
    let key = parts.next()?;
    Some((key, value, ttl))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_parse_with_any_key() {
        assert_eq!(parse(b"p:jti:ab 17 300"), Some(("p:jti:ab", 17, 300)));
        assert_eq!(
            parse(b"a b c:jti:ab 17 300"),
            Some(("a b c:jti:ab", 17, 300))
        );
        assert_eq!(parse(b"p:jti:ab x 300"), None);
        assert_eq!(parse(b"300"), None);
    }

    #[test]
    fn entries_merge_by_maximum_and_expire() {
        let mirror = Mirror::new("p:", &["jti:", "sub:"]);
        mirror.set_synced(true);
        let later = unix_now() + 100;
        let key = super::super::hex_key("p:", "sub:", &[7; 32]);
        let slot = mirror.slot(&key).expect("a key of this store");
        assert_eq!((slot.kind, slot.digest), (1, [7; 32]));
        mirror.apply(&key, 5, later);
        mirror.apply(&key, 3, later + 50);
        let other = Slot {
            kind: 0,
            digest: [7; 32],
        };
        assert_eq!(
            mirror.get(&[Some(slot), Some(other), None]),
            Some([Some(5), None, None])
        );
        mirror.apply(
            &super::super::hex_key("p:", "jti:", &[1; 32]),
            1,
            unix_now(),
        );
        mirror.apply("elsewhere:jti:00", 1, later);
        mirror.apply("p:sub:0123", 1, later);
        assert_eq!(mirror.len(), 1);
        mirror.set_synced(false);
        assert_eq!(mirror.get(&[Some(slot)]), None);
    }

    #[test]
    fn glob_characters_are_escaped() {
        assert_eq!(escape_glob("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }
}
