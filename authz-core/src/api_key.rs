//! API keys for machine clients, ending in the same [`Authenticated`]
//! caller, permission set and proofs as a JWT.
//!
//! ```
//! use authz_core::{api_key::ApiKeys, Authenticated, api_key::InMemoryApiKeyStore};
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
//!
//! # Issuing for a caller
//!
//! [`ApiKeys::issue_by`] is what a request handler calls: a caller can grant only permissions
//! it holds itself (like a fine-grained personal access token), a key for another subject
//! needs the override requirement the application names (reports-api:
//! `api_keys:manage_any`), and a key issued by an API key expires no later than that key. A
//! key records no issuer: where a validator trusts several issuers (so a token's identity is
//! issuer and subject), every key counts as another subject's.
//! [`ApiKeys::revoke_by`] revokes only the caller's own subject's keys unless the caller meets
//! the same override. [`ApiKeys::issue`] and [`ApiKeys::revoke`] check no caller: for setup
//! code and command-line tools, never for a request.
//!
//! ```
//! use authz_core::{api_key::ApiKeys, Authenticated, api_key::InMemoryApiKeyStore, api_key::IssueError};
//! # authz_core::policy! { /// P
//! # pub mod reports { permissions { /// r
//! # "reports:read", /// w
//! # "reports:write", /// m
//! # "keys:manage", /// a
//! # "keys:manage_any", } } }
//! # #[derive(serde::Deserialize, authz_core::Claims)] struct Token { sub: String }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "rpt").unwrap();
//! let bot = keys.issue::<reports::Policy>("bot", ["reports:read", "keys:manage"], None).await.unwrap();
//! let caller = Authenticated::<reports::Policy, Token>::from_api_key(keys.verify(bot.raw()).await.unwrap());
//! let any = reports::perm::KeysManageAny;
//!
//! // Its own subject, a subset of what it holds: issued.
//! assert!(keys.issue_by(&caller, any, "bot", ["reports:read"], None).await.is_ok());
//! // More than it holds, or another subject: refused (403).
//! let more = keys.issue_by(&caller, any, "bot", ["reports:write"], None).await.unwrap_err();
//! assert!(matches!(more, IssueError::NotHeld { .. }) && more.http_status() == 403);
//! let other = keys.issue_by(&caller, any, "alice", ["reports:read"], None).await.unwrap_err();
//! assert!(matches!(other, IssueError::OtherSubject(_)) && other.http_status() == 403);
//! # });
//! ```
//!
//! # Subject revocation
//!
//! Give the keys the validator's revocation backend ([`ApiKeys::revocation`]): verification
//! then asks it about the key's subject with the key's creation time as `iat`, so "every
//! credential of S issued before T" refuses S's older keys as it refuses S's older tokens, and
//! issuance refuses a key that would be born revoked. Revocation entries are forgotten once
//! the tokens they name have expired, but keys may live longer: also call
//! [`ApiKeys::revoke_subject`], which marks the keys revoked in the store for good.
//!
//! # Audit events
//!
//! On target `authz::audit`, `event = "api_key"`: `action` (`issued` and `revoked` at `INFO`;
//! `issue_refused` and `revoke_refused` at `WARN`), `key_id` (the key issued or revoked; empty
//! for a refused issuance), `key_subject` (the subject it acts as), `permissions` (issued:
//! the granted names, space-separated), `actor` (the acting caller's subject),
//! `actor_issuer` (its token's `iss`; empty for an API key), `actor_key_id` (the acting API
//! key's id; empty for a token), `reason` (refusals). Never a secret.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::util::{read, unix_now, write};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::audit::AUDIT_TARGET;
pub use crate::authorize::VerifiedKey;
use crate::authorize::{Authenticated, Denied};
use crate::claims::Claims;
use crate::policy::{Permission, PermissionSet, Policy};
use crate::requirement::Requirement;
use crate::token::{
    BoxFuture, ErrorCategory, Revocation, RevocationError, RevocationQuery, RevocationStatus,
};

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
    /// The tenant the key acts in: the issuing caller's ([`ApiKeys::issue_by`]), the one
    /// given to [`ApiKeys::issue_in`]; `None` for keys issued without either.
    pub tenant: Option<String>,
    /// Who is accountable for a service account's key: the caller that issued it through
    /// [`ApiKeys::issue_by`] (or, when that caller was itself such a key, the one accountable
    /// for it). `None` for a key issued to its own holder or by setup code.
    #[serde(default)]
    pub issued_by: Option<IssuedBy>,
}

