//! The revocation hook, what a revocation store adds to it, and an in-memory implementation
//! (`memory`).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use std::collections::HashMap;
use std::sync::Mutex;

/// A boxed, `Send` future, as [`Revocation::check`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a revocation check sees of a token whose signature and claims have been verified.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct RevocationQuery<'a> {
    /// `jti`, if the token has one.
    pub jti: Option<&'a str>,
    /// The subject, if the token has one: the claims type's subject ([`Claims::subject`]:
    /// `sub`, or the field marked `#[claims(subject)]`), the one owner checks and audit
    /// events name.
    ///
    /// [`Claims::subject`]: crate::Claims::subject
    pub sub: Option<&'a str>,
    /// `iss`, if the token has one (verified: the issuer whose key signed the token).
    pub iss: Option<&'a str>,
    /// `iat`, if the token has one.
    pub iat: Option<u64>,
    /// `exp` (always present on a validated token).
    pub exp: u64,
    /// `sid`, the identity provider's session the token belongs to (OpenID Connect
    /// Back-Channel Logout 1.0), if the token carries one.
    pub sid: Option<&'a str>,
    /// Room for the backend's own derivations of this token's identifiers, kept as long as
    /// the verified-token cache keeps the token (`None` for a token not in the cache).
    pub(crate) memo: Option<&'a TokenMemo>,
}

/// What a revocation backend derives from a cached token's identifiers, kept with the token in
/// the verified-token cache (see [`RevocationQuery::memo`]): set once, by the first check.
#[derive(Default)]
pub struct TokenMemo(std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>>);

impl TokenMemo {
    /// The value kept, made by `init` on the first call. `None` when a value of another type
    /// is kept (a backend must then derive its own without the memo).
    pub fn get_or_init<T: std::any::Any + Send + Sync>(
        &self,
        init: impl FnOnce() -> T,
    ) -> Option<&T> {
        self.0.get_or_init(|| Box::new(init())).downcast_ref()
    }
}

impl Clone for TokenMemo {
    /// An empty memo: a copy of a token is derived again.
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for TokenMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenMemo(..)")
    }
}

/// The answer of a revocation check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevocationStatus {
    /// Not revoked.
    Active,
    /// Revoked: the token is refused as `invalid_token`.
    Revoked,
}

/// A revocation backend that failed; the token is refused as unavailable (503), never
/// accepted.
///
/// It keeps the backend's own error, as `std::io::Error` does: [`get_ref`](Self::get_ref)
/// and [`into_inner`](Self::into_inner) give it back, for example to downcast.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct RevocationError(Box<dyn std::error::Error + Send + Sync + 'static>);

crate::util::boxed_error_api!(RevocationError, "backend");

/// Consulted by the validator after the signature and every claim check passed.
///
/// Implement it for a shared store (a database, Redis); [`InMemoryRevocation`] serves one
/// process. An `Err` refuses the token with [`ErrorCategory::Unavailable`](crate::token::ErrorCategory):
/// revocation fails closed.
///
/// Since ECDSA signatures are malleable, a token's text is not a stable identity: revoke by
/// `jti` or by subject, never by the token string.
pub trait Revocation: Send + Sync + 'static {
    /// Whether the token is revoked.
    fn check<'a>(
        &'a self,
        token: RevocationQuery<'a>,
    ) -> BoxFuture<'a, Result<RevocationStatus, RevocationError>>;

    /// The answer of [`check`](Self::check) without waiting, when the backend has it at hand
    /// (a list in this process, a mirror that pushes keep current); `None` (the default)
    /// sends the validator to `check`. It must be the answer `check` would give now. The
    /// validator asks here first on every request, which spares a backend that answers from
    /// memory the allocation of `check`'s boxed future.
    fn check_now(
        &self,
        token: &RevocationQuery<'_>,
    ) -> Option<Result<RevocationStatus, RevocationError>> {
        let _ = token;
        None
    }
}

mod memory;

pub use memory::InMemoryRevocation;

impl<'a> RevocationQuery<'a> {
    /// A query, for tests of a [`Revocation`] implementation.
    pub fn new(jti: Option<&'a str>, sub: Option<&'a str>, iat: Option<u64>, exp: u64) -> Self {
        Self {
            jti,
            sub,
            iss: None,
            iat,
            exp,
            sid: None,
            memo: None,
        }
    }

