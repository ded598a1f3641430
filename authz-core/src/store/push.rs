//! The push channel of the Redis stores: a background task per store that subscribes to
//! `<prefix>events`, makes the store's copy in memory whole ([`Follower::load`]), then follows
//! what is published there, and decides until when the copy may be read ([`Trust`]).
//!
//! **A message is a hint, never the entry.** Anyone who can `PUBLISH` on the server can send
//! one, so a message only names something to look at again: the subscriber collects the hints
//! ([`Follower::hint`], deduplicated, up to [`BATCH`] of them) and has the store confirm them
//! from Redis ([`Follower::confirm`]) before anything changes. A forged message costs one key
//! read and changes nothing; a flood of them is batched, and noticed by the barrier below when
//! it makes the subscriber fall behind.
//!
//! **Trust is a deadline, not a flag.** Every [`HEARTBEAT`] the subscriber publishes a random
//! nonce on the channel (a barrier). When the nonce comes back through the same stream as the
//! hints, and every hint received before it has been confirmed, the copy holds every entry
//! written before the nonce was sent; it is then trusted until that moment plus
//! [`HEARTBEAT`] plus the timeout. So an entry written at `t` is in the copy, or the copy is
//! not read, from `t` + 250 ms + the timeout on, whatever happens: a subscriber that falls
//! behind (a flood), a paused or overloaded server or a lost connection all let the deadline
//! pass by themselves, and checks ask Redis per request (and fail closed when that fails too).
//! A barrier not back within the timeout, a lost connection, or a copy over its capacity end
//! the subscription; the task then subscribes and loads everything again before the copy is
//! trusted, so no entry written during the gap is missed.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hash, RandomState};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use futures_core::Stream;
use redis::Msg;

use super::{Connection, RedisError};
use crate::token::BoxFuture;
use crate::util::{Chain, push_hex};

/// How often the subscriber publishes a barrier and drops expired entries.
pub(crate) const HEARTBEAT: Duration = Duration::from_millis(250);
/// Keys per `SCAN` step of a load, and distinct keys per read-back.
pub(crate) const BATCH: usize = 1000;
/// Why the subscriber stopped following: the copy is logged with [`Chain`], which shows the
/// Redis error behind it when there is one (its `source`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ChannelError {
    /// More entries than the copy's capacity.
    #[error("the copy in memory is over its capacity")]
    Full,
    /// A step took longer than the timeout.
    #[error("{0}: timed out")]
    TimedOut(&'static str),
    /// Redis failed at a step.
    #[error("{what}")]
    Redis {
        /// The step.
        what: &'static str,
        /// What Redis answered.
        #[source]
        source: RedisError,
    },
    /// The channel stopped as a whole.
    #[error("{0}")]
    Stopped(&'static str),
}

impl ChannelError {
    /// A [`Redis`](Self::Redis) error at step `what`.
    pub(crate) fn redis(what: &'static str) -> impl FnOnce(RedisError) -> Self {
        move |source| Self::Redis { what, source }
    }
}
/// After the copy went over its capacity, the next load is tried this much later: a load of
/// more entries than the cap would scan the whole prefix for nothing every 250 ms.
const FULL_RETRY: Duration = Duration::from_secs(30);
/// What a barrier's message starts with (then 32 hex digits of nonce).
const BARRIER: &[u8] = b"authz-barrier:";

/// Milliseconds on a monotonic clock, from the first reading in this process.
pub(crate) fn now_ms() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let elapsed = EPOCH.get_or_init(Instant::now).elapsed();
    // Not `as_millis`: a 128-bit division, on the path of every check.
    elapsed
        .as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(elapsed.subsec_millis()))
}

/// Until when (a [`now_ms`] reading, exclusive) a copy may be read; 0: not at all.
#[derive(Default)]
pub(crate) struct Trust(AtomicU64);

impl Trust {
    /// Whether the copy may be read at `now` (a [`now_ms`] reading).
    pub(crate) fn holds_at(&self, now: u64) -> bool {
        now < self.0.load(Ordering::Acquire)
    }

    /// Whether the copy may be read now.
    #[cfg_attr(not(feature = "api-keys"), allow(dead_code))]
    pub(crate) fn holds(&self) -> bool {
        self.holds_at(now_ms())
    }

    /// Trusts the copy until `deadline` (a [`now_ms`] reading): what a barrier that came back
    /// earns.
    pub(crate) fn until(&self, deadline: u64) {
        self.0.store(deadline, Ordering::Release);
    }

    /// Stops trusting the copy at once.
    pub(crate) fn revoke(&self) {
        self.0.store(0, Ordering::Release);
    }
}

