//! API key records on Redis (features `api-keys` and `redis`): the same server that shares
//! revocations, so every instance sees a key the moment it is issued or revoked.
//!
//! ```
//! use authz_core::{ApiKeys, RedisApiKeyStore};
//! # authz_core::policy! { /// P
//! # pub mod reports { permissions { /// r
//! # "reports:read", } } }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // Nothing listens on port 1: issuing and verifying fail (closed), nothing panics.
//! let keys = ApiKeys::new(RedisApiKeyStore::new("redis://127.0.0.1:1/", "k:").unwrap(), "rpt").unwrap();
//! assert!(keys.issue::<reports::Policy>("bot", ["reports:read"], None).await.is_err());
//! # });
//! ```
//!
//! A key is a hash at `<prefix><id>` with the fields of [`ApiKeyRecord`]; only the secret's
//! SHA-256 is stored. A key with an expiry gets a Redis TTL one day past it, so expired keys
//! leave the store by themselves. Each subject has a set of its key ids at
//! `<prefix>sub:<SHA-256 of the subject>` (for [`ApiKeyStore::revoke_subject`]), which lives as
//! long as its longest-lived key. Each operation is one round trip (a command or a Lua script).
//! Revoking a subject's keys touches keys its script computes, so it needs a standalone Redis
//! (or one cluster slot per prefix), as the rest of the store assumes.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client};

use crate::api_key::{ApiKeyRecord, ApiKeyStore, StoreError};
use crate::token::BoxFuture;

/// Time to connect and to get an answer.
const TIMEOUT: Duration = Duration::from_secs(1);
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

/// `KEYS[1]` a subject's set of ids; `ARGV[1]` the record key prefix, `ARGV[2]` the cut-off.
/// Marks revoked the records created before it; drops ids whose record is gone; the count.
const REVOKE_SUBJECT: &str = r"
local count = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. id
  local created = redis.call('HGET', key, 'created_at')
  if not created then
    redis.call('SREM', KEYS[1], id)
  elseif tonumber(created) < tonumber(ARGV[2]) and redis.call('HGET', key, 'revoked') ~= '1' then
    redis.call('HSET', key, 'revoked', '1')
    count = count + 1
  end
end
return count
";

const SET_IF_EXISTS: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
";

/// API key records on Redis.
pub struct RedisApiKeyStore {
    client: Client,
    config: AsyncConnectionConfig,
    prefix: String,
    connection: Mutex<Option<MultiplexedConnection>>,
}

impl fmt::Debug for RedisApiKeyStore {
    /// The URL may hold a password: it is not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisApiKeyStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisApiKeyStore {
    /// A store on the Redis at `url`, keys named `<prefix><id>`. Connects on first use.
    pub fn new(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = Client::open(url)
            .map_err(|e| StoreError(format!("invalid Redis URL ({:?})", e.kind())))?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT));
        Ok(Self {
            client,
            config,
            prefix: prefix.to_owned(),
            connection: Mutex::new(None),
        })
    }

    fn key(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }

    /// The set of a subject's key ids. Hashed, so any subject makes a key of one length; `s`
    /// is not a hex digit, so it never names a record.
    fn subject_key(&self, subject: &str) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(subject.as_bytes());
        let mut key = format!("{}sub:", self.prefix);
        for byte in digest {
            use fmt::Write as _;
            let _ = write!(key, "{byte:02x}");
        }
        key
    }

    async fn connection(&self) -> Result<MultiplexedConnection, StoreError> {
        if let Some(connection) = self.lock().clone() {
            return Ok(connection);
        }
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await
            .map_err(|e| StoreError(format!("Redis unreachable ({:?})", e.kind())))?;
        *self.lock() = Some(connection.clone());
        Ok(connection)
    }

    /// Runs a command; on failure forgets the connection so the next call reconnects.
    async fn run<T: redis::FromRedisValue>(
        &self,
        call: impl AsyncFnOnce(&mut MultiplexedConnection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection().await?;
        match call(&mut connection).await {
            Ok(value) => Ok(value),
            Err(e) => {
                *self.lock() = None;
                Err(StoreError(format!("Redis command failed ({:?})", e.kind())))
            }
        }
    }

    /// Sets one field of an existing record (never creates a partial one); whether it existed.
    async fn set_if_exists(
        &self,
        id: &str,
        field: &str,
        value: String,
    ) -> Result<bool, StoreError> {
        let mut invocation = redis::cmd("EVAL");
        invocation
            .arg(SET_IF_EXISTS)
            .arg(1)
            .arg(self.key(id))
            .arg(field)
            .arg(value);
        let found: i64 = self.run(async |c| invocation.query_async(c).await).await?;
        Ok(found == 1)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<MultiplexedConnection>> {
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
    })
}

impl ApiKeyStore for RedisApiKeyStore {
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, StoreError>> {
        Box::pin(async move {
            let key = self.key(id);
            let fields: std::collections::HashMap<String, String> = self
                .run(async |c| redis::cmd("HGETALL").arg(&key).query_async(c).await)
                .await?;
            if fields.is_empty() {
                return Ok(None);
            }
            // A record that does not parse is refused like an unknown key, and reported.
            let record = parse(id, &fields);
            if record.is_none() {
                tracing::error!(target: "authz::audit", event = "api_key", key_id = %id, "malformed record in Redis");
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
                .arg(&record.secret_sha256);
            let inserted: i64 = self.run(async |c| invocation.query_async(c).await).await?;
            if inserted == 1 {
                Ok(())
            } else {
                Err(StoreError("duplicate id".into()))
            }
        })
    }

    fn revoke<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(self.set_if_exists(id, "revoked", "1".to_owned()))
    }

    fn touch<'a>(&'a self, id: &'a str, at: u64) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.set_if_exists(id, "last_used_at", at.to_string())
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
                .arg(&self.prefix)
                .arg(before);
            self.run(async |c| invocation.query_async(c).await).await
        })
    }
}