    /// Where the backend may keep what it derives from this token's identifiers (the keys
    /// it looks them up by), computed once per cached token instead of on every request:
    /// `None` for a token the verified-token cache does not keep. Never a place for the
    /// answer: a revocation made after the first check must still refuse the token.
    pub fn memo(&self) -> Option<&'a TokenMemo> {
        self.memo
    }

    /// The same query for a token of session `sid` (which is per issuer: give
    /// [`with_issuer`](Self::with_issuer) too).
    #[must_use]
    pub fn with_session(mut self, sid: &'a str) -> Self {
        self.sid = Some(sid);
        self
    }

    /// The same query for a token of issuer `iss`.
    #[must_use]
    pub fn with_issuer(mut self, iss: &'a str) -> Self {
        self.iss = Some(iss);
        self
    }
}

/// A revocation backend the library can also write to: what a back-channel logout receiver
/// ([`BackChannelLogout`](crate::token::BackChannelLogout)) needs. [`InMemoryRevocation`] and
/// `store::RedisRevocation` (feature `redis`) implement it.
pub trait RevocationStore: Revocation {
    /// Revokes the token with this `jti`, which expires at `exp`.
    fn revoke_jti<'a>(
        &'a self,
        jti: &'a str,
        exp: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>>;

    /// Revokes the tokens of subject `sub` of issuer `iss` issued before `issued_before`,
    /// for tokens expiring by `until`.
    fn revoke_subject_of<'a>(
        &'a self,
        iss: &'a str,
        sub: &'a str,
        issued_before: u64,
        until: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>>;

    /// Revokes the tokens of session `sid` of issuer `iss` issued before `issued_before`,
    /// for tokens expiring by `until`.
    fn revoke_session<'a>(
        &'a self,
        iss: &'a str,
        sid: &'a str,
        issued_before: u64,
        until: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>>;

    /// Whether the back-channel logout token `jti` of issuer `iss` was received before: its
    /// replay marker ([`record_logout`](Self::record_logout)) is held.
    fn logout_received<'a>(
        &'a self,
        iss: &'a str,
        jti: &'a str,
    ) -> BoxFuture<'a, Result<bool, RevocationError>>;

    /// Records the replay marker of the back-channel logout token `jti` of issuer `iss`, held
    /// until `until` (unix seconds: when that token is refused anyway), unless one is held
    /// already; returns whether this call recorded it. Atomic: of two concurrent calls, one
    /// answers `true`.
    ///
    /// Markers live in a key space of their own, keyed by (issuer, `jti`): never in the `jti`
    /// deny-list of [`revoke_jti`](Self::revoke_jti), so that one issuer's logout token can
    /// neither revoke an access token nor pre-empt another issuer's logout with the same
    /// `jti`. The receiver records the marker only after the revocations are stored, so a
    /// failure in between leaves the provider's retry accepted.
    fn record_logout<'a>(
        &'a self,
        iss: &'a str,
        jti: &'a str,
        until: u64,
    ) -> BoxFuture<'a, Result<bool, RevocationError>>;
}

impl<T: RevocationStore + ?Sized> RevocationStore for std::sync::Arc<T> {
    fn revoke_jti<'a>(
        &'a self,
        jti: &'a str,
        exp: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        (**self).revoke_jti(jti, exp)
    }

    fn revoke_subject_of<'a>(
        &'a self,
        iss: &'a str,
        sub: &'a str,
        issued_before: u64,
        until: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        (**self).revoke_subject_of(iss, sub, issued_before, until)
    }

    fn revoke_session<'a>(
        &'a self,
        iss: &'a str,
        sid: &'a str,
        issued_before: u64,
        until: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        (**self).revoke_session(iss, sid, issued_before, until)
    }

    fn logout_received<'a>(
        &'a self,
        iss: &'a str,
        jti: &'a str,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        (**self).logout_received(iss, jti)
    }

    fn record_logout<'a>(
        &'a self,
        iss: &'a str,
        jti: &'a str,
        until: u64,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        (**self).record_logout(iss, jti, until)
    }
}

/// A shared list: the validator consults it while the application revokes through another
/// handle to the same value.
impl<T: Revocation + ?Sized> Revocation for std::sync::Arc<T> {
    fn check<'a>(
        &'a self,
        token: RevocationQuery<'a>,
    ) -> BoxFuture<'a, Result<RevocationStatus, RevocationError>> {
        (**self).check(token)
    }

    fn check_now(
        &self,
        token: &RevocationQuery<'_>,
    ) -> Option<Result<RevocationStatus, RevocationError>> {
        (**self).check_now(token)
    }
}