/// The caller accountable for a service account's key, so that four eyes can tell who stands
/// behind the key ([`Authenticated::accountable`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IssuedBy {
    /// The issuing caller's subject.
    pub subject: String,
    /// Its token's issuer (`iss`), where several issuers are trusted; `None` otherwise.
    pub issuer: Option<String>,
}

impl fmt::Debug for ApiKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyRecord")
            .field("id", &self.id)
            .field("subject", &self.subject)
            .field("permissions", &self.permissions)
            .field("expires_at", &self.expires_at)
            .field("revoked", &self.revoked)
            .field("tenant", &self.tenant)
            .field("issued_by", &self.issued_by)
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
    /// Marks revoked every key of `subject` created before `before` (unix seconds); how many
    /// were newly revoked.
    fn revoke_subject<'a>(
        &'a self,
        subject: &'a str,
        before: u64,
    ) -> BoxFuture<'a, Result<u64, StoreError>>;
}

/// A store failure: the key could not be checked.
///
/// It keeps the store's own error, as `std::io::Error` does: [`get_ref`](Self::get_ref) and
/// [`into_inner`](Self::into_inner) give it back.
#[derive(Debug, thiserror::Error)]
#[error("api key store: {0}")]
pub struct StoreError(Box<dyn std::error::Error + Send + Sync + 'static>);

crate::util::boxed_error_api!(StoreError, "store");

/// Records in process memory.
#[derive(Debug, Default, Clone)]
pub struct InMemoryApiKeyStore {
    records: Arc<RwLock<HashMap<String, ApiKeyRecord>>>,
}

impl InMemoryApiKeyStore {
    /// Every record, for inspection (tests, admin listings).
    pub fn records(&self) -> Vec<ApiKeyRecord> {
        let records = read(&self.records);
        records.values().cloned().collect()
    }
}

impl ApiKeyStore for InMemoryApiKeyStore {
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<ApiKeyRecord>, StoreError>> {
        let record = read(&self.records).get(id).cloned();
        Box::pin(async move { Ok(record) })
    }

    fn insert(&self, record: ApiKeyRecord) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut records = write(&self.records);
        let result = if records.contains_key(&record.id) {
            Err(StoreError::new("duplicate id"))
        } else {
            records.insert(record.id.clone(), record);
            Ok(())
        };
        Box::pin(async move { result })
    }

    fn revoke<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        let mut records = write(&self.records);
        let found = records.get_mut(id).map(|r| r.revoked = true).is_some();
        Box::pin(async move { Ok(found) })
    }

    fn touch<'a>(&'a self, id: &'a str, at: u64) -> BoxFuture<'a, Result<(), StoreError>> {
        if let Some(record) = write(&self.records).get_mut(id) {
            record.last_used_at = Some(at);
        }
        Box::pin(async move { Ok(()) })
    }

    fn revoke_subject<'a>(
        &'a self,
        subject: &'a str,
        before: u64,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        let mut count = 0;
        for record in write(&self.records).values_mut() {
            if record.subject == subject && record.created_at < before && !record.revoked {
                record.revoked = true;
                count += 1;
            }
        }
        Box::pin(async move { Ok(count) })
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
    /// The key's subject was revoked, by a cut-off after the key was created.
    #[error("the subject of api key {0} was revoked")]
    SubjectRevoked(String),
    /// The key came in a cookie: keys are read only from `Authorization: Bearer` (a cookie
    /// rides along with requests other sites make the browser send). Not verified.
    #[error("an api key is accepted only in the Authorization header, not in a cookie")]
    InCookie,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The revocation backend could not be asked (fails closed, like a token's check).
    #[error("revocation of api key {id} cannot be checked: {source}")]
    RevocationUnavailable {
        /// The key id.
        id: String,
        /// What the backend said.
        source: RevocationError,
    },
}

