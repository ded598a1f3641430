//! Where key records live: the record, the store trait, and the in-memory store.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use crate::util::{read, write};

use crate::token::BoxFuture;

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
    /// The tenant the key acts in: the issuing caller's ([`ApiKeys::issue_by`](super::ApiKeys::issue_by)), the one
    /// given to [`ApiKeys::issue_in`](super::ApiKeys::issue_in); `None` for keys issued without either.
    pub tenant: Option<String>,
    /// Who is accountable for a service account's key: the caller that issued it through
    /// [`ApiKeys::issue_by`](super::ApiKeys::issue_by) (or, when that caller was itself such a key, the one accountable
    /// for it). `None` for a key issued to its own holder or by setup code.
    #[serde(default)]
    pub issued_by: Option<IssuedBy>,
}

/// The caller accountable for a service account's key, so that four eyes can tell who stands
/// behind the key ([`Authenticated::accountable`](crate::Authenticated::accountable)).
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
