use core::fmt;

use super::Algorithm;

/// How a [`TokenError`] should be answered (RFC 6750 section 3.1), so that an HTTP adapter can
/// choose the status and the `error` code of the `WWW-Authenticate` challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCategory {
    /// `invalid_request`, HTTP 400: the request carries no usable token at all.
    InvalidRequest,
    /// `invalid_token`, HTTP 401: the token is malformed, expired, revoked or otherwise invalid.
    InvalidToken,
    /// HTTP 503: a dependency needed to decide (key source, revocation backend) is unavailable.
    /// The token may be fine; the client may retry later.
    Unavailable,
}

impl ErrorCategory {
    /// The HTTP status this category is answered with.
    pub const fn http_status(self) -> u16 {
        match self {
            Self::InvalidRequest => 400,
            Self::InvalidToken => 401,
            Self::Unavailable => 503,
        }
    }

    /// The RFC 6750 `error` code, when there is one.
    pub const fn rfc6750_code(self) -> Option<&'static str> {
        match self {
            Self::InvalidRequest => Some("invalid_request"),
            Self::InvalidToken => Some("invalid_token"),
            Self::Unavailable => None,
        }
    }
}

/// Which part of a compact JWS could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenPart {
    /// The protected header (first segment).
    Header,
    /// The payload (second segment).
    Payload,
    /// The signature (third segment).
    Signature,
}

impl fmt::Display for TokenPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Header => "header",
            Self::Payload => "payload",
            Self::Signature => "signature",
        })
    }
}

