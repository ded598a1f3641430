//! [`RedisRevocationBuilder`]: the settings of a [`RedisRevocation`], checked once.

use core::fmt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::staleness::Cache;
use super::{
    DEFAULT_PUSH_CAPACITY, DEFAULT_REDIS_PREFIX, Inner, MAX_CACHE_STALENESS, Outage,
    RedisRevocation,
};
use crate::store::keys::KINDS;
use crate::store::mirror::Mirror;
use crate::store::{RedisConfigError, Settings};
use crate::token::DEFAULT_LEEWAY;

/// Builds a [`RedisRevocation`]. Defaults: prefix [`DEFAULT_REDIS_PREFIX`], leeway
/// [`DEFAULT_LEEWAY`], timeout [`DEFAULT_REDIS_TIMEOUT`](crate::store::DEFAULT_REDIS_TIMEOUT), no cache, fail closed.
pub struct RedisRevocationBuilder {
    settings: Settings,
    push: bool,
    push_capacity: usize,
    leeway: Duration,
    cache: Option<(Duration, usize)>,
    clock: crate::token::Clock,
    fail_open: bool,
}

impl fmt::Debug for RedisRevocationBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRevocationBuilder")
            .field("settings", &self.settings)
            .field("push", &self.push)
            .field("push_capacity", &self.push_capacity)
            .field("leeway", &self.leeway)
            .field("cache", &self.cache)
            .field("fail_open", &self.fail_open)
            .finish()
    }
}

impl RedisRevocationBuilder {
    crate::store::settings_methods!(
        prefix = "Keys start with this prefix (default [`DEFAULT_REDIS_PREFIX`]). Services that must not share revocations use different prefixes.",
        timeout = "The time allowed to connect and, separately, to get each answer (default 1 s). A check that takes longer fails (closed)."
    );

    /// The validator's leeway (default [`DEFAULT_LEEWAY`], the validator's default; give the
    /// same value). `jti` entries live this long past the token's `exp`, since the validator
    /// accepts a token until `exp` plus its leeway; subject entries twice this long past
    /// `until` (see [`RedisRevocation::revoke_subject`]).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Opt in to the *staleness cache*: what Redis answered, reused for at most `staleness`
    /// (at most [`MAX_CACHE_STALENESS`]) and `capacity` keys. Off by default, and only with
    /// [`push(false)`](Self::push) (with the push copy on, `build` refuses it with
    /// [`RedisConfigError::CacheWithPush`]).
    ///
    /// Why it is kept beside the push copy, which serves a check from memory with a staleness
    /// of 250 ms plus the timeout: some deployments cannot have the copy. A Redis proxy or
    /// managed service that refuses `SUBSCRIBE` and `PUBLISH` (by ACL, or because the proxy
    /// does not forward pub/sub), or an instance that cannot spend about 100 bytes of memory
    /// per revoked token, runs with `push(false)`, and there every check is a round trip; this
    /// cache is the only way to trade a bounded staleness for fewer of them. With the push copy
    /// on, it would widen the copy's bound while the channel is down, so the two do not mix.
    ///
    /// The staleness bound is the price: a token revoked through another instance is still
    /// accepted here for up to `staleness` after the revocation, if this instance read its keys
    /// just before. Revocations made through this instance take effect here at once. Failures
    /// are never cached. When the cache is full, stale entries are dropped, then all of them.
    pub fn cache(mut self, staleness: Duration, capacity: usize) -> Self {
        self.cache = Some((staleness, capacity));
        self
    }

    /// **Accepts tokens whose revocation status cannot be checked** while Redis is
    /// unreachable, instead of refusing them with 503: revoked tokens work again during an
    /// outage. A `tracing` error is still logged. Off by default; choose it only if availability
    /// matters more than logging a stolen token out.
    pub fn insecure_fail_open(mut self) -> Self {
        self.fail_open = true;
        self
    }

