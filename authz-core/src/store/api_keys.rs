//! API key records on Redis (features `api-keys` and `redis`): the same server that shares
//! revocations, so every instance sees a key the moment it is issued or revoked.
//!
//! ```
//! use authz_core::api_key::{ApiKeys, IssueError};
//! use authz_core::store::{RedisApiKeyStore, RedisError};
//! # authz_core::policy! { /// P
//! # pub mod reports { permissions { /// r
//! # "reports:read", } } }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // Nothing listens on port 1: issuing and verifying fail (closed), nothing panics.
//! let store = RedisApiKeyStore::builder("redis://127.0.0.1:1/").prefix("k:").build().unwrap();
//! let keys = ApiKeys::new(store, "rpt").unwrap();
//! let refused = keys.issue::<reports::Policy>("bot", ["reports:read"], None).await;
//! let Err(IssueError::Store(error)) = refused else { panic!("not refused by the store") };
//! let cause = error.get_ref().downcast_ref::<RedisError>().unwrap();
//! assert!(cause.is_unreachable(), "{cause}");
//! # });
//! ```
//!
//! A key is a hash at `<prefix><id>` with the fields of [`ApiKeyRecord`]; only the secret's
//! SHA-256 is stored. A key with an expiry gets a Redis TTL one day past it, so expired keys
//! leave the store by themselves. Each subject has a set of its key ids at
//! `<prefix>sub:<SHA-256 of the subject>` (for [`ApiKeyStore::revoke_subject`]), which lives as
//! long as its longest-lived key. Each write is one round trip (a command or a Lua script); a
//! verification reads the record from memory when it has read it before and the push channel
//! is trusted (see [`RedisApiKeyStore`]), else one round trip. Revoking a subject's keys
//! touches keys its script computes: one standalone Redis, as for every store here (neither
//! Sentinel nor Cluster is supported).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use redis::Cmd;

use super::keys::hashed_key;
use super::push::{self, ChannelError, Follower, Trust};
use super::{Connection, RedisConfigError, Settings};
use crate::api_key::{ApiKeyRecord, ApiKeyStore, StoreError};
use crate::token::BoxFuture;
use crate::util::{read, write};

/// The default key prefix: records are `authz:api_keys:<id>`.
pub const DEFAULT_PREFIX: &str = "authz:api_keys:";
/// Expired keys stay this long (so a late request reads "expired", not "unknown"), then go.
const EXPIRED_GRACE_SECS: u64 = 24 * 3600;

/// `KEYS[1]` the record, `KEYS[2]` its subject's set of ids; `ARGV[1]` when the record
/// expires ('' never), `ARGV[2]` now, `ARGV[3]` the id, then the fields. The set's TTL is the
/// longest of its records' (none if one never expires).
const INSERT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
local fresh = redis.call('EXISTS', KEYS[2]) == 0
redis.call('SADD', KEYS[2], ARGV[3])
if ARGV[1] == '' then
  redis.call('PERSIST', KEYS[2])
else
  redis.call('EXPIREAT', KEYS[1], ARGV[1])
  local ttl = redis.call('TTL', KEYS[2])
  if fresh or (ttl >= 0 and tonumber(ARGV[2]) + ttl < tonumber(ARGV[1])) then
    redis.call('EXPIREAT', KEYS[2], ARGV[1])
  end
end
return 1
";

/// `KEYS[1]` a subject's set of ids; `ARGV[1]` the record key prefix, `ARGV[2]` the cut-off,
/// `ARGV[3]` the push channel. Marks revoked the records created before it (publishing each
/// id); drops ids whose record is gone; the count.
const REVOKE_SUBJECT: &str = r"
local count = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. id
  local created = redis.call('HGET', key, 'created_at')
  if not created then
    redis.call('SREM', KEYS[1], id)
  elseif tonumber(created) < tonumber(ARGV[2]) and redis.call('HGET', key, 'revoked') ~= '1' then
    redis.call('HSET', key, 'revoked', '1')
    redis.call('PUBLISH', ARGV[3], id)
    count = count + 1
  end