/// Why a bearer token was refused.
///
/// `Display` gives the detailed reason for logs; [`TokenError::description`] a short text that
/// is safe to send to the client; [`TokenError::category`] the RFC 6750 category. Neither
/// ever contains the token, a key, or a claim value. A `kid` from the token appears in
/// `Display` only escaped and cut to 64 characters.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token string is empty.
    #[error("the bearer token is empty")]
    Empty,
    /// The token is longer than the configured maximum; nothing of it was decoded.
    #[error("the token is {len} bytes long, more than the maximum of {max}")]
    TooLong {
        /// The token's length in bytes.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// The token is not three dot-separated segments (JWS compact serialization).
    #[error("the token has {segments} segments; a signed JWT has exactly 3")]
    Segments {
        /// How many segments the token had.
        segments: usize,
    },
    /// A segment is not valid unpadded base64url.
    #[error("the token's {0} is not valid unpadded base64url")]
    Base64(TokenPart),
    /// The header or payload is not a JSON object, or a header field has the wrong type.
    #[error("the token's {part} is not a valid JSON object ({reason})")]
    Json {
        /// Header or payload.
        part: TokenPart,
        /// What is wrong, without any of the token's content.
        reason: &'static str,
    },
    /// The header says `alg: none` (in any spelling): the token is unsigned.
    #[error("the token is unsigned (alg \"none\")")]
    Unsigned,
    /// The header's `alg` is not an algorithm this library implements.
    #[error("the token's alg is not a supported JWS algorithm")]
    UnsupportedAlgorithm,
    /// The header's `alg` is supported but not in the validator's allowlist.
    #[error("the token's alg {0} is not allowed by this validator")]
    AlgorithmNotAllowed(Algorithm),
    /// The header has a `crit` parameter naming extensions this library does not implement
    /// (RFC 7515 section 4.1.11).
    #[error("the token's header lists critical extensions (crit) that are not understood")]
    UnsupportedCritical,
    /// The header's `typ` is missing or not the required one.
    #[error("the token's typ header is missing or not the required media type")]
    WrongType,
    /// The header's `kid` is longer than the cap.
    #[error("the token's kid is {len} bytes long, more than the maximum of {max}")]
    KidTooLong {
        /// The `kid`'s length in bytes.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// No known key has this `kid` and can verify this `alg`.
    #[error("no key for kid {} and alg {alg}", DisplayKid(.kid.as_deref()))]
    UnknownKey {
        /// The token's `kid`, if it had one.
        kid: Option<String>,
        /// The token's algorithm.
        alg: Algorithm,
    },
    /// The token has no `kid`, and more than one key could verify its `alg`.
    #[error("the token has no kid and {candidates} keys could verify alg {alg}")]
    AmbiguousKey {
        /// How many keys fit.
        candidates: usize,
        /// The token's algorithm.
        alg: Algorithm,
    },
    /// The signature does not verify with the selected key.
    #[error("the signature does not verify (alg {alg}, kid {})", DisplayKid(.kid.as_deref()))]
    BadSignature {
        /// The token's `kid`, if it had one.
        kid: Option<String>,
        /// The token's algorithm.
        alg: Algorithm,
    },
    /// A registered claim has the wrong JSON type (for example `exp` as a string or `aud` as a
    /// number). Never treated as absent.
    #[error("the registered claim `{0}` has the wrong JSON type")]
    ClaimType(&'static str),
    /// A claim that is required is absent.
    #[error("the required claim `{0}` is missing")]
    MissingClaim(&'static str),
    /// A claim required to have a given value
    /// ([`ValidatorBuilder::require_claim`](super::ValidatorBuilder::require_claim)) has
    /// another one: the token is of another kind (a Cognito ID token where an access token is
    /// required). The value is not repeated.
    #[error("the claim `{0}` does not have the value this validator requires")]
    ClaimValue(&'static str),
    /// `exp` is in the past (beyond the leeway).
    #[error("the token expired at {exp} (now {now}, leeway {leeway} s)")]
    Expired {
        /// The `exp` claim.
        exp: u64,
        /// The validator's clock.
        now: u64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// `nbf` is in the future (beyond the leeway).
    #[error("the token is not valid before {nbf} (now {now}, leeway {leeway} s)")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: u64,
        /// The validator's clock.
        now: u64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// `iat` is in the future (beyond the leeway).
    #[error("the token claims to be issued at {iat}, in the future (now {now}, leeway {leeway} s)")]
    IssuedInFuture {
        /// The `iat` claim.
        iat: u64,
        /// The validator's clock.
        now: u64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// The token was issued longer ago than the configured maximum age.
    #[error("the token was issued at {iat}, more than {max_age} s ago (now {now})")]
    TooOld {
        /// The `iat` claim.
        iat: u64,
        /// The validator's clock.
        now: u64,
        /// The maximum age in seconds.
        max_age: u64,
    },
    /// The token lives longer than the configured maximum lifetime: `exp - iat`, or without
    /// `iat`, `exp - now`.
    #[error("the token lives {lifetime} s, more than the maximum of {max} s")]
    LifetimeTooLong {
        /// The lifetime measured, in seconds.
        lifetime: u64,
        /// The configured maximum.
        max: u64,
    },
    /// `iss` is not one of the accepted issuers.
    #[error("the token's issuer is not accepted")]
    WrongIssuer,
    /// No `aud` value is one of the accepted audiences.
    #[error("the token's audience is not accepted")]
    WrongAudience,
    /// The payload does not deserialize into the claims type.
    #[error("the token's claims do not fit the claims type: {0}")]
    Claims(ClaimsMismatch),
    /// The token's tenant claim names a tenant its issuer may not speak for: a trusted issuer
    /// speaks only for the tenants declared with [`Issuer::tenants`](super::Issuer::tenants)
    /// (or any, with [`Issuer::any_tenant`](super::Issuer::any_tenant)); with several issuers
    /// trusted, an issuer that declares neither asserts no tenant at all.
    #[error(
        "the token's issuer may not speak for the tenant it names: declare the issuer's tenants with Issuer::tenants([..]) (or Issuer::any_tenant() for your own identity provider)"
    )]
    TenantNotAllowed,
    /// The revocation hook says the token was revoked.
    #[error("the token was revoked")]
    Revoked,
    /// The token is an OpenID Connect back-channel logout token (its `events` names
    /// [`BACKCHANNEL_LOGOUT_EVENT`](super::BACKCHANNEL_LOGOUT_EVENT)): it is addressed to the
    /// client's logout endpoint, and is never accepted as an access token, even when the
    /// audiences coincide and no `typ` is required.
    #[error("the token is a back-channel logout token, not an access token")]
    LogoutToken,
    /// No key could be obtained (remote JWKS or discovery unreachable and nothing cached).
    ///
    /// Shows the fetch error (a URL, redacted, and what failed) rather than returning it as
    /// the source: what operators read in a log line that prints this error alone.
    #[error("no signing keys are available: {0}")]
    KeysUnavailable(FetchError),
    /// The revocation backend failed; the token could not be checked. Holds the backend's
    /// error.
    #[error("the revocation check failed")]
    RevocationUnavailable(#[source] super::revocation::RevocationError),
}

impl TokenError {
    /// The RFC 6750 category, which decides the HTTP status.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Self::Empty => ErrorCategory::InvalidRequest,
            Self::KeysUnavailable(_) | Self::RevocationUnavailable(_) => ErrorCategory::Unavailable,
            _ => ErrorCategory::InvalidToken,
        }
    }

    /// A short description that is safe to send to the client (the RFC 6750
    /// `error_description`): no token, key or claim content, and no detail that helps an
    /// attacker more than the client.
    pub fn description(&self) -> &'static str {
        match self {
            Self::Empty => "the bearer token is empty",
            Self::TooLong { .. } => "the token is too long",
            Self::Segments { .. }
            | Self::Base64(_)
            | Self::Json { .. }
            | Self::KidTooLong { .. } => "the token is malformed",
            Self::Unsigned
            | Self::UnsupportedAlgorithm
            | Self::AlgorithmNotAllowed(_)
            | Self::UnsupportedCritical
            | Self::WrongType => "the token's header is not acceptable",
            Self::UnknownKey { .. } | Self::AmbiguousKey { .. } => {
                "the token is signed with an unknown key"
            }
            Self::BadSignature { .. } => "the token's signature is invalid",
            Self::ClaimType(_) | Self::MissingClaim(_) | Self::ClaimValue(_) | Self::Claims(_) => {
                "the token's claims are invalid"
            }
            Self::Expired { .. } => "the token has expired",
            Self::NotYetValid { .. } | Self::IssuedInFuture { .. } => "the token is not yet valid",
            Self::TooOld { .. } => "the token is too old",
            Self::LifetimeTooLong { .. } => {
                "the token's lifetime is longer than this service accepts"
            }
            Self::WrongIssuer => "the token's issuer is not accepted",
            Self::WrongAudience => "the token is not meant for this audience",
            Self::TenantNotAllowed => "the token's issuer may not speak for its tenant",
            Self::Revoked => "the token has been revoked",
            Self::LogoutToken => "a logout token is not an access token",
            Self::KeysUnavailable(_) => "the signing keys are temporarily unavailable",
            Self::RevocationUnavailable(_) => "the token cannot be checked right now",
        }
    }
}

/// Why the payload did not deserialize into the claims type. Keeps the field name when serde
/// names one, and otherwise only the position: serde's messages quote claim values.
#[derive(Debug)]
pub struct ClaimsMismatch {
    message: String,
}

impl ClaimsMismatch {
    pub(crate) fn from_serde(error: &serde_json::Error) -> Self {
        let text = error.to_string();
        let names_only = ["missing field", "unknown field", "duplicate field"];
        let message = if names_only.iter().any(|p| text.starts_with(p)) {
            // "missing field `roles` at line 1 column 40": field names come from the claims
            // type (or are bounded by the token length for `unknown field`).
            text.chars().take(160).collect()
        } else {
            format!("invalid value at column {}", error.column())
        };
        Self { message }
    }
}

impl fmt::Display for ClaimsMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Shows a token's `kid` for logs: escaped, cut to 64 characters.
struct DisplayKid<'a>(Option<&'a str>);

impl fmt::Display for DisplayKid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("(none)"),
            Some(kid) => {
                let cut: String = kid.chars().take(64).collect();
                write!(f, "{:?}", cut)?;
                if cut.len() < kid.len() {
                    f.write_str("…")
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// A validator configuration that is unsafe or cannot work, reported by
/// [`ValidatorBuilder::build`](super::ValidatorBuilder::build).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The algorithm allowlist is empty.
    #[error("no algorithms are allowed: call `algorithms([...])` with the ones your issuer uses")]
    NoAlgorithms,
    /// No key source was given.
    #[error("no keys: add a static key, a JWKS, a JWKS URL or an OIDC issuer")]
    NoKeys,
    /// No issuer was configured and the check was not explicitly switched off.
    #[error(
        "no issuer configured: call `issuer(..)`, or `dangerously_accept_any_issuer()` if every \
         key belongs to one issuer"
    )]
    NoIssuer,
    /// No audience was configured and the check was not explicitly switched off.
    #[error(
        "no audience configured: call `audience(..)`, or `dangerously_accept_any_audience()` if \
         no other service accepts tokens from these keys"
    )]
    NoAudience,
    /// An HMAC secret is shorter than the hash output of an HMAC algorithm allowed with it.
    #[error(
        "the HMAC secret is {len} bytes, shorter than the {min} bytes {alg} requires (RFC 7518 3.2)"
    )]
    HmacSecretTooShort {
        /// The algorithm.
        alg: Algorithm,
        /// The secret's length.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// HMAC secrets and public keys (or HMAC and asymmetric algorithms) were mixed.
    #[error(
        "HMAC (shared secret) and asymmetric keys or algorithms are mixed in one validator; \
         use one validator per kind"
    )]
    MixedKeyKinds,
    /// A key cannot be used with any allowed algorithm.
    #[error("key {index} (kid {kid:?}) cannot be used with any allowed algorithm")]
    KeyUnusable {
        /// The key's position among the static keys.
        index: usize,
        /// Its `kid`.
        kid: Option<String>,
    },
    /// Several issuers are accepted and keys were given without saying whose they are
    /// (RFC 8725 section 3.8: a key verifies only its own issuer's tokens).
    #[error(
        "several issuers are accepted, so keys must say whose they are: give each issuer its \
         keys with `trust(Issuer::new(..).key(..))` or `oidc_issuer(..)` instead of `key`, \
         `jwks_json` or `jwks_url`"
    )]
    KeysWithoutIssuer,
    /// An accepted issuer has no keys, so none of its tokens could verify.
    #[error(
        "the issuer {0:?} is accepted but has no keys: give it keys with `trust(Issuer::new(..))`"
    )]
    IssuerWithoutKeys(String),
    /// An issuer was given keys twice (two `trust` calls, or `trust` and unbound keys).
    #[error("the issuer {0:?} was given keys twice: give all of its keys in one `Issuer`")]
    IssuerKeysTwice(String),
    /// A key could not be read.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A URL is not valid, not HTTP(S), or plain HTTP to a host that is not loopback.
    #[error("{0}")]
    Url(String),
    /// The leeway is larger than the 5 minute cap.
    #[error("a leeway of {0} s is larger than the 300 s cap")]
    LeewayTooLarge(u64),
    /// A limit is zero or otherwise unusable.
    #[error("{0}")]
    Limit(&'static str),
    /// The HTTP client could not be created.
    #[error("the HTTP client could not be created: {0}")]
    HttpClient(String),
    /// A file could not be read.
    #[error("cannot read {path}")]
    File {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        error: std::io::Error,
    },
}

