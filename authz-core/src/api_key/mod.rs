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
//! it holds itself (like a fine-grained personal access token); a key acts as the caller's own
//! subject, or as a declared [service account](ApiKeys::service_accounts) when the caller
//! meets the override requirement the application names (reports-api:
//! `api_keys:manage_any`), and never as another user ([`IssueError::Impersonation`], whatever
//! the caller holds: its holder could act as that user, and approve as themselves what they
//! created in that user's name). A service account's key records who issued it
//! ([`ApiKeyRecord::issued_by`]), and four eyes counts them as one party. A key issued by an
//! API key expires no later than that key. A key records no issuer: where a validator trusts
//! several issuers (so a token's identity is issuer and subject), no key is a token's own.
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
//! let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "rpt")
//!     .unwrap()
//!     .service_accounts(["ci-bot"]);
//! let bot = keys.issue::<reports::Policy>("bot", ["reports:read", "keys:manage"], None).await.unwrap();
//! let caller = Authenticated::<reports::Policy, Token>::from_api_key(keys.verify(bot.raw()).await.unwrap());
//! let any = reports::perm::KeysManageAny;
//!
//! // Its own subject, a subset of what it holds: issued.
//! assert!(keys.issue_by(&caller, any, "bot", ["reports:read"], None).await.is_ok());
//! // More than it holds: refused (403).
//! let more = keys.issue_by(&caller, any, "bot", ["reports:write"], None).await.unwrap_err();
//! assert!(matches!(more, IssueError::NotHeld { .. }) && more.http_status() == 403);
//! // A service account needs the override; a person is never another caller's to mint.
//! let ci = keys.issue_by(&caller, any, "ci-bot", ["reports:read"], None).await.unwrap_err();
//! assert!(matches!(ci, IssueError::OtherSubject(_)) && ci.http_status() == 403);
//! let alice = keys.issue_by(&caller, any, "alice", ["reports:read"], None).await.unwrap_err();
//! assert!(matches!(alice, IssueError::Impersonation { .. }) && alice.http_status() == 403);
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

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::util::{read, write};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::audit::{self, AUDIT_TARGET, KeyAction};
use crate::authorize::Authenticated;
pub use crate::authorize::VerifiedKey;
use crate::claims::Claims;
use crate::policy::Policy;
use crate::requirement::Requirement;
use crate::token::{Revocation, RevocationError, RevocationQuery, RevocationStatus};

mod error;
mod rules;
mod store;

use crate::util::hex;
pub use error::{ApiKeyError, BadPrefix, IssueError, RevokeError};
use rules::{accountable_for, actor, check_request, cut, expiry, is_own};
pub use store::{ApiKeyRecord, ApiKeyStore, InMemoryApiKeyStore, IssuedBy, StoreError};

const ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 32;
const SECRET_LEN: usize = 43; // unpadded base64url of 32 bytes
const MAX_PREFIX_LEN: usize = 16;
/// How fresh `last_used_at` is kept.
const LAST_USE_RESOLUTION_SECS: u64 = 60;

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

/// Issues, verifies and revokes API keys against a store. Cheap to clone: one reference
/// count (an application's state holds it, and axum clones the state several times per
/// request).
#[derive(Clone)]
pub struct ApiKeys {
    config: Arc<KeysConfig>,
}

