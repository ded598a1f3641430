//! A revocation list shared by every instance of a service, on Redis (feature `redis`).
//!
//! The store connects lazily, so building one never blocks; a check it cannot answer refuses the
//! token as unavailable (503), never accepts it. Runnable without a server:
//!
//! ```
//! use authz_core::store::{RedisError, RedisRevocation};
//! use authz_core::token::{Revocation, RevocationQuery};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // Nothing listens on port 1: every check fails, and fails closed, because Redis is
//! // unreachable.
//! let revocations = RedisRevocation::builder("redis://127.0.0.1:1/").build().unwrap();
//! let query = RevocationQuery::new(Some("token-1"), Some("alice"), Some(1), u64::MAX);
//! let error = revocations.check(query).await.unwrap_err();
//! let cause = error.get_ref().downcast_ref::<RedisError>().unwrap();
//! assert!(cause.is_unreachable(), "{cause}");
//! # });
//! ```
//!
//! The keys it writes and reads are listed in [`RedisRevocation`]'s documentation, and derived
//! in one place (`store::keys`).

mod builder;
mod check;
mod staleness;

pub use builder::RedisRevocationBuilder;
use staleness::Cache;

use core::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::Cmd;

use super::keys::Entry;
use super::mirror::Mirror;
use super::push;
use super::{Connection, unix_now_ms};
use crate::token::revocation::{BoxFuture, RevocationError};
use crate::util::{Chain, lock};

/// The default key prefix: keys are `authz:revoked:jti:<hex>`, `authz:revoked:sub:<hex>`,
/// `authz:revoked:isub:<hex>`, `authz:revoked:isid:<hex>` and `authz:revoked:lrp:<hex>` (see
/// [the layout](RedisRevocation#keys-in-redis)).
pub const DEFAULT_REDIS_PREFIX: &str = "authz:revoked:";
/// The longest staleness the opt-in cache accepts (see [`RedisRevocationBuilder::cache`]).
pub const MAX_CACHE_STALENESS: Duration = Duration::from_secs(30);
/// A TTL is capped at 2^32 - 1 s (136 years), so an absurd `exp` cannot overflow Redis.
const MAX_TTL_MS: u64 = u32::MAX as u64 * 1000;
/// The default [`RedisRevocationBuilder::push_capacity`]: a million entries, about 100 MB.
pub const DEFAULT_PUSH_CAPACITY: usize = 1_000_000;

/// Sets `KEYS[1]` to the larger of its number and `ARGV[1]`, and its TTL to the longer of its
/// TTL and `ARGV[2]` milliseconds, atomically: revoking twice never shortens or weakens an
/// entry. Then publishes a hint on the channel `ARGV[3]`, so that every instance's copy in
/// memory reads the entry back (see [`store::push`](super::push)); the value and TTL in
/// seconds (rounded up) follow the key for instances of earlier versions. Returns the TTL in
/// milliseconds.
const MAX_SET: &str = r"
local value = ARGV[1]
local ttl = tonumber(ARGV[2])
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) and tonumber(current) > tonumber(value) then
  value = current
end
local left = redis.call('PTTL', KEYS[1])
if left > ttl then ttl = left end
redis.call('SET', KEYS[1], value, 'PX', ttl)
redis.call('PUBLISH', ARGV[3], KEYS[1] .. ' ' .. value .. ' ' .. math.ceil(ttl / 1000))
return ttl
";

