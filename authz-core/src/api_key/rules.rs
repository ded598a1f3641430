//! The rules of issuance: names checked against the policy, who may issue for whom, what a
//! key may grant, and who is accountable for it.

use std::time::Duration;

use crate::audit::KeyActor;
use crate::authorize::Authenticated;
use crate::authorize::VerifiedKey;
use crate::claims::Claims;
use crate::policy::{Permission, PermissionSet, Policy};
use crate::requirement::Requirement;

use super::{ApiKeys, IssueError, IssuedBy};

/// Checks a subject and permission names of policy `P`: the names, deduplicated, and their
/// set.
pub(super) fn check_request<P: Policy>(
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
    pub(super) fn authorize_issue<O: Requirement, C: Claims>(
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
pub(super) fn accountable_for<P: Policy, C: Claims>(
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
pub(super) fn authorize_grant<P: Policy, C: Claims>(
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
pub(super) fn expiry(now: u64, expires_in: Option<Duration>) -> Option<u64> {
    expires_in.map(|d| now.saturating_add(d.as_secs()))
}

/// The acting caller for audit events: its subject, its token's issuer (empty for an API
/// key) and its API key id (empty for a token).
pub(super) fn actor<P: Policy, C: Claims>(caller: &Authenticated<P, C>) -> KeyActor<'_> {
    KeyActor {
        subject: caller.subject().map_or("", cut),
        issuer: caller.issuer().map_or("", cut),
        key_id: caller.api_key().map_or("", VerifiedKey::id),
    }
}

/// Whether `caller` acts as `subject` itself. A key records no issuer, so where a caller's
/// identity includes its issuer (several issuers trusted) no key's subject is its own, as no
/// resource naming no issuer is its own in owner checks.
pub(super) fn is_own<P: Policy, C: Claims>(caller: &Authenticated<P, C>, subject: &str) -> bool {
    caller.subject() == Some(subject) && !caller.identity_includes_issuer()
}

/// A subject cut to 256 bytes for a log line (a refused one may be longer).
pub(super) fn cut(value: &str) -> &str {
    crate::util::truncate(value, 256)
}
