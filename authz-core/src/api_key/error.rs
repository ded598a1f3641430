//! Why a key was refused, or could not be issued or revoked.

use crate::authorize::Denied;
use crate::token::{ErrorCategory, RevocationError};

use super::{MAX_PREFIX_LEN, StoreError};

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
    #[error("revocation of api key {id} cannot be checked")]
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
    /// for that ([`ApiKeys::issue_by`](super::ApiKeys::issue_by)).
    #[error("a key for another subject: {0}")]
    OtherSubject(Denied),
    /// The key would act as another user than the caller: not the caller's own subject and
    /// not a declared service account ([`ApiKeys::service_accounts`](super::ApiKeys::service_accounts)). Whatever the caller
    /// holds, a key is never minted "as" a colleague: its holder could act as them, and
    /// approve as themselves what they created in the colleague's name (four eyes).
    #[error(
        "a key may act only as its issuer or as a declared service account; `{subject}` is neither (declare service accounts with ApiKeys::service_accounts)"
    )]
    Impersonation {
        /// The subject asked for (cut to 128 bytes).
        subject: String,
    },
    /// The key would grant permissions the caller does not hold ([`ApiKeys::issue_by`](super::ApiKeys::issue_by)).
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
    #[error("the revocation store cannot be checked")]
    RevocationUnavailable(#[source] RevocationError),
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

/// Why [`ApiKeys::revoke_by`](super::ApiKeys::revoke_by) failed.
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