/// A [`Revocation`](crate::token::Revocation) backend on Redis, shared by every instance that
/// uses the same server and prefix: deny a `jti`, or every token of a subject issued before a
/// time, at every issuer or at one.
///
/// - **No round trip per check** (by default): every instance keeps a copy of all entries in
///   memory, loaded at start and kept current by a push channel (see [below](#push)); a
///   revocation made through one instance is refused by the others within milliseconds.
///   Without the copy (while it is loading or its channel is down, or with
///   [`push(false)`](RedisRevocationBuilder::push)): a single `MGET` of the keys of the token's
///   `jti`, `sub`, `iss` with `sub`, and session.
/// - **Fails closed**: when Redis cannot be reached or does not answer within the timeout
///   (default 1 s), the check returns an error, which the validator turns into
///   [`TokenError::RevocationUnavailable`](crate::TokenError) (503 with `Retry-After` in
///   `authz-axum`), and a `tracing` error is logged (at most once a second while it lasts).
///   [`RedisRevocationBuilder::insecure_fail_open`] accepts such tokens instead.
/// - **Recovers by itself**: a failed connection is dropped and a new one made on a later check
///   (at most one attempt per 250 ms), so a restarted Redis is used again without restarting
///   the service.
/// - **Bounded**: each entry has a Redis TTL (see [`revoke_jti`](Self::revoke_jti) and
///   [`revoke_subject`](Self::revoke_subject)), which outlasts every token it names.
/// - **Optional staleness cache** for `push(false)` only, off by default: see
///   [`RedisRevocationBuilder::cache`] (and there, why it is kept).
///
/// # Keys in Redis
///
/// Under a configurable prefix (default [`DEFAULT_REDIS_PREFIX`]), each key
/// the prefix, a kind, and a SHA-256 in hex:
///
/// | key | value | written by |
/// |---|---|---|
/// | `PREFIX jti: SHA-256(jti)` | the revoked token's `exp` | [`revoke_jti`](Self::revoke_jti) |
/// | `PREFIX sub: SHA-256(sub)` | tokens of `sub` from *any* issuer issued before this time are revoked | [`revoke_subject`](Self::revoke_subject) |
/// | `PREFIX isub: SHA-256(len(iss) iss len(sub) sub)` | the same, for tokens of `sub` whose `iss` is this issuer | [`revoke_subject_of`](Self::revoke_subject_of) |
/// | `PREFIX isid: SHA-256(len(iss) iss len(sid) sid)` | the same, for tokens of session `sid` of this issuer | [`revoke_session`](Self::revoke_session) |
/// | `PREFIX lrp: SHA-256(len(iss) iss len(jti) jti)` | `1`: the back-channel logout token `jti` of `iss` was received (a replay marker; never read by a token check) | [`record_logout`](Self::record_logout) |
///
/// (`len` is the byte length as 8 bytes, big-endian.) A check reads the keys of the token's
/// `jti`, `sub`, (`iss`, `sub`) and (`iss`, `sid`) with one `MGET`. Identifiers are hashed, so
/// a hostile `jti`, `sub` or `iss` (long, binary, full of `:`) always makes a key of the same
/// length that cannot collide with another; the length prefixes keep (`a:b`, `c`) and (`a`,
/// `b:c`) apart.
///
/// A `jti` is unique only per issuer (RFC 7519 §4.1.7), yet `jti` entries are keyed by the `jti`
/// alone: revoking one refuses every token that carries it, whatever its issuer. That errs on the
/// safe side (a token of another issuer may be refused, never a revoked one accepted).
///
/// Each key expires (Redis TTL) once no token it names can be accepted any more, so the store
/// never grows without bound: a `jti` entry at the token's `exp` plus the validator's leeway, a
/// subject entry at `until` plus **twice** the leeway (see
/// [`revoke_subject`](Self::revoke_subject) for why), a replay marker when its
/// logout token would be refused anyway (`PX`, to the millisecond). Replay markers are keyed
/// by (`iss`, `jti`) in a space of their own: a logout token's `jti` never lands in the
/// access tokens' `jti:` deny-list.
///
/// # Push
///
/// Each revocation is written by a Lua script that also publishes a hint naming its key
/// (`PUBLISH <prefix>events "<key> <value> <ttl>"`). Each instance subscribes at its first
/// check (or at [`start`](Self::start)), loads every entry under its prefix (`SCAN`, `MGET`,
/// `PTTL`), and from then on answers checks from memory. Redis pub/sub was chosen over
/// keyspace notifications (they need a server setting, `notify-keyspace-events`, that managed
/// Redis services often refuse, and carry no value) and over RESP3 client-side caching (it
/// invalidates keys this client read, while a check needs keys it has never read: a new
/// token's `jti`). The copy holds only unexpired entries, each until Redis's own expiry in
/// milliseconds (rounded towards keeping), about 100 bytes an entry (measured: 9.9 MiB for
/// 100,000), and at most [`push_capacity`](RedisRevocationBuilder::push_capacity) of them.
///
/// **A pushed message is a hint, not an entry**: whoever can `PUBLISH` on the server can send
/// one, so an instance reads the key it names back from Redis (batched `MGET` and `PTTL`)
/// before it changes its copy. A forged message costs one key read and changes nothing. An
/// entry written outside this library (`SET` by hand) is seen by the copies only if its key is
/// then published on `<prefix>events` (the key alone is a hint), or after their next load.
///
/// **Bounded staleness, failing closed**: every 250 ms each instance publishes a random nonce
/// on the channel, and trusts its copy only until 250 ms plus the
/// [`timeout`](RedisRevocationBuilder::timeout) after sending the last nonce that came back
/// through its subscription with every hint before it read back. So a revocation written at
/// `t` is refused by every instance from `t` + 250 ms + the timeout on at the latest, whatever
/// happens to the channel: while it is down, silent (a paused or overloaded server), flooded
/// so that the subscriber falls behind, or while the copy is loading or over its capacity,
/// checks ask Redis per request (refusing with 503 when that fails too). A lost connection is
/// noticed at once. After reconnecting, the instance loads everything again before trusting
/// memory, so a revocation made during the gap is never missed. [`is_synced`](Self::is_synced)
/// says which mode a store is in.
///
/// Cheap to clone (an `Arc`); clones share the connection, the copy in memory and the cache.
/// `Debug` does not show the URL, which may hold a password. One standalone Redis (or one
/// primary behind a stable address): neither Sentinel nor Cluster is supported (see
/// [the module](super)).
///
/// ```no_run
/// use std::time::Duration;
/// use authz_core::{Algorithm, Key, store::RedisRevocation, Validator};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let revocations = RedisRevocation::builder("redis://127.0.0.1:6379/")
///     .prefix("reports-api:revoked:")
///     .leeway(Duration::from_secs(60)) // the validator's leeway
///     .build()?;
/// let validator = Validator::builder()
///     .algorithms([Algorithm::HS256])
///     .key(Key::hmac_secret(b"0123456789abcdef0123456789abcdef"))
///     .revocation(revocations.clone())
///     .build()?;
///
/// // Log out everywhere: every token of mallory issued before now.
/// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
/// revocations.revoke_subject("mallory", now, now + 3600).await?;
/// // One stolen token, which expires in 5 minutes.
/// revocations.revoke_jti("3f1c9a", now + 300).await?;
/// # let _ = validator;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisRevocation {
    inner: Arc<Inner>,
}