/// What [`ApiKeys`] holds, behind one `Arc`.
#[derive(Clone)]
struct KeysConfig {
    store: Arc<dyn ApiKeyStore>,
    prefix: Arc<str>,
    /// Shared by every clone: a [`Gate`](crate::Gate) given a clone sets its validator's
    /// backend here, and the application's own clones (issuing in handlers) see it too.
    revocation: Arc<RwLock<Option<Arc<dyn Revocation>>>>,
    /// Subjects that are machines, not people: the only other subjects a caller may issue
    /// keys for.
    service_accounts: Arc<[Box<str>]>,
    clock: crate::token::Clock,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeys")
            .field("prefix", &self.config.prefix)
            .field("revocation", &read(&self.config.revocation).is_some())
            .field("service_accounts", &self.config.service_accounts)
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
        let config = KeysConfig {
            store: Arc::new(store),
            prefix: prefix.into(),
            revocation: Arc::new(RwLock::new(None)),
            service_accounts: Arc::new([]),
            clock: crate::token::Clock::system(),
        };
        Ok(Self {
            config: Arc::new(config),
        })
    }

    /// The configuration, to change it (copy on write: the revocation slot stays shared).
    fn config_mut(&mut self) -> &mut KeysConfig {
        Arc::make_mut(&mut self.config)
    }

    /// Reads the time from `clock` (default the system's): creation, expiry and last use.
    /// Tests give a [`Clock::manual`](crate::token::Clock::manual).
    #[must_use]
    pub fn clock(mut self, clock: crate::token::Clock) -> Self {
        self.config_mut().clock = clock;
        self
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
        self.config_mut().service_accounts = subjects
            .into_iter()
            .map(|subject| subject.as_ref().into())
            .collect();
        self
    }

    /// Whether `subject` is a declared service account.
    pub fn is_service_account(&self, subject: &str) -> bool {
        self.config.service_accounts.iter().any(|s| &**s == subject)
    }

    /// Also consults `revocation` for the key's subject, with the key's creation time as
    /// `iat`: a key created before a subject's cut-off is refused like a token issued before
    /// it, and a key is not issued for a subject revoked up to a later time. A backend that
    /// cannot be asked refuses (503), never accepts. Keys given to a [`Gate`](crate::Gate)
    /// need none: the gate gives them its validator's.
    #[must_use]
    pub fn revocation(self, revocation: impl Revocation) -> Self {
        *write(&self.config.revocation) = Some(Arc::new(revocation));
        self
    }

    /// The [`Gate`](crate::Gate)'s validator's backend, when it has one, in place of any the
    /// keys were given: one backend for tokens and keys alike, in every clone of these keys
    /// (the gate's and the ones handlers issue with).
    pub(crate) fn with_gate_revocation(self, revocation: Option<Arc<dyn Revocation>>) -> Self {
        if revocation.is_some() {
            *write(&self.config.revocation) = revocation;
        }
        self
    }

    /// Whether a bearer credential has this key format's prefix (and so is not a JWT).
    pub fn claims_credential(&self, credential: &str) -> bool {
        self.claims_bytes(credential.as_bytes())
    }

    /// [`claims_credential`](Self::claims_credential) of credentials not yet read as text.
    pub(crate) fn claims_bytes(&self, credential: &[u8]) -> bool {
        credential.len() > self.config.prefix.len()
            && credential.starts_with(self.config.prefix.as_bytes())
            && credential[self.config.prefix.len()] == b'_'
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
        let now = self.config.clock.unix_now();
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
        let now = self.config.clock.unix_now();
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
        let now = self.config.clock.unix_now();
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
        match &result {
            Ok(issued) => audit::api_key(
                KeyAction::Issued(&issued.record.permissions),
                issued.id(),
                subject,
                actor(caller),
            ),
            Err(error) => audit::api_key(
                KeyAction::IssueRefused(error),
                "",
                cut(subject),
                actor(caller),
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
        self.config.store.insert(record.clone()).await?;
        Ok(IssuedKey {
            raw: format!("{}_{id}_{secret}", self.config.prefix),
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
        let revocation = read(&self.config.revocation).clone();
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
            .config
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
        let now = self.config.clock.unix_now();
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
        if stale && let Err(error) = self.config.store.touch(&record.id, now).await {
            tracing::warn!(target: AUDIT_TARGET, event = "api_key", key_id = %record.id, %error, "could not record last use");
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
        self.config.store.revoke(id).await
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
        let Some(record) = self.config.store.get(id).await? else {
            return Ok(false);
        };
        if !is_own(caller, &record.subject)
            && let Err(denied) = caller.require::<O>()
        {
            let error = RevokeError::OtherSubject(denied);
            let refused = KeyAction::RevokeRefused(&error);
            audit::api_key(refused, &record.id, &record.subject, actor(caller));
            return Err(error);
        }
        let found = self.config.store.revoke(&record.id).await?;
        if found {
            let revoked = KeyAction::Revoked;
            audit::api_key(revoked, &record.id, &record.subject, actor(caller));
        }
        Ok(found)
    }

    /// Marks revoked, in the store and for good, every key of `subject` created before
    /// `before` (unix seconds); how many were newly revoked. Call it beside a subject
    /// revocation of the tokens: that entry is forgotten when the tokens expire, a key may
    /// live longer.
    pub async fn revoke_subject(&self, subject: &str, before: u64) -> Result<u64, StoreError> {
        self.config.store.revoke_subject(subject, before).await
    }

    /// `(id, secret)` of a well-formed key with this prefix.
    fn split<'a>(&self, raw: &'a str) -> Option<(&'a str, &'a str)> {
        let rest = raw.strip_prefix(&*self.config.prefix)?.strip_prefix('_')?;
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
