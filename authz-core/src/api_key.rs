//! API keys for machine clients, ending in the same [`Authenticated`](crate::Authenticated)
//! caller, permission set and proofs as a JWT.
//!
//! ```
//! use authz_core::{ApiKeys, Authenticated, InMemoryApiKeyStore};
//! # authz_core::policy! { /// P
//! # pub mod reports { permissions { /// r
//! # "reports:read", /// w
//! # "reports:write", } } }
//! # #[derive(serde::Deserialize, authz_core::Claims)] struct Token { sub: String }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "rpt").unwrap();
//!
//! // Shown once; only its hash is stored.
//! let issued = keys.issue::<reports::Policy>("ci-bot", ["reports:read"], None).await.unwrap();
//! assert!(issued.raw().starts_with(&format!("rpt_{}_", issued.id())));
//!
//! let verified = keys.verify(issued.raw()).await.unwrap();
//! let caller = Authenticated::<reports::Policy, Token>::from_api_key(verified);
//! assert_eq!(caller.subject(), Some("ci-bot"));
//! assert!(caller.require::<reports::perm::ReportsRead>().is_ok());
//! assert!(caller.require::<reports::perm::ReportsWrite>().is_err());
//!
//! // Unknown permission names are refused at issuance, with the known ones listed.
//! let err = keys.issue::<reports::Policy>("x", ["reports:reed"], None).await.unwrap_err();
//! assert!(err.to_string().contains("reports:read, reports:write"));
//!
//! keys.revoke(issued.id()).await.unwrap();
//! assert!(keys.verify(issued.raw()).await.is_err());
//! # });
//! ```
//!
//! # Format
//!
//! `<prefix>_<id>_<secret>`: the prefix is the application's (lowercase letters and digits, so
//! secret scanners can be taught it), the id is 16 hex digits (64 random bits, public, the
//! store's lookup key), the secret is 32 bytes from the operating system's CSPRNG in unpadded
//! base64url (43 characters).
//!
//! # Storage
//!
//! The store keeps SHA-256 of the secret, never the secret. A plain hash suffices because the
//! secret has 256 bits of entropy: no dictionary or brute force reaches it, so a slow or peppered
//! hash would add cost without adding security (unlike passwords). A stolen store yields no
//! usable key. Verification compares hashes in constant time (`subtle`).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::policy::{Permission, Policy};
use crate::token::{BoxFuture, ErrorCategory};

const ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 32;
const SECRET_LEN: usize = 43; // unpadded base64url of 32 bytes
const MAX_PREFIX_LEN: usize = 16;
/// How fresh `last_used_at` is kept.
const LAST_USE_RESOLUTION_SECS: u64 = 60;

/// What the store keeps of a key: metadata and the hash of its secret.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApiKeyRecord {
    /// The public id.
    pub id: String,
    /// The subject the key acts as.
    pub subject: String,
    /// The permission names it grants (checked against the policy at issuance).
    pub permissions: Vec<String>,
    /// Unix seconds after which the key is refused; `None`: no expiry.
    pub expires_at: Option<u64>,
    /// Whether the key was revoked.
    pub revoked: bool,
    /// Unix seconds of issuance.
    pub created_at: u64,
    /// Unix seconds of the last successful verification, if any, to the minute (it is written
    /// again only when a minute old).
    pub last_used_at: Option<u64>,
    /// SHA-256 of the secret, lowercase hex.
    pub secret_sha256: String,
}

impl fmt::Debug for ApiKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyRecord")
            .field("id", &self.id)
            .field("subject", &self.subject)
            .field("permissions", &self.permissions)
            .field("expires_at", &self.expires_at)
            .field("revoked", &self.revoked)
            .finish_non_exhaustive()
    }
}

/// Where key records live. One lookup by id per verification.
pub trait ApiKeyStore: Send + Sync + 'static {
    /// The record with this id.
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, StoreError>>;
    /// Adds a record; fails if the id exists.
    fn insert(&self, record: ApiKeyRecord) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Marks a key revoked; `false` if there is no such key.
    fn revoke<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool, StoreError>>;
    /// Records a successful use.
    fn touch<'a>(&'a self, id: &'a str, at: u64) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// A store failure: the key could not be checked.
#[derive(Debug, Clone, thiserror::Error)]
#[error("api key store: {0}")]
pub struct StoreError(pub String);

