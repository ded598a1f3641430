//! Stores shared by every instance of a service, on Redis (feature `redis`):
//! [`RedisRevocation`] (revoked tokens) and, with `api-keys`, [`RedisApiKeyStore`] (API key
//! records). Both are configured the same way (a URL, a key prefix, a timeout, through a
//! builder) and connect the same way: lazily, so building one never blocks; one multiplexed
//! connection shared by every call; a connection that fails is replaced on the next call, after
//! a short backoff so that an unreachable server does not cost every request a connect
//! timeout. A call the store cannot answer fails closed.
//!
//! ```
//! use authz_core::store::{RedisError, RedisRevocation};
//! use authz_core::token::{Revocation, RevocationQuery};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // Nothing listens on port 1: every check fails, and fails closed.
//! let revocations = RedisRevocation::builder("redis://127.0.0.1:1/").build().unwrap();
//! let query = RevocationQuery::new(Some("token-1"), Some("alice"), Some(1), u64::MAX);
//! let error = revocations.check(query).await.unwrap_err();
//! let cause = error.get_ref().downcast_ref::<RedisError>().unwrap();
//! assert!(cause.is_unreachable(), "{cause}");
//! # });
//! ```
//!
//! URLs are `redis://[user:password@]host:port/db` (ACL users included), or with the feature
//! `redis-tls` `rediss://…` (TLS with rustls; the system's roots, or a CA given to the builder
//! with `tls_root_certificate`). Neither Sentinel nor Cluster is supported by these stores: each
//! is one standalone server (or one primary behind a stable address).

#[cfg(feature = "api-keys")]
mod api_keys;
mod keys;
mod mirror;
mod push;
mod revocation;

#[cfg(feature = "api-keys")]
pub use api_keys::{
    DEFAULT_PREFIX as DEFAULT_API_KEY_PREFIX, RedisApiKeyStore, RedisApiKeyStoreBuilder,
};
pub use revocation::{
    DEFAULT_PUSH_CAPACITY, DEFAULT_REDIS_PREFIX, MAX_CACHE_STALENESS, RedisRevocation,
    RedisRevocationBuilder,
};

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Cmd};

use crate::util::lock;

/// The default time allowed to connect, and to get an answer: 1 s.
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_secs(1);
/// After a failed connection attempt, calls fail at once for this long before the next
/// attempt, so that an unreachable server does not cost every request a connect timeout.
const RECONNECT_BACKOFF: Duration = Duration::from_millis(250);
const MAX_PREFIX_LEN: usize = 256;

/// A setting a Redis store's builder refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisConfigError {
    /// The URL does not parse. Only the parser's error kind is kept: the URL may hold a
    /// password.
    #[error("invalid Redis URL ({0})")]
    Url(String),
    /// The revocation cache's staleness is zero or above [`MAX_CACHE_STALENESS`].
    #[error("the revocation cache staleness must be between 1 ms and 30 s, not {0:?}")]
    CacheStaleness(Duration),
    /// The revocation cache's capacity is zero.
    #[error("the revocation cache capacity must be at least 1")]
    CacheCapacity,
    /// The staleness cache was asked for with the push copy on, whose freshness bound it
    /// would widen.
    #[error(
        "the revocation staleness cache works only without the push copy: add push(false), or drop cache(..)"
    )]
    CacheWithPush,
    /// The key prefix is empty or longer than 256 bytes.
    #[error("the Redis key prefix must be 1 to 256 bytes long")]
    Prefix,
    /// The timeout is zero.
    #[error("the Redis timeout must not be zero")]
    Timeout,
    /// The push copy's capacity is zero.
    #[error("the push copy's capacity must be at least 1 (push(false) turns the copy off)")]
    PushCapacity,
}