/// What the subscriber keeps current: a store's copy in memory.
pub(crate) trait Follower: Send + Sync + 'static {
    /// What a pushed message names, once parsed: collected (deduplicated) until confirmed.
    type Hint: Eq + Hash + Send + Sync + 'static;

    /// Makes the copy whole again after (re)subscribing: everything written before is in it.
    fn load<'a>(&'a self, connection: &'a Connection) -> BoxFuture<'a, Result<(), ChannelError>>;

    /// What a pushed message names, if it names anything of this store.
    fn hint(&self, payload: &[u8]) -> Option<Self::Hint>;

    /// Brings what `hints` name up to date, from Redis rather than from the messages.
    fn confirm<'a>(
        &'a self,
        connection: &'a Connection,
        hints: Vec<Self::Hint>,
    ) -> BoxFuture<'a, Result<(), ChannelError>>;

    /// Drops what has expired; called on every heartbeat.
    fn purge(&self) {}

    /// Whether the copy can still be trusted once synchronized (not over its capacity).
    fn check(&self) -> Result<(), ChannelError> {
        Ok(())
    }

    /// Until when checks may read the copy.
    fn trust(&self) -> &Trust;
}

/// Starts `follower`'s subscriber task on the current tokio runtime, unless `started` says it
/// runs already (none: the copy stays untrusted and every check asks Redis).
pub(crate) fn start<F: Follower>(
    follower: &Arc<F>,
    started: &AtomicBool,
    connection: &Arc<Connection>,
    prefix: &str,
    timeout: Duration,
) {
    // A load first: every check calls this, and a swap would write the shared line each time.
    if started.load(Ordering::Acquire) || started.swap(true, Ordering::AcqRel) {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        started.store(false, Ordering::Release);
        return;
    };
    let weak: Weak<F> = Arc::downgrade(follower);
    runtime.spawn(subscribe(
        weak,
        Arc::clone(connection),
        channel(prefix),
        timeout,
    ));
}

/// The key a pushed message names: what precedes ` <value> <ttl>` (the form the writers'
/// scripts publish), or else the whole message. `None` for a barrier or a message that is not
/// UTF-8. Whether the key is one of a store's is for the store to say.
pub(crate) fn hinted_key(payload: &[u8]) -> Option<&str> {
    if is_barrier(payload) {
        return None;
    }
    let text = std::str::from_utf8(payload).ok()?;
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mut parts = text.rsplitn(3, ' ');
    Some(match (parts.next(), parts.next(), parts.next()) {
        (Some(ttl), Some(value), Some(key)) if number(ttl) && number(value) => key,
        _ => text,
    })
}

/// Whether `payload` is a barrier (any instance's): never a hint.
pub(crate) fn is_barrier(payload: &[u8]) -> bool {
    payload.starts_with(BARRIER)
}

/// The channel a store publishes its hints on.
pub(crate) fn channel(prefix: &str) -> String {
    format!("{prefix}events")
}

/// The subscriber: (re)connects, subscribes, loads, then follows hints and barriers until the
/// channel fails; ends when the store is dropped.
async fn subscribe<F: Follower>(
    follower: Weak<F>,
    connection: Arc<Connection>,
    channel: String,
    timeout: Duration,
) {
    loop {
        let Some(strong) = follower.upgrade() else {
            return;
        };
        strong.trust().revoke();
        drop(strong);
        let result = follow(&follower, &connection, &channel, timeout).await;
        let Some(strong) = follower.upgrade() else {
            return;
        };
        strong.trust().revoke();
        drop(strong);
        match result {
            Ok(()) => return,
            Err(ChannelError::Full) => {
                tracing::error!(
                    "Redis push channel: the copy in memory is over its capacity; reads ask Redis per request (raise push_capacity)"
                );
                tokio::time::sleep(FULL_RETRY).await;
            }
            Err(error) => {
                tracing::warn!(
                    reason = %Chain(&error),
                    "Redis push channel lost: reads ask Redis per request until it is back and reloaded"
                );
                tokio::time::sleep(HEARTBEAT).await;
            }
        }
    }
}

/// A nonce published on the channel, and when (a [`now_ms`] reading taken before).
struct Barrier {
    message: Vec<u8>,
    sent: u64,
}

impl Barrier {
    /// Publishes a fresh barrier on `channel`.
    async fn publish(
        connection: &Connection,
        channel: &str,
        timeout: Duration,
    ) -> Result<Self, ChannelError> {
        let message = nonce();
        let sent = now_ms();
        let mut publish = redis::cmd("PUBLISH");
        publish.arg(channel).arg(&message);
        tokio::time::timeout(timeout, connection.query::<i64>(&publish))
            .await
            .map_err(|_| ChannelError::TimedOut("publishing a barrier"))?
            .map_err(ChannelError::redis("cannot publish a barrier"))?;
        Ok(Self { message, sent })
    }
}

/// A barrier's message: [`BARRIER`] and 128 bits no one else can predict (SipHash with the
/// process's random keys, of a counter).
fn nonce() -> Vec<u8> {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let keys = KEYS.get_or_init(RandomState::new);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut nonce = String::with_capacity(32);
    for half in [0u8, 1] {
        push_hex(&mut nonce, &keys.hash_one((n, half)).to_be_bytes());
    }
    let mut message = BARRIER.to_vec();
    message.extend_from_slice(nonce.as_bytes());
    message
}