/// A key (PEM, DER, JWK or JWKS entry) that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not valid PEM, or not a public key or certificate this library reads.
    #[error("not a readable PEM public key or certificate")]
    Pem,
    /// Not a DER SubjectPublicKeyInfo or PKCS#1 RSA public key.
    #[error("not a DER SubjectPublicKeyInfo or PKCS#1 RSAPublicKey")]
    Der,
    /// A JWK or JWKS document that is not valid JSON of the right shape.
    #[error("not a valid JWK/JWKS document: {0}")]
    Json(String),
    /// A JWK member is missing, has the wrong type, or is not base64url.
    #[error("JWK member `{0}` is missing or invalid")]
    JwkMember(&'static str),
    /// The key type or curve is not supported.
    #[error("unsupported key type or curve")]
    Unsupported,
    /// An RSA modulus under 2048 bits.
    #[error("RSA key of {0} bits; at least 2048 are required")]
    RsaTooSmall(usize),
    /// The JWK's `alg` does not fit its key type.
    #[error("the JWK's alg does not fit its key type")]
    AlgMismatch,
    /// An HMAC secret that is empty.
    #[error("the HMAC secret is empty")]
    EmptySecret,
    /// A `kid` longer than the cap.
    #[error("kid longer than {0} bytes")]
    KidTooLong(usize),
    /// Two keys in one set share a `kid`.
    #[error("duplicate kid {0:?} in one key set")]
    DuplicateKid(String),
}

