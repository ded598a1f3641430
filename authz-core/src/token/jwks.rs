//! Remote JWKS with caching, rotation, cooldown, single-flight and stale-if-error; OIDC
//! discovery.

use core::fmt;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::Clock;

use reqwest::Url;
use serde::Deserialize;

use super::algorithm::Algorithm;
use super::cache::Digest32;
use super::error::{ConfigError, FetchError, TokenError};
use super::keys::{JwksOrigin, KeySet, parse_jwks};

/// Tuning of a remote key set. The defaults follow the established implementations:
///
/// | setting | default | why |
/// |---|---|---|
/// | `cache_ttl` | 10 min | jose `createRemoteJWKSet` `cacheMaxAge` and Envoy `jwt_authn` `cache_duration` both use 600 s; rotation is also picked up at once through the unknown-`kid` refetch |
/// | `refetch_cooldown` | 30 s | jose `cooldownDuration`; Microsoft.IdentityModel waits 5 min (`RefreshInterval`), which delays a rotation too long, Envoy does not refetch on an unknown kid at all |
/// | `timeout` | 5 s | jose `timeoutDuration`; a JWKS is small, and a request waiting on a miss should fail soon |
/// | `connect_timeout` | 2 s | within `timeout`, so that an unreachable host fails fast |
/// | `max_response_bytes` | 256 KiB | real JWKS documents are a few KiB; bounds memory against a hostile or broken endpoint |
/// | `stale_if_error` | 1 h | Microsoft.IdentityModel's `LastKnownGoodLifetime` (1 h): while refreshes fail, the last key set fetched keeps verifying for this long after `cache_ttl`, and then no longer, so a key the issuer withdrew cannot stay trusted for as long as its endpoint is down |
///
/// A key set that was fetched and read is authoritative, even when it holds no usable key
/// (`{"keys": []}`, or only `use: enc` keys): the keys it no longer lists stop verifying at once.
/// Only a failed fetch (network, HTTP status, a body that is not a JWKS) keeps the previous keys,
/// and only for `stale_if_error`.
///
/// ```
/// use std::time::Duration;
/// let config = authz_core::token::RemoteConfig {
///     refetch_cooldown: Duration::from_secs(60),
///     ..Default::default()
/// };
/// assert_eq!(config.cache_ttl, Duration::from_secs(600));
/// ```
#[derive(Clone, Debug)]
pub struct RemoteConfig {
    /// How long a fetched key set is used before it is refetched.
    pub cache_ttl: Duration,
    /// The least time between two fetches (refetch on an unknown `kid`, retry after a failure).
    pub refetch_cooldown: Duration,
    /// Total time for one HTTP request.
    pub timeout: Duration,
    /// Time to connect.
    pub connect_timeout: Duration,
    /// The largest response body read.
    pub max_response_bytes: usize,
    /// Allows `http://` to hosts that are not loopback.
    pub allow_insecure_http: bool,
    /// How long after `cache_ttl` the last fetched key set is still used while refreshes
    /// fail. Past `cache_ttl + stale_if_error` without a successful fetch, tokens are refused
    /// as unavailable (503) rather than verified with keys that may have been withdrawn.
    pub stale_if_error: Duration,
}

impl Default for RemoteConfig {
    fn default() -> Self {
        Self {
            cache_ttl: Duration::from_secs(600),
            refetch_cooldown: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            max_response_bytes: 256 * 1024,
            allow_insecure_http: false,
            stale_if_error: Duration::from_secs(3600),
        }
    }
}

pub(crate) enum RemoteSpec {
    Jwks(String),
    Discovery(String),
}

enum Source {
    Jwks(Url),
    Discovery { issuer: String, config_url: Url },
}

/// What readers see: swapped whole under a write lock held only for the pointer swap.
struct Snapshot {
    keys: Option<Arc<KeySet>>,
    /// A reading of the validator's monotonic clock.
    fetched_at: Option<Duration>,
    generation: u64,
}

struct FetchState {
    last_attempt: Option<Duration>,
}

pub(crate) struct RemoteJwks {
    source: Source,
    client: reqwest::Client,
    config: RemoteConfig,
    clock: Clock,
    current: RwLock<Arc<Snapshot>>,
    // Held for the whole fetch: concurrent misses queue here and then find the fresh keys.
    fetch: tokio::sync::Mutex<FetchState>,
}

impl fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = match &self.source {
            Source::Jwks(url) => url,
            Source::Discovery { config_url, .. } => config_url,
        };
        let snapshot = self.snapshot();
        f.debug_struct("RemoteJwks")
            .field("url", &Redacted(url))
            .field("keys", &snapshot.keys)
            .field("config", &self.config)
            .finish()
    }
}