end
return count
";

/// Sets field `ARGV[1]` to `ARGV[2]` on an existing record; publishes the id on `ARGV[3]`
/// unless it is empty (bookkeeping that no verification depends on).
const SET_IF_EXISTS: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return 1
";

/// API key records on Redis. Configured as [`RedisRevocation`](super::RedisRevocation) is,
/// through a builder, and connected the same way (see [the module](super)).
///
/// Records read by verification are kept in memory while the push channel is trusted, as
/// revocations are (see [`RedisRevocation`](super::RedisRevocation#push), whose freshness
/// barrier this store shares): revoking a key through this library publishes its id, and
/// every instance forgets its copy within milliseconds, and at the latest 250 ms plus the
/// timeout later (unknown ids are not kept, and a lost, silent or flooded channel makes every
/// read go to Redis until it is back). A pushed id only makes instances forget a record, so a
/// forged one costs one read of Redis.
///
/// **Changes made outside this library are not seen while the copy is trusted.** An
/// `HSET <prefix><id> revoked 1` or a `DEL` by hand or by another tool publishes nothing: an
/// instance that holds the record in memory keeps verifying the key with it until its channel
/// is lost or it restarts. After such a change, publish the id on the channel
/// (`PUBLISH <prefix>events <id>`), which makes every instance read the record again; or build
/// the store with [`push(false)`](RedisApiKeyStoreBuilder::push), which reads Redis on every
/// verification.
pub struct RedisApiKeyStore {
    connection: Arc<Connection>,
    cache: Arc<KeyCache>,
    push: bool,
    timeout: Duration,
    prefix: Box<str>,
}

/// The records verification read, by id (a map keyed by the process's random SipHash keys),
/// trusted while the channel is.
#[derive(Default)]
struct KeyCache {
    records: RwLock<HashMap<String, ApiKeyRecord>>,
    trust: Trust,
    started: AtomicBool,
    /// Bumped by every invalidation: a read that raced with one does not keep what it read.
    invalidations: AtomicU64,
}

/// More records than this and the cache starts afresh (a bound, not a policy: verifications
/// then read Redis until the records are read again).
const MAX_CACHED: usize = 100_000;

impl KeyCache {
    /// Forgets the records of `ids`; a read that raced with this does not keep what it read.
    fn forget<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        self.invalidations.fetch_add(1, Ordering::AcqRel);
        let mut records = write(&self.records);
        for id in ids {
            records.remove(id);
        }
    }

    /// Forgets every record.
    fn forget_all(&self) {
        self.invalidations.fetch_add(1, Ordering::AcqRel);
        write(&self.records).clear();
    }
}

impl Follower for KeyCache {
    /// An id whose record to forget.
    type Hint = String;

    fn load<'a>(&'a self, _connection: &'a Connection) -> BoxFuture<'a, Result<(), ChannelError>> {
        // Read-through: nothing is loaded, and nothing read before the gap is kept.
        self.forget_all();
        Box::pin(core::future::ready(Ok(())))
    }

    fn hint(&self, payload: &[u8]) -> Option<String> {
        // The message is the id. Forgetting is always safe: a forged id costs one read of
        // Redis, no confirmation needed.
        if push::is_barrier(payload) {
            return None;
        }
        std::str::from_utf8(payload).ok().map(str::to_owned)
    }

    fn confirm<'a>(
        &'a self,
        _connection: &'a Connection,
        hints: Vec<String>,
    ) -> BoxFuture<'a, Result<(), ChannelError>> {
        self.forget(hints.iter().map(String::as_str));
        Box::pin(core::future::ready(Ok(())))
    }

    fn trust(&self) -> &Trust {
        &self.trust
    }
}

/// Builds a [`RedisApiKeyStore`]. Defaults: prefix `authz:api_keys:`, timeout
/// [`DEFAULT_REDIS_TIMEOUT`](super::DEFAULT_REDIS_TIMEOUT).
#[derive(Debug)]
pub struct RedisApiKeyStoreBuilder {
    settings: Settings,
    push: bool,
}