struct Inner {
    connection: Arc<Connection>,
    /// Every entry, in memory, kept current by the push channel.
    mirror: Arc<Mirror>,
    push: bool,
    timeout: Duration,
    prefix: Box<str>,
    leeway: u64,
    fail_open: bool,
    cache: Option<Cache>,
    outage: Mutex<Outage>,
}

/// Failures since the last logged one, for rate-limited logging.
#[derive(Default)]
struct Outage {
    failing: bool,
    last_logged: Option<Instant>,
    suppressed: u64,
}

impl fmt::Debug for RedisRevocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &*self.inner;
        f.debug_struct("RedisRevocation")
            .field("prefix", &i.prefix)
            .field("leeway", &i.leeway)
            .field("fail_open", &i.fail_open)
            .field("cache_staleness", &i.cache.as_ref().map(|c| c.staleness))
            .field("connected", &i.connection.is_connected())
            .finish_non_exhaustive()
    }
}

impl RedisRevocation {
    /// Revokes the token with this `jti`, which expires at `exp` (unix seconds): the token's
    /// own `exp` claim. The validator accepts it while `now < exp + leeway`, so the entry's TTL
    /// is `exp + leeway - now` (nothing is stored when that is not positive: the validator
    /// refuses the token anyway). If you do not know the token's `exp` and estimate it from
    /// your clock, add the leeway: the issuer's clock may run that far ahead. Revoking again
    /// never shortens an entry.
    ///
    /// A `jti` is unique only per issuer (RFC 7519 §4.1.7), but the entry is keyed by the
    /// `jti` alone: every token carrying it is refused, whatever its issuer. That errs on the
    /// safe side: a token of another issuer may be refused, a revoked one is never accepted.
    pub async fn revoke_jti(&self, jti: &str, exp: u64) -> Result<(), RevocationError> {
        let leeway = self.inner.leeway;
        self.put(self.jti_key(jti), exp, exp.saturating_add(leeway))
            .await
    }