/// Records in process memory.
#[derive(Debug, Default, Clone)]
pub struct InMemoryApiKeyStore {
    records: Arc<RwLock<HashMap<String, ApiKeyRecord>>>,
}

impl InMemoryApiKeyStore {
    /// Every record, for inspection (tests, admin listings).
    pub fn records(&self) -> Vec<ApiKeyRecord> {
        let records = self.records.read().unwrap_or_else(|p| p.into_inner());
        records.values().cloned().collect()
    }
}

impl ApiKeyStore for InMemoryApiKeyStore {
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, StoreError>> {
        let record = self
            .records
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned();
        Box::pin(async move { Ok(record) })
    }

    fn insert(&self, record: ApiKeyRecord) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut records = self.records.write().unwrap_or_else(|p| p.into_inner());
        let result = if records.contains_key(&record.id) {
            Err(StoreError("duplicate id".into()))
        } else {
            records.insert(record.id.clone(), record);
            Ok(())
        };
        Box::pin(async move { result })
    }

    fn revoke<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        let mut records = self.records.write().unwrap_or_else(|p| p.into_inner());
        let found = records.get_mut(id).map(|r| r.revoked = true).is_some();
        Box::pin(async move { Ok(found) })
    }

    fn touch<'a>(&'a self, id: &'a str, at: u64) -> BoxFuture<'a, Result<(), StoreError>> {
        if let Some(record) = self
            .records
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(id)
        {
            record.last_used_at = Some(at);
        }
        Box::pin(async move { Ok(()) })
    }
}

/// A newly issued key. The raw key exists only here: show it once, then drop this value.
pub struct IssuedKey {
    raw: String,
    record: ApiKeyRecord,
}

impl IssuedKey {
    /// The key to hand to the client, `<prefix>_<id>_<secret>`.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The public id.
    pub fn id(&self) -> &str {
        &self.record.id
    }

    /// What was stored.
    pub fn record(&self) -> &ApiKeyRecord {
        &self.record
    }
}

impl fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedKey")
            .field("id", &self.record.id)
            .field("raw", &"[redacted]")
            .finish()
    }
}

/// A key that passed verification: who it acts as and what it may do.
#[derive(Debug, Clone)]
pub struct VerifiedKey {
    pub(crate) id: String,
    pub(crate) subject: String,
    pub(crate) permissions: Vec<String>,
    pub(crate) expires_at: Option<u64>,
}

impl VerifiedKey {
    /// The key's public id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The subject the key acts as.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The permission names it grants.
    pub fn permissions(&self) -> &[String] {
        &self.permissions
    }

    /// When it expires (unix seconds), if ever.
    pub fn expires_at(&self) -> Option<u64> {
        self.expires_at
    }
}

/// Why a key was refused. Each maps to 401 `invalid_token` like a bad JWT, except a store
/// failure (503).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiKeyError {
    /// Not of the form `<prefix>_<id>_<secret>`.
    #[error("the api key is malformed")]
    Malformed,
    /// No key with this id.
    #[error("no api key with id {0}")]
    Unknown(String),
    /// The id exists but the secret does not match.
    #[error("the secret of api key {0} does not match")]
    WrongSecret(String),
    /// The key expired.
    #[error("api key {id} expired at {expires_at}")]
    Expired {
        /// The key id.
        id: String,
        /// When it expired.
        expires_at: u64,
    },
    /// The key was revoked.
    #[error("api key {0} was revoked")]
    Revoked(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiKeyError {
    /// The RFC 6750 category, which decides the HTTP status.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Self::Store(_) => ErrorCategory::Unavailable,
            _ => ErrorCategory::InvalidToken,
        }
    }

    /// A short description safe to send to the client. It never tells which part failed.
    pub fn description(&self) -> &'static str {
        match self {
            Self::Store(_) => "the api key cannot be checked right now",
            _ => "the api key is invalid, expired or revoked",
        }
    }

    /// The key id, if the key had a well-formed one: for audit logs.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Self::Unknown(id) | Self::WrongSecret(id) | Self::Revoked(id) => Some(id),
            Self::Expired { id, .. } => Some(id),
            Self::Malformed | Self::Store(_) => None,
        }
    }
}