impl RedisApiKeyStoreBuilder {
    super::settings_methods!(
        prefix = "Records are `<prefix><id>` (default `authz:api_keys:`).",
        timeout = "The time allowed to connect and, separately, to get each answer (default 1 s)."
    );

    /// Whether verification keeps the records it reads in memory, invalidated by pushes
    /// (default `true`), or reads Redis every time (`false`).
    pub fn push(mut self, push: bool) -> Self {
        self.push = push;
        self
    }

    /// Checks the settings. Does not connect: the first call does.
    pub fn build(self) -> Result<RedisApiKeyStore, RedisConfigError> {
        let timeout = self.settings.timeout;
        let (connection, prefix) = self.settings.open()?;
        Ok(RedisApiKeyStore {
            connection: Arc::new(connection),
            cache: Arc::new(KeyCache::default()),
            push: self.push,
            timeout,
            prefix,
        })
    }
}

impl fmt::Debug for RedisApiKeyStore {
    /// The URL may hold a password: it is not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisApiKeyStore")
            .field("prefix", &self.prefix)
            .field("connected", &self.connection.is_connected())
            .finish_non_exhaustive()
    }
}

impl RedisApiKeyStore {
    /// A builder for the server at `url` (`redis://host:port/db`, with
    /// `redis://user:password@…` for ACLs).
    pub fn builder(url: impl Into<String>) -> RedisApiKeyStoreBuilder {
        RedisApiKeyStoreBuilder {
            settings: Settings::new(url.into(), DEFAULT_PREFIX),
            push: true,
        }
    }

    fn key(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }

    /// The set of a subject's key ids. Hashed, so any subject makes a key of one length; `s`
    /// is not a hex digit, so it never names a record.
    fn subject_key(&self, subject: &str) -> String {
        hashed_key(&self.prefix, "sub:", &[subject.as_bytes()])
    }

    /// Runs one command on the shared connection.
    async fn run<T: redis::FromRedisValue>(&self, cmd: &Cmd) -> Result<T, StoreError> {
        self.connection.query(cmd).await.map_err(StoreError::new)
    }

    /// Sets one field of an existing record (never creates a partial one); whether it existed.
    async fn set_if_exists(
        &self,
        id: &str,
        field: &str,
        value: String,
        publish: bool,
    ) -> Result<bool, StoreError> {
        let channel = if publish {
            push::channel(&self.prefix)
        } else {
            String::new()
        };
        let mut invocation = redis::cmd("EVAL");
        invocation
            .arg(SET_IF_EXISTS)
            .arg(1)
            .arg(self.key(id))
            .arg(field)
            .arg(value)
            .arg(channel)
            .arg(id);
        let found: i64 = self.run(&invocation).await?;
        Ok(found == 1)
    }
}

fn parse(id: &str, fields: &std::collections::HashMap<String, String>) -> Option<ApiKeyRecord> {
    let number = |name: &str| {
        fields
            .get(name)
            .filter(|v| !v.is_empty())
            .and_then(|v| v.parse().ok())
    };
    Some(ApiKeyRecord {
        id: id.to_owned(),
        subject: fields.get("subject")?.clone(),
        permissions: fields
            .get("permissions")?
            .split(' ')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        expires_at: number("expires_at"),
        revoked: fields.get("revoked")? == "1",
        created_at: number("created_at")?,
        last_used_at: number("last_used_at"),
        secret_sha256: fields.get("secret_sha256")?.clone(),
        tenant: fields.get("tenant").filter(|t| !t.is_empty()).cloned(),
        issued_by: fields
            .get("issued_by")
            .filter(|by| !by.is_empty())
            .map(|by| crate::api_key::IssuedBy {
                subject: by.clone(),
                issuer: fields
                    .get("issued_by_issuer")
                    .filter(|i| !i.is_empty())
                    .cloned(),
            }),
    })
}