/// Why a store could not answer. A leaf of an error chain: [`Redis`](Self::Redis) shows the
/// `redis` crate's message (which never holds the URL) and keeps its error in the variant, not
/// as a `source`, so that a chain shows it once (the `redis` crate's own error shows an I/O
/// error's message and returns it as its source too).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisError {
    /// The last connection attempt failed less than the backoff ago.
    #[error("Redis unreachable (next connection attempt shortly)")]
    Backoff,
    /// Connecting or the command failed.
    #[error("Redis: {0}")]
    Redis(redis::RedisError),
    /// Redis answered something the store did not expect.
    #[error("Redis answered unexpectedly: {0}")]
    Unexpected(&'static str),
}

impl From<redis::RedisError> for RedisError {
    fn from(error: redis::RedisError) -> Self {
        Self::Redis(error)
    }
}

impl RedisError {
    /// Whether the server could not be reached or did not answer in time: the connection was
    /// refused, dropped or timed out, the TLS handshake failed (an untrusted certificate, or
    /// plain Redis on a TLS port), or the last attempt failed less than 250 ms ago. `false`
    /// when the server answered, with an error or with something unexpected.
    pub fn is_unreachable(&self) -> bool {
        match self {
            Self::Backoff => true,
            Self::Redis(e) => {
                e.is_io_error()
                    || e.is_connection_refusal()
                    || e.is_timeout()
                    || e.is_connection_dropped()
            }
            Self::Unexpected(_) => false,
        }
    }
}

/// The builder methods of the settings both stores share: `tls_root_certificate` (with
/// `redis-tls`), `prefix` and `timeout`, each documented with what it means for the store.
macro_rules! settings_methods {
    (prefix = $prefix:literal, timeout = $timeout:literal) => {
        /// With `redis-tls`: for a `rediss://` URL, trust this CA (PEM) instead of the system's
        /// roots, as for a Redis whose certificate a private CA signed.
        #[cfg(feature = "redis-tls")]
        pub fn tls_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
            self.settings.root_certificate = Some(pem.into());
            self
        }

        #[doc = $prefix]
        pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
            self.settings.prefix = prefix.into();
            self
        }

        #[doc = $timeout]
        pub fn timeout(mut self, timeout: Duration) -> Self {
            self.settings.timeout = timeout;
            self
        }
    };
}
use settings_methods;

/// The settings both stores share, checked once.
pub(crate) struct Settings {
    pub(crate) url: String,
    pub(crate) prefix: String,
    pub(crate) timeout: Duration,
    /// With `redis-tls`: the CA to trust for `rediss://` instead of the system's roots (PEM).
    #[cfg(feature = "redis-tls")]
    pub(crate) root_certificate: Option<Vec<u8>>,
}

impl Settings {
    pub(crate) fn new(url: String, prefix: &str) -> Self {
        Self {
            url,
            prefix: prefix.to_owned(),
            timeout: DEFAULT_REDIS_TIMEOUT,
            #[cfg(feature = "redis-tls")]
            root_certificate: None,
        }
    }

    /// The connection these settings describe, and the checked prefix.
    pub(crate) fn open(self) -> Result<(Connection, Box<str>), RedisConfigError> {
        // The URL may hold a password: only the parser's error kind is reported.
        let client = self
            .client()
            .map_err(|e| RedisConfigError::Url(format!("{:?}", e.kind())))?;
        if self.prefix.is_empty() || self.prefix.len() > MAX_PREFIX_LEN {
            return Err(RedisConfigError::Prefix);
        }
        if self.timeout.is_zero() {
            return Err(RedisConfigError::Timeout);
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        let connection = Connection {
            client,
            config,
            live: Mutex::new(None),
            generation: AtomicU64::new(0),
            connecting: tokio::sync::Mutex::new(None),
        };
        Ok((connection, self.prefix.into_boxed_str()))
    }
}

impl Settings {
    #[cfg(not(feature = "redis-tls"))]
    fn client(&self) -> redis::RedisResult<Client> {
        Client::open(self.url.as_str())
    }