/// Shows a URL without what may be a secret in it: the user name and password
/// (`https://user:password@host/...`) and the query string. Every URL this module prints goes
/// through it: error text (which reaches the audit `reason`), `Debug`, log events.
struct Redacted<'u>(&'u Url);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.0;
        f.write_str(url.scheme())?;
        f.write_str("://")?;
        if !url.username().is_empty() || url.password().is_some() {
            f.write_str("[redacted]@")?;
        }
        if let Some(host) = url.host_str() {
            f.write_str(host)?;
        }
        if let Some(port) = url.port() {
            write!(f, ":{port}")?;
        }
        f.write_str(url.path())?;
        if url.query().is_some() {
            f.write_str("?[redacted]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// A URL as authz prints it: user name, password and query string replaced by `[redacted]`.
/// For an application's own log lines about the URLs it configured (`AUTHZ_JWKS_URL`, say).
/// Text that is not a URL is replaced whole.
///
/// ```
/// assert_eq!(
///     authz_core::token::redact_url("https://svc:hunter2@id.example/jwks?key=abc"),
///     "https://[redacted]@id.example/jwks?[redacted]",
/// );
/// assert_eq!(authz_core::token::redact_url("https://id.example/jwks"), "https://id.example/jwks");
/// assert_eq!(authz_core::token::redact_url("not a url"), "[not a URL]");
/// ```
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(url) => Redacted(&url).to_string(),
        Err(_) => "[not a URL]".to_owned(),
    }
}

fn check_url(raw: &str, allow_http: bool) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("invalid URL: {e}"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" => {
            let host = url.host_str().unwrap_or("");
            let bare = host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(host);
            let loopback = bare.eq_ignore_ascii_case("localhost")
                || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if loopback || allow_http {
                Ok(url)
            } else {
                Err(format!(
                    "plain http:// to the non-loopback host {:?} is refused; use https:// or \
                     allow_insecure_http()",
                    url.host_str().unwrap_or("")
                ))
            }
        }
        other => Err(format!("unsupported URL scheme {other:?}")),
    }
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