impl ApiKeyStore for RedisApiKeyStore {
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, StoreError>> {
        Box::pin(async move {
            if self.push {
                push::start(
                    &self.cache,
                    &self.cache.started,
                    &self.connection,
                    &self.prefix,
                    self.timeout,
                );
            }
            let trusted = self.cache.trust.holds();
            if trusted && let Some(record) = read(&self.cache.records).get(id) {
                return Ok(Some(record.clone()));
            }
            let seen = self.cache.invalidations.load(Ordering::Acquire);
            let key = self.key(id);
            let fields: std::collections::HashMap<String, String> =
                self.run(redis::cmd("HGETALL").arg(&key)).await?;
            if fields.is_empty() {
                return Ok(None);
            }
            // A record that does not parse is refused like an unknown key, and reported.
            let record = parse(id, &fields);
            if record.is_none() {
                tracing::error!(target: "authz::audit", event = "api_key", key_id = %id, "malformed record in Redis");
            }
            if let Some(record) = &record
                && trusted
                && self.cache.trust.holds()
            {
                let mut records = write(&self.cache.records);
                // Kept only if no invalidation came while it was read.
                if self.cache.invalidations.load(Ordering::Acquire) == seen {
                    if records.len() >= MAX_CACHED {
                        records.clear();
                    }
                    records.insert(id.to_owned(), record.clone());
                }
            }
            Ok(record)
        })
    }

    fn insert(&self, record: ApiKeyRecord) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let key = self.key(&record.id);
            let optional = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
            let expire_at = record
                .expires_at
                .map(|at| at.saturating_add(EXPIRED_GRACE_SECS));
            let mut invocation = redis::cmd("EVAL");
            invocation
                .arg(INSERT)
                .arg(2)
                .arg(&key)
                .arg(self.subject_key(&record.subject))
                .arg(optional(expire_at))
                .arg(record.created_at)
                .arg(&record.id)
                .arg("subject")
                .arg(&record.subject)
                .arg("permissions")
                .arg(record.permissions.join(" "))
                .arg("expires_at")
                .arg(optional(record.expires_at))
                .arg("revoked")
                .arg(if record.revoked { "1" } else { "0" })
                .arg("created_at")
                .arg(record.created_at)
                .arg("last_used_at")
                .arg(optional(record.last_used_at))
                .arg("secret_sha256")
                .arg(&record.secret_sha256)
                .arg("tenant")
                .arg(record.tenant.as_deref().unwrap_or(""))
                .arg("issued_by")
                .arg(
                    record
                        .issued_by
                        .as_ref()
                        .map_or("", |by| by.subject.as_str()),
                )
                .arg("issued_by_issuer")
                .arg(
                    record
                        .issued_by
                        .as_ref()
                        .and_then(|by| by.issuer.as_deref())
                        .unwrap_or(""),
                );
            let inserted: i64 = self.run(&invocation).await?;
            if inserted == 1 {
                Ok(())
            } else {
                Err(StoreError::new("duplicate id"))
            }
        })
    }

    fn revoke<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let found = self
                .set_if_exists(id, "revoked", "1".to_owned(), true)
                .await?;
            // This instance forgets its copy at once, before its push comes back.
            self.cache.forget([id]);
            Ok(found)
        })
    }

    fn touch<'a>(&'a self, id: &'a str, at: u64) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.set_if_exists(id, "last_used_at", at.to_string(), false)
                .await
                .map(drop)
        })
    }

    fn revoke_subject<'a>(
        &'a self,
        subject: &'a str,
        before: u64,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async move {
            let mut invocation = redis::cmd("EVAL");
            invocation
                .arg(REVOKE_SUBJECT)
                .arg(1)
                .arg(self.subject_key(subject))
                .arg(&*self.prefix)
                .arg(before)
                .arg(push::channel(&self.prefix));
            let count = self.run(&invocation).await?;
            // This instance's copies of the subject's keys go at once (all of them: simpler
            // than finding the subject's, and rare).
            self.cache.forget_all();
            Ok(count)
        })
    }
}