    /// Revokes every token of `sub` issued before `issued_before` (unix seconds), and every
    /// token of `sub` without `iat`, **whatever its issuer**. `until` is when the last such
    /// token expires: `issued_before` plus the issuer's longest token lifetime.
    ///
    /// The entry's TTL is `until + 2 × leeway - now`. The issuer's clock may run up to the
    /// leeway ahead of this one (the validator accepts an `iat` that far in the future), so a
    /// token it issued just before the revocation, without `iat` to show it, can carry an `exp`
    /// up to `until + leeway`; and the validator accepts a token until `exp + leeway`. A later
    /// call with an earlier `issued_before` or `until` keeps the later values.
    ///
    /// `issued_before` is compared with `iat`, which the issuer's clock wrote: to also cover
    /// tokens whose `iat` is up to the leeway ahead of your clock, pass `now + leeway` (and
    /// `until` from that), at the cost of refusing the subject's tokens issued in the next
    /// leeway seconds too.
    pub async fn revoke_subject(
        &self,
        sub: &str,
        issued_before: u64,
        until: u64,
    ) -> Result<(), RevocationError> {
        self.put_subject(self.subject_key(sub), issued_before, until)
            .await
    }

    /// Like [`revoke_subject`](Self::revoke_subject), for the tokens of `sub` whose `iss` is
    /// exactly `issuer` only: with several issuers, `sub` names a different principal at each
    /// one, and logging out `alice` of one issuer must not log out `alice` of another. Tokens
    /// without `iss` are not covered (the validator requires it when it checks issuers).
    ///
    /// ```no_run
    /// use authz_core::store::RedisRevocation;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let revocations = RedisRevocation::builder("redis://127.0.0.1:6379/").build()?;
    /// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    /// // Log out alice of the staff issuer, whose tokens live at most an hour; the `alice` of
    /// // https://partners.example keeps her session.
    /// revocations
    ///     .revoke_subject_of("https://staff.example", "alice", now, now + 3600)
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn revoke_subject_of(
        &self,
        issuer: &str,
        sub: &str,
        issued_before: u64,
        until: u64,
    ) -> Result<(), RevocationError> {
        self.put_subject(self.issuer_subject_key(issuer, sub), issued_before, until)
            .await
    }

    async fn put_subject(
        &self,
        key: String,
        issued_before: u64,
        until: u64,
    ) -> Result<(), RevocationError> {
        let leeway = self.inner.leeway;
        let refused_from = until.saturating_add(leeway).saturating_add(leeway);
        self.put(key, issued_before, refused_from).await
    }

    /// Whether checks read the copy in memory now (pushed and loaded), rather than asking
    /// Redis per request.
    pub fn is_synced(&self) -> bool {
        self.inner.mirror.is_synced()
    }

    /// How many entries the copy in memory holds (only unexpired ones).
    pub fn entries_in_memory(&self) -> usize {
        self.inner.mirror.len()
    }

    /// How many full loads of the copy have completed: one at start, one after each lost
    /// channel.
    pub fn loads(&self) -> u64 {
        self.inner.mirror.loads()
    }

    /// Starts keeping the copy in memory now, rather than at the first check (which starts it
    /// anyway). Needs a tokio runtime; returns at once.
    pub fn start(&self) {
        self.start_mirror();
    }