/// Why a remote key set could not be fetched (feature `remote`). URLs appear redacted: no user
/// name, password or query string.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The request failed: no connection, a timeout, a broken body. `source` is the HTTP
    /// client's error, with its URL removed.
    #[error("GET {url}: {what}")]
    Request {
        /// The URL, redacted.
        url: String,
        /// What failed: `timed out`, `cannot connect`, `bad response body`, `request failed`.
        what: &'static str,
        /// The HTTP client's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The server answered with a status other than 2xx.
    #[error("GET {url}: HTTP status {status}")]
    Status {
        /// The URL, redacted.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The response is larger than `RemoteConfig::max_response_bytes`.
    #[error("GET {url}: response larger than {max} bytes")]
    TooLarge {
        /// The URL, redacted.
        url: String,
        /// The limit.
        max: usize,
    },
    /// The discovery document is not an OpenID provider configuration.
    #[error(
        "{url}: not an OpenID provider configuration ({category} error at line {line} column {column})"
    )]
    NotDiscovery {
        /// The URL, redacted.
        url: String,
        /// serde_json's category of the error (`Syntax`, `Data`, `Eof`, `Io`).
        category: &'static str,
        /// Where in the document.
        line: usize,
        /// Where in the document.
        column: usize,
    },
    /// The discovery document names another issuer than the one configured (OpenID Connect
    /// Discovery 1.0 section 4.3).
    #[error(
        "{url}: the discovery document names issuer {found:?}, not the configured {expected:?}"
    )]
    IssuerMismatch {
        /// The URL, redacted.
        url: String,
        /// The issuer the document names, cut to 200 characters.
        found: String,
        /// The configured issuer.
        expected: String,
    },
    /// The discovery document's `jwks_uri` is not a URL this library fetches.
    #[error("{url}: jwks_uri: {reason}")]
    JwksUri {
        /// The discovery document's URL, redacted.
        url: String,
        /// Why the `jwks_uri` was refused.
        reason: String,
    },
    /// The key set document is not a JWKS.
    #[error("{url}: not a usable key set")]
    Keys {
        /// The URL, redacted.
        url: String,
        /// Why the document was refused.
        #[source]
        source: KeyError,
    },
    /// The last fetch failed less than the refetch cooldown ago, and no earlier key set is
    /// usable.
    #[error("no current key set could be fetched; retrying after the cooldown")]
    CoolingDown,
}