impl RemoteJwks {
    pub(crate) fn new(
        spec: RemoteSpec,
        config: RemoteConfig,
        clock: Clock,
    ) -> Result<Self, ConfigError> {
        if config.refetch_cooldown.is_zero() {
            return Err(ConfigError::Limit("the refetch cooldown must not be zero"));
        }
        if config.max_response_bytes == 0 || config.timeout.is_zero() {
            return Err(ConfigError::Limit("remote key set limits must not be zero"));
        }
        let allow = config.allow_insecure_http;
        let source = match spec {
            RemoteSpec::Jwks(url) => {
                Source::Jwks(check_url(&url, allow).map_err(ConfigError::Url)?)
            }
            RemoteSpec::Discovery(issuer) => {
                let base = issuer.strip_suffix('/').unwrap_or(&issuer);
                let config_url =
                    check_url(&format!("{base}/.well-known/openid-configuration"), allow)
                        .map_err(ConfigError::Url)?;
                Source::Discovery { issuer, config_url }
            }
        };
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            // A redirect could lead to plain http or to another host; JWKS and discovery
            // endpoints are fixed URLs.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("authz-core/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
        Ok(Self {
            source,
            client,
            config,
            clock,
            current: RwLock::new(Arc::new(Snapshot {
                keys: None,
                fetched_at: None,
                generation: 0,
            })),
            fetch: tokio::sync::Mutex::new(FetchState { last_attempt: None }),
        })
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&crate::util::read(&self.current))
    }

    fn install(&self, keys: KeySet, generation: u64) {
        let next = Arc::new(Snapshot {
            keys: Some(Arc::new(keys)),
            fetched_at: Some(self.clock.monotonic()),
            generation,
        });
        *crate::util::write(&self.current) = next;
    }

    /// How long ago the monotonic reading `then` was.
    fn elapsed(&self, then: Duration) -> Duration {
        self.clock.monotonic().saturating_sub(then)
    }

    fn cooling_down(&self, state: &FetchState) -> bool {
        state
            .last_attempt
            .is_some_and(|t| self.elapsed(t) < self.config.refetch_cooldown)
    }

    /// The keys of `snapshot`, unless they are past `cache_ttl + stale_if_error` (then a
    /// withdrawn key could be among them, and no keys is the safe answer).
    fn usable<'s>(&self, snapshot: &'s Snapshot) -> Option<&'s Arc<KeySet>> {
        let fetched_at = snapshot.fetched_at?;
        let limit = self
            .config
            .cache_ttl
            .saturating_add(self.config.stale_if_error);
        (self.elapsed(fetched_at) < limit)
            .then_some(snapshot.keys.as_ref())
            .flatten()
    }

    /// The key set to verify a token with this `kid` and `alg`.
    pub(crate) async fn keys_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<KeySet>, TokenError> {
        match self.keys_now(kid, alg) {
            Some(keys) => Ok(keys),
            // Keys stale, missing, or without this kid. Boxed, so that the future of every
            // request, which holds this one, is not as large as a fetch's.
            None => Box::pin(self.refresh_for(kid, alg)).await,
        }
    }

    /// The key set for this `kid` and `alg` without waiting: what every request but a few a
    /// refresh period gets, fresh keys that have a candidate, with one clock reading (fresh
    /// keys are usable: `cache_ttl` is within the usable bound). `None` sends
    /// [`keys_for`](Self::keys_for) to refresh them.
    pub(crate) fn keys_now(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<KeySet>> {
        let seen = self.snapshot();
        let keys = self.fresh(&seen)?;
        keys.has_candidate(kid, alg).then(|| Arc::clone(keys))
    }

    /// The fingerprint of the key fresh keys select for this `kid` and `alg`, without waiting:
    /// what a verified-token cache hit compares with the key its entry was verified under.
    /// `None` exactly when [`keys_now`](Self::keys_now) answers `None` (a refresh is due);
    /// `Some(None)` when the keys have candidates but select none. One selection, where
    /// `keys_now` and a selection in the set it answers would make two.
    pub(crate) fn key_now(&self, kid: Option<&str>, alg: Algorithm) -> Option<Option<Digest32>> {
        let seen = self.snapshot();
        match self.fresh(&seen)?.select(kid, alg) {
            Ok(key) => Some(Some(*key.fingerprint())),
            Err(TokenError::UnknownKey { .. }) => None,
            Err(_) => Some(None),
        }
    }

    /// The keys of `seen` while they are fresh (younger than `cache_ttl`).
    fn fresh<'s>(&self, seen: &'s Snapshot) -> Option<&'s Arc<KeySet>> {
        let fetched_at = seen.fetched_at?;
        (self.elapsed(fetched_at) < self.config.cache_ttl)
            .then_some(seen.keys.as_ref())
            .flatten()
    }

    /// [`keys_for`](Self::keys_for) when [`keys_now`](Self::keys_now) did not answer.
    async fn refresh_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<KeySet>, TokenError> {
        let mut seen = self.snapshot();
        let stale = seen
            .fetched_at
            .is_some_and(|t| self.elapsed(t) >= self.config.cache_ttl);
        if stale {
            // One request refreshes; the others go on with the keys they have.
            if let Ok(mut state) = self.fetch.try_lock()
                && !self.cooling_down(&state)
                && self.snapshot().generation == seen.generation
            {
                // On failure the known keys stay, within `stale_if_error`; it is reported
                // inside.
                let _ = self.fetch_and_install(&mut state, seen.generation).await;
                seen = self.snapshot();
            }
        }
        if let Some(keys) = self.usable(&seen)
            && keys.has_candidate(kid, alg)
        {
            return Ok(Arc::clone(keys));
        }

        // A miss: no keys yet, keys too old, or an unknown kid. Single flight, rate-limited.
        let mut state = self.fetch.lock().await;
        let now = self.snapshot();
        if now.generation != seen.generation
            && let Some(keys) = self.usable(&now)
            && keys.has_candidate(kid, alg)
        {
            return Ok(Arc::clone(keys));
        }
        let unavailable = |reason: FetchError| match self.usable(&now) {
            Some(keys) => Ok(Arc::clone(keys)),
            None => Err(TokenError::KeysUnavailable(reason)),
        };
        if self.cooling_down(&state) {
            return unavailable(FetchError::CoolingDown);
        }
        match self.fetch_and_install(&mut state, now.generation).await {
            Ok(keys) => Ok(keys),
            Err(reason) => unavailable(reason),
        }
    }

    pub(crate) async fn refresh_now(&self) -> Result<usize, TokenError> {
        let mut state = self.fetch.lock().await;
        let generation = self.snapshot().generation;
        self.fetch_and_install(&mut state, generation)
            .await
            .map(|keys| keys.len())
            .map_err(TokenError::KeysUnavailable)
    }

    /// Fetches, and on success installs, a new key set. Failures are reported through
    /// `tracing` and leave the known keys in place (stale-if-error).
    async fn fetch_and_install(
        &self,
        state: &mut FetchState,
        generation: u64,
    ) -> Result<Arc<KeySet>, FetchError> {
        state.last_attempt = Some(self.clock.monotonic());
        match self.fetch_keys().await {
            Ok(keys) => {
                let count = keys.len();
                self.install(keys, generation.wrapping_add(1));
                tracing::debug!(keys = count, "authz: JWKS fetched");
                // `install` just put them there, and only `install` writes.
                Ok(self
                    .snapshot()
                    .keys
                    .clone()
                    .unwrap_or_else(|| Arc::new(KeySet::new(Vec::new()))))
            }
            Err(reason) => {
                let known = self.snapshot().keys.as_ref().map_or(0, |k| k.len());
                tracing::warn!(
                    error = %reason,
                    known_keys = known,
                    "authz: JWKS fetch failed; the keys already known stay in use for at most \
                     cache_ttl + stale_if_error after their fetch"
                );
                Err(reason)
            }
        }
    }

    async fn get(&self, url: &Url) -> Result<Vec<u8>, FetchError> {
        let mut response = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| request_error(url, e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: Redacted(url).to_string(),
                status: status.as_u16(),
            });
        }
        let max = self.config.max_response_bytes;
        let too_large = || FetchError::TooLarge {
            url: Redacted(url).to_string(),
            max,
        };
        if response
            .content_length()
            .is_some_and(|len| len > max as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| request_error(url, e))? {
            if body.len() + chunk.len() > max {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    async fn fetch_keys(&self) -> Result<KeySet, FetchError> {
        let jwks_url = match &self.source {
            Source::Jwks(url) => url.clone(),
            Source::Discovery { issuer, config_url } => {
                let body = self.get(config_url).await?;
                let shown = Redacted(config_url);
                let doc: Discovery =
                    serde_json::from_slice(&body).map_err(|e| FetchError::NotDiscovery {
                        url: shown.to_string(),
                        category: match e.classify() {
                            serde_json::error::Category::Io => "Io",
                            serde_json::error::Category::Syntax => "Syntax",
                            serde_json::error::Category::Data => "Data",
                            serde_json::error::Category::Eof => "Eof",
                        },
                        line: e.line(),
                        column: e.column(),
                    })?;
                if doc.issuer != *issuer {
                    return Err(FetchError::IssuerMismatch {
                        url: shown.to_string(),
                        found: doc.issuer.chars().take(200).collect(),
                        expected: issuer.clone(),
                    });
                }
                check_url(&doc.jwks_uri, self.config.allow_insecure_http).map_err(|reason| {
                    FetchError::JwksUri {
                        url: shown.to_string(),
                        reason,
                    }
                })?
            }
        };
        let body = self.get(&jwks_url).await?;
        let shown = Redacted(&jwks_url);
        let parsed = parse_jwks(&body, JwksOrigin::Remote).map_err(|source| FetchError::Keys {
            url: shown.to_string(),
            source,
        })?;
        for (kid, reason) in &parsed.skipped {
            tracing::info!(kid = ?kid, reason = %reason, url = %shown, "authz: JWKS key skipped");
        }
        for kid in &parsed.duplicate_kids {
            tracing::warn!(
                kid = ?kid,
                url = %shown,
                "authz: duplicate kid in JWKS; tokens with this kid are refused unless only one \
                 of the keys fits their alg"
            );
        }
        if parsed.keys.is_empty() {
            // Authoritative all the same: the issuer withdrew every key (after a compromise,
            // say), and tokens signed with the old ones must stop verifying now.
            tracing::warn!(
                url = %shown,
                "authz: the JWKS has no usable signing key; every token is refused until it has"
            );
        }
        Ok(KeySet::new(parsed.keys))
    }
}

/// A failed request. reqwest's errors carry the URL, which may hold credentials: it is removed
/// from the kept error, and ours names the URL redacted.
fn request_error(url: &Url, e: reqwest::Error) -> FetchError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "bad response body"
    } else {
        "request failed"
    };
    FetchError::Request {
        url: Redacted(url).to_string(),
        what,
        source: Box::new(e.without_url()),
    }
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_url("http://127.0.0.1:8080/jwks", false).is_ok());
        assert!(check_url("http://[::1]/jwks", false).is_ok());
        assert!(check_url("http://localhost/jwks", false).is_ok());
        assert!(check_url("https://id.example.com/jwks", false).is_ok());
        assert!(check_url("http://id.example.com/jwks", false).is_err());
        assert!(check_url("http://10.0.0.1/jwks", false).is_err());
        assert!(check_url("http://id.example.com/jwks", true).is_ok());
        assert!(check_url("ftp://127.0.0.1/jwks", true).is_err());
        assert!(check_url("not a url", true).is_err());
    }
}