    fn start_mirror(&self) {
        let inner = &self.inner;
        if !inner.push {
            return;
        }
        inner.mirror.start(&inner.connection, inner.timeout);
    }

    /// The Redis key that revokes a `jti`: the prefix, `jti:`, and the SHA-256 of `jti` in hex.
    pub fn jti_key(&self, jti: &str) -> String {
        Entry::Jti(jti).key(&self.inner.prefix)
    }

    /// The Redis key that revokes a subject's older tokens at every issuer: the prefix, `sub:`,
    /// and the SHA-256 of `sub` in hex.
    pub fn subject_key(&self, sub: &str) -> String {
        Entry::Subject(sub).key(&self.inner.prefix)
    }

    /// The Redis key that revokes a subject's older tokens at one issuer: the prefix, `isub:`,
    /// and in hex the SHA-256 of the byte length of `issuer` (8 bytes, big-endian), `issuer`,
    /// the byte length of `sub` and `sub`.
    pub fn issuer_subject_key(&self, issuer: &str, sub: &str) -> String {
        Entry::IssuerSubject(issuer, sub).key(&self.inner.prefix)
    }

    /// The Redis key that revokes a session's tokens: the prefix, `isid:`, and in hex the
    /// SHA-256 of the byte length of `issuer` (8 bytes, big-endian), `issuer`, the byte length
    /// of `sid` and `sid`.
    pub fn session_key(&self, issuer: &str, sid: &str) -> String {
        Entry::Session(issuer, sid).key(&self.inner.prefix)
    }

    /// Revokes the tokens of session `sid` of `issuer` issued before `issued_before`, for
    /// tokens expiring by `until` (the entry lives as a subject entry does): what a
    /// back-channel logout naming a session does.
    pub async fn revoke_session(
        &self,
        issuer: &str,
        sid: &str,
        issued_before: u64,
        until: u64,
    ) -> Result<(), RevocationError> {
        self.put_subject(self.session_key(issuer, sid), issued_before, until)
            .await
    }

    /// The Redis key of a back-channel logout token's replay marker: the prefix, `lrp:`, and in
    /// hex the SHA-256 of the byte length of `issuer` (8 bytes, big-endian), `issuer`, the
    /// byte length of `jti` and `jti`. Apart from [`jti_key`](Self::jti_key): a logout token's
    /// `jti` never revokes an access token, and one issuer's logout never pre-empts another's.
    pub fn logout_replay_key(&self, issuer: &str, jti: &str) -> String {
        Entry::LogoutReplay(issuer, jti).key(&self.inner.prefix)
    }

