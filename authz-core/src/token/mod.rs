//! Bearer-token validation: signed JWTs (RFC 7519) checked with the secure defaults of
//! RFC 8725 and RFC 9068, into the user's `#[derive(Claims)]` struct.
//!
//! See [`Validator`] and the crate documentation.

mod algorithm;
mod cache;
mod claims;
mod clock;
mod error;
#[cfg(feature = "remote")]
mod jwks;
mod keys;
mod logout;
mod logout_endpoint;
mod provider;
pub(crate) mod revocation;
mod validator;

pub use algorithm::{Algorithm, UnknownAlgorithm};
pub use cache::CacheStats;
pub use clock::Clock;
pub use error::{
    ClaimsMismatch, ConfigError, ErrorCategory, FetchError, KeyError, TokenError, TokenPart,
};
#[cfg(feature = "remote")]
pub use jwks::{RemoteConfig, redact_url};
pub use keys::{Key, MAX_KID_LEN};
pub use logout::{
    BACKCHANNEL_LOGOUT_EVENT, BackChannelLogout, Logout, LogoutError, LogoutWithoutStore,
};
pub use logout_endpoint::{LogoutResponse, MAX_LOGOUT_BODY};
pub use revocation::{
    BoxFuture, InMemoryRevocation, Revocation, RevocationError, RevocationQuery, RevocationStatus,
    RevocationStore, TokenMemo,
};
pub use validator::{
    DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_LEN, Issuer, Validated, Validator, ValidatorBuilder,
};