    /// Reads the staleness cache's time from `clock` (default the system's): tests give a
    /// [`Clock::manual`](crate::token::Clock::manual) and advance it past the bound instead of
    /// sleeping.
    #[must_use]
    pub fn clock(mut self, clock: crate::token::Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Whether checks read a copy of every entry in memory, kept current by pushes (the
    /// default, `true`), or ask Redis with one `MGET` per check (`false`). See [the push
    /// channel](RedisRevocation#push).
    pub fn push(mut self, push: bool) -> Self {
        self.push = push;
        self
    }

    /// The most entries the copy in memory holds (default [`DEFAULT_PUSH_CAPACITY`], about
    /// 100 MB). Past it the copy stops being trusted: checks ask Redis per request, an error
    /// is logged, and a full load is tried again every 30 s. Redis decides what the copy holds
    /// (a pushed message is only a hint the instance reads back), so only entries really
    /// stored count.
    pub fn push_capacity(mut self, entries: usize) -> Self {
        self.push_capacity = entries;
        self
    }

    /// Checks the settings. Does not connect: the first check does.
    pub fn build(self) -> Result<RedisRevocation, RedisConfigError> {
        if self.push_capacity == 0 {
            return Err(RedisConfigError::PushCapacity);
        }
        let timeout = self.settings.timeout;
        let (connection, prefix) = self.settings.open()?;
        let cache = match self.cache {
            None => None,
            Some(_) if self.push => return Err(RedisConfigError::CacheWithPush),
            Some((staleness, _)) if staleness.is_zero() || staleness > MAX_CACHE_STALENESS => {
                return Err(RedisConfigError::CacheStaleness(staleness));
            }
            Some((_, 0)) => return Err(RedisConfigError::CacheCapacity),
            Some((staleness, capacity)) => Some(Cache {
                staleness,
                capacity,
                entries: Mutex::new(HashMap::new()),
                clock: self.clock.clone(),
            }),
        };
        Ok(RedisRevocation {
            inner: Arc::new(Inner {
                connection: Arc::new(connection),
                mirror: Arc::new(Mirror::new(&prefix, KINDS, self.push_capacity)),
                push: self.push,
                timeout,
                prefix,
                leeway: self.leeway.as_secs(),
                fail_open: self.fail_open,
                cache,
                outage: Mutex::new(Outage::default()),
            }),
        })
    }
}

impl RedisRevocation {
    /// A builder for the server at `url` (`redis://host:port/db`, with
    /// `redis://user:password@…` for ACLs).
    pub fn builder(url: impl Into<String>) -> RedisRevocationBuilder {
        RedisRevocationBuilder {
            settings: Settings::new(url.into(), DEFAULT_REDIS_PREFIX),
            push: true,
            push_capacity: DEFAULT_PUSH_CAPACITY,
            leeway: DEFAULT_LEEWAY,
            cache: None,
            clock: crate::token::Clock::system(),
            fail_open: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_is_not_shown() {
        let b = RedisRevocation::builder("redis://user:hunter2@127.0.0.1:1/");
        assert!(!format!("{b:?}").contains("hunter2"));
        let r = b.build().unwrap();
        assert!(!format!("{r:?}").contains("hunter2"));
        let err = RedisRevocation::builder("http://user:hunter2@x/")
            .build()
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn bad_settings_are_refused() {
        let b = || RedisRevocation::builder("redis://127.0.0.1:1/");
        assert!(matches!(
            b().push(false).cache(Duration::from_secs(31), 10).build(),
            Err(RedisConfigError::CacheStaleness(_))
        ));
        assert!(matches!(
            b().push(false).cache(Duration::ZERO, 10).build(),
            Err(RedisConfigError::CacheStaleness(_))
        ));
        assert!(matches!(
            b().push(false).cache(Duration::from_secs(1), 0).build(),
            Err(RedisConfigError::CacheCapacity)
        ));
        assert!(matches!(
            b().prefix("").build(),
            Err(RedisConfigError::Prefix)
        ));
        assert!(matches!(
            b().timeout(Duration::ZERO).build(),
            Err(RedisConfigError::Timeout)
        ));
        assert!(matches!(
            b().push_capacity(0).build(),
            Err(RedisConfigError::PushCapacity)
        ));
        assert!(matches!(
            b().cache(MAX_CACHE_STALENESS, 1).build(),
            Err(RedisConfigError::CacheWithPush)
        ));
        assert!(
            b().push(false)
                .cache(MAX_CACHE_STALENESS, 1)
                .build()
                .is_ok()
        );
    }
}