/// The next message, or whether the subscription ended.
fn next_message(
    stream: &mut (impl Stream<Item = Msg> + Unpin),
) -> impl Future<Output = Option<Msg>> + '_ {
    std::future::poll_fn(move |cx| Pin::new(&mut *stream).poll_next(cx))
}

/// A message that has arrived already, without waiting.
fn ready_message(stream: &mut (impl Stream<Item = Msg> + Unpin)) -> Poll<Option<Msg>> {
    Pin::new(stream).poll_next(&mut Context::from_waker(Waker::noop()))
}

/// One subscription: connect, subscribe, load, then follow until something fails.
async fn follow<F: Follower>(
    follower: &Weak<F>,
    connection: &Connection,
    channel: &str,
    timeout: Duration,
) -> Result<(), ChannelError> {
    let pubsub = tokio::time::timeout(timeout, connection.client().get_async_pubsub())
        .await
        .map_err(|_| ChannelError::TimedOut("connecting"))?
        .map_err(|e| ChannelError::redis("cannot connect")(e.into()))?;
    let (mut sink, mut stream) = pubsub.split();
    tokio::time::timeout(timeout, sink.subscribe(channel))
        .await
        .map_err(|_| ChannelError::TimedOut("subscribing"))?
        .map_err(|e| ChannelError::redis("cannot subscribe")(e.into()))?;
    // Subscribed first, loaded second: an entry written meanwhile arrives by either way, and
    // reading it twice changes nothing.
    {
        let Some(strong) = follower.upgrade() else {
            return Ok(());
        };
        strong.load(connection).await?;
    }
    let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    let window = u64::try_from((HEARTBEAT + timeout).as_millis()).unwrap_or(u64::MAX);
    let mut hints = HashSet::new();
    // Trusted only once a barrier sent after the load has come back.
    let mut barrier = Some(Barrier::publish(connection, channel, timeout).await?);
    let mut heartbeat =
        tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = next_message(&mut stream) => {
                let mut message = message.ok_or(ChannelError::Stopped("the subscription ended"))?;
                let Some(strong) = follower.upgrade() else {
                    return Ok(());
                };
                // This message and those already arrived, up to a batch of distinct keys (or
                // of messages, when a flood repeats a few) or the barrier.
                let mut reached = None;
                let mut taken = 0;
                loop {
                    taken += 1;
                    let payload = message.get_payload_bytes();
                    if barrier.as_ref().is_some_and(|b| b.message == payload) {
                        reached = barrier.take().map(|b| b.sent);
                        break;
                    }
                    if let Some(hint) = strong.hint(payload) {
                        hints.insert(hint);
                    }
                    if hints.len() >= BATCH || taken >= 4 * BATCH {
                        break;
                    }
                    match ready_message(&mut stream) {
                        Poll::Ready(Some(next)) => message = next,
                        Poll::Ready(None) => return Err(ChannelError::Stopped("the subscription ended")),
                        Poll::Pending => break,
                    }
                }
                if !hints.is_empty() {
                    let batch: Vec<F::Hint> = hints.drain().collect();
                    tokio::time::timeout(timeout, strong.confirm(connection, batch))
                        .await
                        .map_err(|_| ChannelError::TimedOut("reading entries back"))??;
                }
                strong.check()?;
                if let Some(sent) = reached {
                    // Every hint published before the barrier has been read back.
                    strong.trust().until(sent.saturating_add(window));
                }
            }
            _ = heartbeat.tick() => {
                let Some(strong) = follower.upgrade() else {
                    return Ok(());
                };
                strong.purge();
                strong.check()?;
                drop(strong);
                match &barrier {
                    Some(b) if now_ms().saturating_sub(b.sent) >= timeout_ms => {
                        return Err(ChannelError::Stopped(
                            "the push channel fell behind or stopped answering",
                        ));
                    }
                    Some(_) => {}
                    None => barrier = Some(Barrier::publish(connection, channel, timeout).await?),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_names_a_key_whatever_follows_it() {
        assert_eq!(hinted_key(b"p:jti:ab 17 300"), Some("p:jti:ab"));
        assert_eq!(hinted_key(b"a b c:jti:ab 17 300"), Some("a b c:jti:ab"));
        assert_eq!(hinted_key(b"p:jti:ab"), Some("p:jti:ab"));
        assert_eq!(hinted_key(b"p:jti:ab x 300"), Some("p:jti:ab x 300"));
        assert_eq!(hinted_key(b"p:jti:ab -1 300"), Some("p:jti:ab -1 300"));
        assert_eq!(hinted_key(b"\xff 1 1"), None);
        assert_eq!(hinted_key(&nonce()), None);
    }

    #[test]
    fn nonces_differ() {
        let (a, b) = (nonce(), nonce());
        assert_ne!(a, b);
        assert_eq!(a.len(), BARRIER.len() + 32);
    }
}