    /// Records the replay marker of the logout token `jti` of `issuer` (`SET NX PX`), kept
    /// until `until` (unix seconds: when the logout token is refused anyway), so for the
    /// token's remaining validity window to the millisecond. Returns whether this call set it
    /// (`false`: it was held already). Nothing is stored when the window is over.
    pub async fn record_logout(
        &self,
        issuer: &str,
        jti: &str,
        until: u64,
    ) -> Result<bool, RevocationError> {
        let window_ms = until
            .saturating_mul(1000)
            .saturating_sub(unix_now_ms())
            .min(MAX_TTL_MS);
        if window_ms == 0 {
            return Ok(true);
        }
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.logout_replay_key(issuer, jti))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(window_ms);
        // `OK` when set, nil when the key exists.
        let set = self.query::<Option<String>>(&cmd).await;
        self.outcome(set.map(|set| set.is_some()))
    }

    /// Whether the replay marker of the logout token `jti` of `issuer` is held (`EXISTS`).
    pub async fn logout_received(&self, issuer: &str, jti: &str) -> Result<bool, RevocationError> {
        let mut cmd = redis::cmd("EXISTS");
        cmd.arg(self.logout_replay_key(issuer, jti));
        let exists = self.query::<i64>(&cmd).await;
        self.outcome(exists.map(|n| n > 0))
    }

    /// Notes a marker's write or read for the rate-limited outage log.
    fn outcome<T>(&self, result: Result<T, RevocationError>) -> Result<T, RevocationError> {
        match &result {
            Ok(_) => self.inner.recovered(),
            Err(e) => self.inner.failed(e),
        }
        result
    }

    /// Stores `value` under `key` until `refused_from` (unix seconds): the first second at
    /// which the validator refuses every token the entry names.
    async fn put(&self, key: String, value: u64, refused_from: u64) -> Result<(), RevocationError> {
        // Milliseconds: the entry lives until the second `refused_from` begins, not up to a
        // second less or more.
        let ttl = refused_from
            .saturating_mul(1000)
            .saturating_sub(unix_now_ms())
            .min(MAX_TTL_MS);
        if let Some(cache) = &self.inner.cache {
            cache.forget(&key);
        }
        if ttl == 0 {
            return Ok(());
        }
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(MAX_SET)
            .arg(1)
            .arg(&key)
            .arg(value)
            .arg(ttl)
            .arg(push::channel(&self.inner.prefix));
        let result = self.query::<i64>(&cmd).await.map(|ttl| {
            // This instance's own revocation holds here at once, before its hint comes back.
            self.inner.mirror.remember(&key, value, ttl);
        });
        if let Some(cache) = &self.inner.cache {
            // A check that raced with the write may have cached the old answer.
            cache.forget(&key);
        }
        match result {
            Ok(()) => {
                self.inner.recovered();
                Ok(())
            }
            Err(e) => {
                self.inner.failed(&e);
                Err(e)
            }
        }
    }

    async fn query<T: redis::FromRedisValue>(&self, cmd: &Cmd) -> Result<T, RevocationError> {
        self.inner
            .connection
            .query(cmd)
            .await
            .map_err(RevocationError::new)
    }
}

impl Inner {
    fn failed(&self, error: &RevocationError) {
        let mut outage = lock(&self.outage);
        outage.failing = true;
        let due = outage
            .last_logged
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1));
        if !due {
            outage.suppressed += 1;
            return;
        }
        let suppressed = core::mem::take(&mut outage.suppressed);
        outage.last_logged = Some(Instant::now());
        drop(outage);
        if self.fail_open {
            tracing::error!(
                error = %Chain(error), suppressed,
                "revocation store (Redis) unavailable: ACCEPTING tokens unchecked (insecure_fail_open)"
            );
        } else {
            tracing::error!(
                error = %Chain(error), suppressed,
                "revocation store (Redis) unavailable: refusing tokens (fail closed)"
            );
        }
    }

    fn recovered(&self) {
        let mut outage = lock(&self.outage);
        if outage.failing {
            let suppressed = core::mem::take(&mut outage.suppressed);
            *outage = Outage::default();
            drop(outage);
            tracing::warn!(suppressed, "revocation store (Redis) reachable again");
        }
    }
}

impl crate::token::RevocationStore for RedisRevocation {
    fn revoke_jti<'a>(
        &'a self,
        jti: &'a str,
        exp: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        Box::pin(RedisRevocation::revoke_jti(self, jti, exp))
    }

    fn revoke_subject_of<'a>(
        &'a self,
        iss: &'a str,
        sub: &'a str,
        issued_before: u64,
        until: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        Box::pin(RedisRevocation::revoke_subject_of(
            self,
            iss,
            sub,
            issued_before,
            until,
        ))
    }

    fn revoke_session<'a>(
        &'a self,
        iss: &'a str,
        sid: &'a str,
        issued_before: u64,
        until: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        Box::pin(RedisRevocation::revoke_session(
            self,
            iss,
            sid,
            issued_before,
            until,
        ))
    }

    fn logout_received<'a>(
        &'a self,
        iss: &'a str,
        jti: &'a str,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        Box::pin(RedisRevocation::logout_received(self, iss, jti))
    }

    fn record_logout<'a>(
        &'a self,
        iss: &'a str,
        jti: &'a str,
        until: u64,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        Box::pin(RedisRevocation::record_logout(self, iss, jti, until))
    }
}