impl ApiKeyError {
    /// The RFC 6750 category, which decides the HTTP status.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Self::Store(_) | Self::RevocationUnavailable { .. } => ErrorCategory::Unavailable,
            _ => ErrorCategory::InvalidToken,
        }
    }

    /// A short description safe to send to the client. It never tells which part failed.
    pub fn description(&self) -> &'static str {
        match self {
            Self::Store(_) | Self::RevocationUnavailable { .. } => {
                "the api key cannot be checked right now"
            }
            Self::InCookie => "an api key is accepted only in the Authorization header",
            _ => "the api key is invalid, expired or revoked",
        }
    }

    /// The key id, if the key had a well-formed one: for audit logs.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Self::Unknown(id)
            | Self::WrongSecret(id)
            | Self::Revoked(id)
            | Self::SubjectRevoked(id) => Some(id),
            Self::Expired { id, .. } | Self::RevocationUnavailable { id, .. } => Some(id),
            Self::Malformed | Self::InCookie | Self::Store(_) => None,
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
    /// The key would be for a service account, and the caller does not meet the requirement
    /// for that ([`ApiKeys::issue_by`]).
    #[error("a key for another subject: {0}")]
    OtherSubject(Denied),
    /// The key would act as another user than the caller: not the caller's own subject and
    /// not a declared service account ([`ApiKeys::service_accounts`]). Whatever the caller
    /// holds, a key is never minted "as" a colleague: its holder could act as them, and
    /// approve as themselves what they created in the colleague's name (four eyes).
    #[error(
        "a key may act only as its issuer or as a declared service account; `{subject}` is neither (declare service accounts with ApiKeys::service_accounts)"
    )]
    Impersonation {
        /// The subject asked for (cut to 128 bytes).
        subject: String,
    },
    /// The key would grant permissions the caller does not hold ([`ApiKeys::issue_by`]).
    #[error("the caller does not hold {missing}; a key grants only what its issuer holds")]
    NotHeld {
        /// The names the caller lacks, comma-separated.
        missing: String,
    },
    /// The caller is an API key with an expiry, and the new key would outlive it.
    #[error("the issuing api key expires at {expires_at}; the new key must expire by then")]
    OutlivesIssuer {
        /// When the issuing key expires (unix seconds).
        expires_at: u64,
    },
    /// The subject's credentials are revoked up to now or later: the key would be born
    /// revoked.
    #[error("the subject's credentials are revoked")]
    SubjectRevoked,
    /// The revocation backend could not be asked.
    #[error("the revocation store cannot be checked: {0}")]
    RevocationUnavailable(RevocationError),
    /// The operating system's random source failed.
    #[error("the random source failed")]
    Random,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IssueError {
    /// The HTTP status a handler answers with: 400 for a bad subject or permission name, 403
    /// when the caller may not issue this key, 409 for a revoked subject, 503 when a store
    /// cannot be reached, 500 otherwise. On 400, 403 and 409 the `Display` text is safe to
    /// send to the client (it names policy permissions and times, never a secret); on 503 and
    /// 500 it describes the backend, for the server's log only.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::UnknownPermission { .. } | Self::BadSubject => 400,
            Self::OtherSubject(_)
            | Self::Impersonation { .. }
            | Self::NotHeld { .. }
            | Self::OutlivesIssuer { .. } => 403,
            Self::SubjectRevoked => 409,
            Self::RevocationUnavailable(_) | Self::Store(_) => 503,
            Self::Random => 500,
        }
    }

    /// A short description safe to send to the client, for the problem body of an adapter's
    /// rejection (`?` on an issuance in a handler).
    pub fn description(&self) -> &'static str {
        match self {
            Self::UnknownPermission { .. } => {
                "the key names a permission the policy does not declare"
            }
            Self::BadSubject => "the subject must be 1 to 256 bytes",
            Self::OtherSubject(_) => {
                "a key for another subject needs a permission the caller lacks"
            }
            Self::Impersonation { .. } => {
                "a key may act only as its issuer or as a declared service account"
            }
            Self::NotHeld { .. } => "a key grants only permissions its issuer holds",
            Self::OutlivesIssuer { .. } => "the new key must expire by the issuing key's expiry",
            Self::SubjectRevoked => "the subject's credentials are revoked",
            Self::RevocationUnavailable(_) | Self::Store(_) => {
                "the api key store cannot be reached right now"
            }
            Self::Random => "the key could not be generated",
        }
    }
}