/// Why issuance failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// A permission name the policy does not declare.
    #[error("unknown permission `{name}`; the policy declares: {known}")]
    UnknownPermission {
        /// The name asked for (cut to 128 bytes).
        name: String,
        /// The declared names, comma-separated.
        known: String,
    },
    /// The subject is empty or longer than 256 bytes.
    #[error("the subject must be 1 to 256 bytes")]
    BadSubject,
    /// The operating system's random source failed.
    #[error("the random source failed")]
    Random,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A configuration mistake.
#[derive(Debug, thiserror::Error)]
#[error("api key prefix must be 1 to {MAX_PREFIX_LEN} lowercase ASCII letters or digits")]
pub struct BadPrefix;

/// Issues, verifies and revokes API keys against a store.
#[derive(Clone)]
pub struct ApiKeys {
    store: Arc<dyn ApiKeyStore>,
    prefix: Arc<str>,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeys")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl ApiKeys {
    /// Keys with this prefix, kept in `store`.
    pub fn new(store: impl ApiKeyStore, prefix: &str) -> Result<Self, BadPrefix> {
        let valid = !prefix.is_empty()
            && prefix.len() <= MAX_PREFIX_LEN
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !valid {
            return Err(BadPrefix);
        }
        Ok(Self {
            store: Arc::new(store),
            prefix: prefix.into(),
        })
    }

    /// Whether a bearer credential has this key format's prefix (and so is not a JWT).
    pub fn claims_credential(&self, credential: &str) -> bool {
        credential.len() > self.prefix.len()
            && credential.starts_with(&*self.prefix)
            && credential.as_bytes()[self.prefix.len()] == b'_'
    }

    /// Issues a key for `subject` with `permissions` (names of policy `P`), valid for
    /// `expires_in` (or forever). The raw key is in the result and nowhere else.
    pub async fn issue<P: Policy>(
        &self,
        subject: &str,
        permissions: impl IntoIterator<Item = impl AsRef<str>>,
        expires_in: Option<Duration>,
    ) -> Result<IssuedKey, IssueError> {
        if subject.is_empty() || subject.len() > 256 {
            return Err(IssueError::BadSubject);
        }
        let mut names = Vec::new();
        for name in permissions {
            let name = name.as_ref();
            match P::Permission::from_name(name) {
                Some(p) if !names.iter().any(|n: &String| n == p.name()) => {
                    names.push(p.name().to_owned())
                }
                Some(_) => {}
                None => {
                    return Err(IssueError::UnknownPermission {
                        name: name.chars().take(128).collect(),
                        known: P::PERMISSION_NAMES.join(", "),
                    });
                }
            }
        }
        let mut id = [0u8; ID_BYTES];
        let mut secret = [0u8; SECRET_BYTES];
        getrandom::fill(&mut id).map_err(|_| IssueError::Random)?;
        getrandom::fill(&mut secret).map_err(|_| IssueError::Random)?;
        let id = hex(&id);
        let secret = URL_SAFE_NO_PAD.encode(secret);
        let now = unix_now();
        let record = ApiKeyRecord {
            id: id.clone(),
            subject: subject.to_owned(),
            permissions: names,
            expires_at: expires_in.map(|d| now.saturating_add(d.as_secs())),
            revoked: false,
            created_at: now,
            last_used_at: None,
            secret_sha256: hex(&Sha256::digest(secret.as_bytes())),
        };
        self.store.insert(record.clone()).await?;
        Ok(IssuedKey {
            raw: format!("{}_{id}_{secret}", self.prefix),
            record,
        })
    }