    #[cfg(feature = "redis-tls")]
    fn client(&self) -> redis::RedisResult<Client> {
        // rustls needs a crypto provider for the process; aws-lc-rs, unless one is set already.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        match &self.root_certificate {
            None => Client::open(self.url.as_str()),
            Some(root) => Client::build_with_tls(
                self.url.as_str(),
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(root.clone()),
                },
            ),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("url", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The one connection strategy of the Redis stores: a multiplexed connection made on first
/// use and shared by every call; dropped when a command on it fails; a new one is made by the
/// next call, unless the last attempt failed less than [`RECONNECT_BACKOFF`] ago.
pub(crate) struct Connection {
    client: Client,
    config: AsyncConnectionConfig,
    /// The live connection and its generation, if any.
    live: Mutex<Option<(u64, MultiplexedConnection)>>,
    generation: AtomicU64,
    /// Serializes connection attempts; holds when the last one failed.
    connecting: tokio::sync::Mutex<Option<Instant>>,
}

impl Connection {
    /// Runs one command. A connection that fails is dropped; if it was an older one (the server
    /// may have restarted since), the command is tried once more on a new connection.
    pub(crate) async fn query<T: redis::FromRedisValue>(&self, cmd: &Cmd) -> Result<T, RedisError> {
        let (generation, mut connection, fresh) = self.connection().await?;
        match cmd.query_async(&mut connection).await {
            Ok(value) => return Ok(value),
            Err(e) => {
                self.forget(generation);
                if fresh {
                    return Err(e.into());
                }
            }
        }
        let (generation, mut connection, _) = self.connection().await?;
        cmd.query_async(&mut connection).await.map_err(|e| {
            self.forget(generation);
            e.into()
        })
    }

    /// Runs a pipeline, as [`query`](Self::query) runs a command.
    pub(crate) async fn query_pipe<T: redis::FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<T, RedisError> {
        let (generation, mut connection, _) = self.connection().await?;
        pipe.query_async(&mut connection).await.map_err(|e| {
            self.forget(generation);
            e.into()
        })
    }

    /// The client, for connections of another kind (the push channel's subscription).
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Whether a connection is live now.
    pub(crate) fn is_connected(&self) -> bool {
        lock(&self.live).is_some()
    }

    /// The live connection, or a new one. `true` when it was made for this call.
    async fn connection(&self) -> Result<(u64, MultiplexedConnection, bool), RedisError> {
        if let Some((generation, connection)) = lock(&self.live).clone() {
            return Ok((generation, connection, false));
        }
        let mut last_failure = self.connecting.lock().await;
        // Another call may have connected while this one waited.
        if let Some((generation, connection)) = lock(&self.live).clone() {
            return Ok((generation, connection, false));
        }
        if last_failure.is_some_and(|at| at.elapsed() < RECONNECT_BACKOFF) {
            return Err(RedisError::Backoff);
        }
        match self
            .client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await
        {
            Ok(connection) => {
                *last_failure = None;
                let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
                *lock(&self.live) = Some((generation, connection.clone()));
                Ok((generation, connection, true))
            }
            Err(e) => {
                *last_failure = Some(Instant::now());
                Err(e.into())
            }
        }
    }

    /// Drops the connection of this generation, if it is still the live one.
    fn forget(&self, generation: u64) {
        let mut live = lock(&self.live);
        if live.as_ref().is_some_and(|(g, _)| *g == generation) {
            *live = None;
        }
    }
}

/// Milliseconds since the Unix epoch, by this host's clock.
pub(crate) fn unix_now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// For the `push_message` fuzz target, not an API: the key of the revocation entry a
/// [`RedisRevocation`] with prefix `prefix` reads back from Redis when pushed `payload`.
#[doc(hidden)]
#[cfg(feature = "test-util")]
pub fn __push_message_key(prefix: &str, payload: &[u8]) -> Option<String> {
    mirror::hinted_entry(prefix, keys::KINDS, payload)
}