impl RevokeError {
    /// The HTTP status a handler answers with: 403 when the caller may not revoke the key,
    /// 503 when the store cannot be reached.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::OtherSubject(_) => 403,
            Self::Store(_) => 503,
        }
    }

    /// A short description safe to send to the client.
    pub fn description(&self) -> &'static str {
        match self {
            Self::OtherSubject(_) => {
                "revoking another subject's key needs a permission the caller lacks"
            }
            Self::Store(_) => "the api key store cannot be reached right now",
        }
    }
}

/// Why [`ApiKeys::revoke_by`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RevokeError {
    /// The key acts for another subject than the caller's, and the caller does not meet the
    /// requirement for that.
    #[error("a key of another subject: {0}")]
    OtherSubject(Denied),
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
    /// Shared by every clone: a [`Gate`](crate::Gate) given a clone sets its validator's
    /// backend here, and the application's own clones (issuing in handlers) see it too.
    revocation: Arc<RwLock<Option<Arc<dyn Revocation>>>>,
    /// Subjects that are machines, not people: the only other subjects a caller may issue
    /// keys for.
    service_accounts: Arc<[Box<str>]>,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeys")
            .field("prefix", &self.prefix)
            .field("revocation", &read(&self.revocation).is_some())
            .field("service_accounts", &self.service_accounts)
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
            revocation: Arc::new(RwLock::new(None)),
            service_accounts: Arc::new([]),
        })
    }

    /// Declares the subjects that are service accounts (`"ci-bot"`, `"ops-bot"`): machines,
    /// not people. [`issue_by`](Self::issue_by) issues a key for another subject than the
    /// caller's only when it is one of these (and the caller meets the override requirement);
    /// a key "as" a colleague is refused ([`IssueError::Impersonation`]). Pick names no
    /// person's subject can take (Keycloak and Entra subjects are UUIDs; a `svc-` prefix
    /// works).
    #[must_use]
    pub fn service_accounts<S: AsRef<str>>(
        mut self,
        subjects: impl IntoIterator<Item = S>,
    ) -> Self {
        self.service_accounts = subjects
            .into_iter()
            .map(|subject| subject.as_ref().into())
            .collect();
        self
    }

    /// Whether `subject` is a declared service account.
    pub fn is_service_account(&self, subject: &str) -> bool {
        self.service_accounts.iter().any(|s| &**s == subject)
    }

    /// Also consults `revocation` for the key's subject, with the key's creation time as
    /// `iat`: a key created before a subject's cut-off is refused like a token issued before
    /// it, and a key is not issued for a subject revoked up to a later time. A backend that
    /// cannot be asked refuses (503), never accepts. Keys given to a [`Gate`](crate::Gate)
    /// need none: the gate gives them its validator's.
    #[must_use]
    pub fn revocation(self, revocation: impl Revocation) -> Self {
        *write(&self.revocation) = Some(Arc::new(revocation));
        self
    }

    /// The [`Gate`](crate::Gate)'s validator's backend, when it has one, in place of any the
    /// keys were given: one backend for tokens and keys alike, in every clone of these keys
    /// (the gate's and the ones handlers issue with).
    pub(crate) fn with_gate_revocation(self, revocation: Option<Arc<dyn Revocation>>) -> Self {
        if revocation.is_some() {
            *write(&self.revocation) = revocation;
        }
        self
    }

    /// Whether a bearer credential has this key format's prefix (and so is not a JWT).
    pub fn claims_credential(&self, credential: &str) -> bool {
        credential.len() > self.prefix.len()
            && credential.starts_with(&*self.prefix)
            && credential.as_bytes()[self.prefix.len()] == b'_'
    }

    /// Issues a key for `subject` with `permissions` (names of policy `P`), valid for
    /// `expires_in` (or forever). The raw key is in the result and nowhere else.
    ///
    /// No caller is checked: this is for setup code and tools. A request handler calls
    /// [`issue_by`](Self::issue_by).
    pub async fn issue<P: Policy>(
        &self,
        subject: &str,
        permissions: impl IntoIterator<Item = impl AsRef<str>>,
        expires_in: Option<Duration>,
    ) -> Result<IssuedKey, IssueError> {
        let (names, _) = check_request::<P>(subject, permissions)?;
        let now = unix_now();
        self.mint(subject, None, None, names, now, expiry(now, expires_in))
            .await
    }

    /// Issues a key as [`issue`](Self::issue) does, acting in `tenant`: the key's caller has
    /// that tenant, so tenant checks keep it inside (a CI bot limited to one customer's
    /// data). No caller is checked: for setup code and tools.
    pub async fn issue_in<P: Policy>(
        &self,
        tenant: &str,
        subject: &str,
        permissions: impl IntoIterator<Item = impl AsRef<str>>,
        expires_in: Option<Duration>,
    ) -> Result<IssuedKey, IssueError> {
        let (names, _) = check_request::<P>(subject, permissions)?;
        if tenant.is_empty() || tenant.len() > 256 {
            return Err(IssueError::BadSubject);
        }
        let now = unix_now();
        let tenant = Some(tenant.to_owned());
        self.mint(subject, tenant, None, names, now, expiry(now, expires_in))
            .await
    }

    /// Issues a key on behalf of `caller`, the authenticated client of the request, and
    /// writes the audit event naming it. The key acts in the caller's tenant and may grant
    /// only permissions `caller` holds. It acts as the caller's own subject, or as a declared
    /// [service account](Self::service_accounts) when `caller` meets `other_subjects` (for
    /// example `perm::ApiKeysManageAny`), and then records the caller as
    /// [accountable](ApiKeyRecord::issued_by) for it; never as another user. When `caller` is
    /// itself an API key with an expiry, the new key must expire by then.
    ///
    /// Refusals are [`IssueError::Impersonation`], [`IssueError::OtherSubject`],
    /// [`IssueError::NotHeld`] and [`IssueError::OutlivesIssuer`] (403, see
    /// [`IssueError::http_status`]).
    pub async fn issue_by<O: Requirement, C: Claims>(
        &self,
        caller: &Authenticated<O::Policy, C>,
        other_subjects: O,
        subject: &str,
        permissions: impl IntoIterator<Item = impl AsRef<str>>,
        expires_in: Option<Duration>,
    ) -> Result<IssuedKey, IssueError> {
        let _ = other_subjects;
        let now = unix_now();
        let expires_at = expiry(now, expires_in);
        let result = match self.authorize_issue::<O, C>(caller, subject, permissions, expires_at) {
            Ok(names) => {
                let tenant = caller.tenant().map(str::to_owned);
                let issued_by = accountable_for(caller, subject);
                self.mint(subject, tenant, issued_by, names, now, expires_at)
                    .await
            }
            Err(error) => Err(error),
        };
        let (actor, actor_issuer, actor_key_id) = actor(caller);
        match &result {
            Ok(issued) => tracing::info!(
                target: AUDIT_TARGET,
                event = "api_key",
                action = "issued",
                key_id = %issued.id(),
                key_subject = ?subject,
                permissions = %issued.record.permissions.join(" "),
                actor = ?actor,
                actor_issuer = ?actor_issuer,
                actor_key_id,
            ),
            Err(error) => tracing::warn!(
                target: AUDIT_TARGET,
                event = "api_key",
                action = "issue_refused",
                key_id = "",
                key_subject = ?cut(subject),
                actor = ?actor,
                actor_issuer = ?actor_issuer,
                actor_key_id,
                reason = %error,
            ),
        }
        result
    }

    /// Makes a key created `now`, checks its subject against revocation, and stores it.
    async fn mint(
        &self,
        subject: &str,
        tenant: Option<String>,
        issued_by: Option<IssuedBy>,
        names: Vec<String>,
        now: u64,
        expires_at: Option<u64>,
    ) -> Result<IssuedKey, IssueError> {
        match self
            .subject_status(subject, now, expires_at.unwrap_or(u64::MAX))
            .await
        {
            Ok(RevocationStatus::Active) => {}
            Ok(RevocationStatus::Revoked) => return Err(IssueError::SubjectRevoked),
            Err(error) => return Err(IssueError::RevocationUnavailable(error)),
        }
        let mut id = [0u8; ID_BYTES];
        let mut secret = [0u8; SECRET_BYTES];
        getrandom::fill(&mut id).map_err(|_| IssueError::Random)?;
        getrandom::fill(&mut secret).map_err(|_| IssueError::Random)?;
        let id = hex(&id);
        let secret = URL_SAFE_NO_PAD.encode(secret);
        let record = ApiKeyRecord {
            id: id.clone(),
            subject: subject.to_owned(),
            permissions: names,
            expires_at,
            revoked: false,
            created_at: now,
            last_used_at: None,
            secret_sha256: hex(&Sha256::digest(secret.as_bytes())),
            tenant,
            issued_by,
        };
        self.store.insert(record.clone()).await?;
        Ok(IssuedKey {
            raw: format!("{}_{id}_{secret}", self.prefix),
            record,
        })
    }

    /// Whether the revocation backend (if any) revokes a credential of `subject` issued at
    /// `iat`.
    async fn subject_status(
        &self,
        subject: &str,
        iat: u64,
        exp: u64,
    ) -> Result<RevocationStatus, RevocationError> {
        let revocation = read(&self.revocation).clone();
        match revocation {
            Some(revocation) => {
                let query = RevocationQuery::new(None, Some(subject), Some(iat), exp);
                revocation.check(query).await
            }
            None => Ok(RevocationStatus::Active),
        }
    }

    /// Checks a raw key: its form, its id in the store, its secret (hashes compared in
    /// constant time), expiry, revocation, and the revocation of its subject (when a backend
    /// is set). Records the use.
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
        match self
            .subject_status(
                &record.subject,
                record.created_at,
                record.expires_at.unwrap_or(u64::MAX),
            )
            .await
        {
            Ok(RevocationStatus::Active) => {}
            Ok(RevocationStatus::Revoked) => return Err(ApiKeyError::SubjectRevoked(record.id)),
            Err(source) => {
                return Err(ApiKeyError::RevocationUnavailable {
                    id: record.id,
                    source,
                });
            }
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
            tenant: record.tenant,
            issued_by: record.issued_by,
        })
    }

    /// Revokes a key by id; `false` if there is none. No caller is checked: a request handler
    /// calls [`revoke_by`](Self::revoke_by).
    pub async fn revoke(&self, id: &str) -> Result<bool, StoreError> {
        self.store.revoke(id).await
    }

    /// Revokes a key by id on behalf of `caller`, and writes the audit event naming it;
    /// `false` if there is no such key. A key of another subject than the caller's may be
    /// revoked only when `caller` meets `other_subjects`.
    pub async fn revoke_by<O: Requirement, C: Claims>(
        &self,
        caller: &Authenticated<O::Policy, C>,
        other_subjects: O,
        id: &str,
    ) -> Result<bool, RevokeError> {
        let _ = other_subjects;
        let (actor, actor_issuer, actor_key_id) = actor(caller);
        let Some(record) = self.store.get(id).await? else {
            return Ok(false);
        };
        if !is_own(caller, &record.subject)
            && let Err(denied) = caller.require::<O>()
        {
            let error = RevokeError::OtherSubject(denied);
            tracing::warn!(
                target: AUDIT_TARGET,
                event = "api_key",
                action = "revoke_refused",
                key_id = %record.id,
                key_subject = ?record.subject,
                actor = ?actor,
                actor_issuer = ?actor_issuer,
                actor_key_id,
                reason = %error,
            );
            return Err(error);
        }
        let found = self.store.revoke(&record.id).await?;
        if found {
            tracing::info!(
                target: AUDIT_TARGET,
                event = "api_key",
                action = "revoked",
                key_id = %record.id,
                key_subject = ?record.subject,
                actor = ?actor,
                actor_issuer = ?actor_issuer,
                actor_key_id,
            );
        }
        Ok(found)
    }

    /// Marks revoked, in the store and for good, every key of `subject` created before
    /// `before` (unix seconds); how many were newly revoked. Call it beside a subject
    /// revocation of the tokens: that entry is forgotten when the tokens expire, a key may
    /// live longer.
    pub async fn revoke_subject(&self, subject: &str, before: u64) -> Result<u64, StoreError> {
        self.store.revoke_subject(subject, before).await
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

/// Checks a subject and permission names of policy `P`: the names, deduplicated, and their
/// set.
fn check_request<P: Policy>(
    subject: &str,
    permissions: impl IntoIterator<Item = impl AsRef<str>>,
) -> Result<(Vec<String>, PermissionSet<P>), IssueError> {
    if subject.is_empty() || subject.len() > 256 {
        return Err(IssueError::BadSubject);
    }
    let mut names = Vec::new();
    let mut set = PermissionSet::<P>::EMPTY;
    for name in permissions {
        let name = name.as_ref();
        match P::Permission::from_name(name) {
            Some(p) => {
                if set.insert(p) {
                    names.push(p.name().to_owned());
                }
            }
            None => {
                return Err(IssueError::UnknownPermission {
                    name: name.chars().take(128).collect(),
                    known: P::PERMISSIONS
                        .iter()
                        .map(|p| p.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
    }
    Ok((names, set))
}

impl ApiKeys {
    /// The checks of [`ApiKeys::issue_by`] that need no store: the names, then the caller's
    /// authority over the subject, the permissions and the lifetime.
    fn authorize_issue<O: Requirement, C: Claims>(
        &self,
        caller: &Authenticated<O::Policy, C>,
        subject: &str,
        permissions: impl IntoIterator<Item = impl AsRef<str>>,
        expires_at: Option<u64>,
    ) -> Result<Vec<String>, IssueError> {
        let (names, asked) = check_request::<O::Policy>(subject, permissions)?;
        if !is_own(caller, subject) {
            if !self.is_service_account(subject) {
                return Err(IssueError::Impersonation {
                    subject: subject.chars().take(128).collect(),
                });
            }
            caller.require::<O>().map_err(IssueError::OtherSubject)?;
        }
        authorize_grant(caller, asked, expires_at)?;
        Ok(names)
    }
}

/// Who is accountable for a key `caller` issues for `subject`: for a service account, the
/// caller, or whoever is accountable for the caller when it is such a key itself; for the
/// caller's own subject, whoever was accountable for the caller.
fn accountable_for<P: Policy, C: Claims>(
    caller: &Authenticated<P, C>,
    subject: &str,
) -> Option<IssuedBy> {
    let inherited = caller.api_key().and_then(VerifiedKey::issued_by).cloned();
    if is_own(caller, subject) {
        return inherited;
    }
    inherited.or_else(|| {
        caller.subject().map(|own| IssuedBy {
            subject: own.to_owned(),
            issuer: caller.issuer().map(str::to_owned),
        })
    })
}

/// The caller holds every permission asked, and outlives the key when it is a key itself.
fn authorize_grant<P: Policy, C: Claims>(
    caller: &Authenticated<P, C>,
    asked: PermissionSet<P>,
    expires_at: Option<u64>,
) -> Result<(), IssueError> {
    let missing = asked.difference(caller.permissions());
    if !missing.is_empty() {
        let missing: Vec<&str> = missing.iter().map(|p| p.name()).collect();
        return Err(IssueError::NotHeld {
            missing: missing.join(", "),
        });
    }
    if let Some(limit) = caller.api_key().and_then(VerifiedKey::expires_at)
        && expires_at.is_none_or(|at| at > limit)
    {
        return Err(IssueError::OutlivesIssuer { expires_at: limit });
    }
    Ok(())
}

/// When a key created `now` and living `expires_in` expires.
fn expiry(now: u64, expires_in: Option<Duration>) -> Option<u64> {
    expires_in.map(|d| now.saturating_add(d.as_secs()))
}

/// The acting caller for audit events: its subject, its token's issuer (empty for an API
/// key) and its API key id (empty for a token).
fn actor<P: Policy, C: Claims>(caller: &Authenticated<P, C>) -> (&str, &str, &str) {
    (
        caller.subject().map_or("", cut),
        caller.issuer().map_or("", cut),
        caller.api_key().map_or("", VerifiedKey::id),
    )
}

/// Whether `caller` acts as `subject` itself. A key records no issuer, so where a caller's
/// identity includes its issuer (several issuers trusted) no key's subject is its own, as no
/// resource naming no issuer is its own in owner checks.
fn is_own<P: Policy, C: Claims>(caller: &Authenticated<P, C>, subject: &str) -> bool {
    caller.subject() == Some(subject) && !caller.identity_includes_issuer()
}

/// A subject cut to 256 bytes for a log line (a refused one may be longer).
fn cut(value: &str) -> &str {
    crate::util::truncate(value, 256)
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