    /// Checks a raw key: its form, its id in the store, its secret (hashes compared in
    /// constant time), expiry and revocation. Records the use.
    pub async fn verify(&self, raw: &str) -> Result<VerifiedKey, ApiKeyError> {
        let (id, secret) = self.split(raw).ok_or(ApiKeyError::Malformed)?;
        let record = self
            .store
            .get(id)
            .await?
            .ok_or_else(|| ApiKeyError::Unknown(id.to_owned()))?;
        let presented = hex(&Sha256::digest(secret.as_bytes()));
        if !bool::from(presented.as_bytes().ct_eq(record.secret_sha256.as_bytes())) {
            return Err(ApiKeyError::WrongSecret(record.id));
        }
        if record.revoked {
            return Err(ApiKeyError::Revoked(record.id));
        }
        let now = unix_now();
        if let Some(expires_at) = record.expires_at
            && now >= expires_at
        {
            return Err(ApiKeyError::Expired {
                id: record.id,
                expires_at,
            });
        }
        // Last use is kept to the minute: a write on every request would double the store's
        // round trips on the hot path. A failed bookkeeping write must not refuse a valid key;
        // it is reported instead.
        let stale = record
            .last_used_at
            .is_none_or(|at| now >= at.saturating_add(LAST_USE_RESOLUTION_SECS));
        if stale && let Err(error) = self.store.touch(&record.id, now).await {
            tracing::warn!(target: "authz::audit", event = "api_key", key_id = %record.id, %error, "could not record last use");
        }
        Ok(VerifiedKey {
            id: record.id,
            subject: record.subject,
            permissions: record.permissions,
            expires_at: record.expires_at,
        })
    }

    /// Revokes a key by id; `false` if there is none.
    pub async fn revoke(&self, id: &str) -> Result<bool, StoreError> {
        self.store.revoke(id).await
    }

    /// `(id, secret)` of a well-formed key with this prefix.
    fn split<'a>(&self, raw: &'a str) -> Option<(&'a str, &'a str)> {
        let rest = raw.strip_prefix(&*self.prefix)?.strip_prefix('_')?;
        let (id, secret) = rest.split_at_checked(ID_BYTES * 2)?;
        let secret = secret.strip_prefix('_')?;
        let id_ok = id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let secret_ok = secret.len() == SECRET_LEN
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        (id_ok && secret_ok).then_some((id, secret))
    }
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::policy! {
        /// P
        pub mod p {
            permissions { "a:read", "a:write" }
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn format_and_entropy() {
        let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "azk").unwrap();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let issued = block_on(keys.issue::<p::Policy>("s", ["a:read"], None)).unwrap();
            let raw = issued.raw().to_owned();
            let parts: Vec<&str> = raw.splitn(3, '_').collect();
            assert_eq!(parts[0], "azk");
            assert_eq!(parts[1], issued.id());
            assert_eq!(parts[1].len(), 16);
            let secret = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
            assert_eq!(secret.len(), 32, "256 bits of secret");
            assert!(seen.insert(raw), "keys repeat");
        }
    }

    #[test]
    fn malformed_keys_are_refused_without_a_lookup() {
        let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "azk").unwrap();
        let good = block_on(keys.issue::<p::Policy>("s", ["a:read"], None)).unwrap();
        let raw = good.raw();
        for bad in [
            "",
            "azk",
            "azk_",
            &raw[..raw.len() - 1],
            &format!("{raw}x"),
            &raw.replacen("azk_", "azq_", 1),
            &raw.replacen('_', "-", 1),
            &format!("{}{}", &raw[..20], &raw[21..]),
        ] {
            assert!(block_on(keys.verify(bad)).is_err(), "{bad:?}");
        }
        assert!(block_on(keys.verify(raw)).is_ok());
    }

    #[test]
    fn prefixes_are_checked() {
        assert!(ApiKeys::new(InMemoryApiKeyStore::default(), "").is_err());
        assert!(ApiKeys::new(InMemoryApiKeyStore::default(), "a_b").is_err());
        assert!(ApiKeys::new(InMemoryApiKeyStore::default(), "Upper").is_err());
        let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "k1").unwrap();
        assert!(keys.claims_credential("k1_x"));
        assert!(!keys.claims_credential("k1"));
        assert!(!keys.claims_credential("k10_x"));
        assert!(!keys.claims_credential("eyJhbGciOi.x.y"));
    }

    #[test]
    fn hashes_compare_in_constant_time_and_only_equal_hashes_match() {
        // `ct_eq` is subtle's constant-time comparison; this pins that a one-character
        // difference at the end (the case a timing attack probes) is refused.
        let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "azk").unwrap();
        let good = block_on(keys.issue::<p::Policy>("s", ["a:read"], None)).unwrap();
        let raw = good.raw();
        let last = raw.chars().last().unwrap();
        let flipped = format!(
            "{}{}",
            &raw[..raw.len() - 1],
            if last == 'A' { 'B' } else { 'A' }
        );
        assert!(matches!(
            block_on(keys.verify(&flipped)),
            Err(ApiKeyError::WrongSecret(_))
        ));
    }
}
