use core::fmt;
use core::str::FromStr;

/// A JWS signature algorithm (RFC 7518 section 3, RFC 8037).
///
/// `none` is not one of them, in any spelling: an unsigned token can never be accepted.
/// Parsing accepts the RFC 9864 fully-specified name `Ed25519` as [`Algorithm::EdDSA`]
/// (the only EdDSA curve supported).
///
/// ```
/// use authz_core::Algorithm;
/// assert_eq!("Ed25519".parse::<Algorithm>(), Ok(Algorithm::EdDSA));
/// assert_eq!("RS256".parse::<Algorithm>().map(|a| a.name()), Ok("RS256"));
/// assert!("none".parse::<Algorithm>().is_err());
/// assert!("rs256".parse::<Algorithm>().is_err()); // names are case-sensitive (RFC 7515 4.1.1)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// EdDSA on Ed25519 (also accepted under its RFC 9864 name `Ed25519`).
    EdDSA,
}

/// The family of keys an algorithm works with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Family {
    Hmac,
    Rsa,
    EcP256,
    EcP384,
    Ed25519,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Self; 12] = [
        Self::HS256,
        Self::HS384,
        Self::HS512,
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::EdDSA,
    ];

    /// The name used in a JWS header `alg`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    /// `true` for the HMAC (shared secret) algorithms.
    pub const fn is_symmetric(self) -> bool {
        matches!(self, Self::HS256 | Self::HS384 | Self::HS512)
    }

    pub(crate) const fn family(self) -> Family {
        match self {
            Self::HS256 | Self::HS384 | Self::HS512 => Family::Hmac,
            Self::RS256 | Self::RS384 | Self::RS512 | Self::PS256 | Self::PS384 | Self::PS512 => {
                Family::Rsa
            }
            Self::ES256 => Family::EcP256,
            Self::ES384 => Family::EcP384,
            Self::EdDSA => Family::Ed25519,
        }
    }

    /// The HMAC output length in bytes, which is also the shortest secret allowed
    /// (RFC 7518 section 3.2).
    pub(crate) const fn hmac_min_secret(self) -> Option<usize> {
        match self {
            Self::HS256 => Some(32),
            Self::HS384 => Some(48),
            Self::HS512 => Some(64),
            _ => None,
        }
    }

    pub(crate) const fn to_jwt(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as J;
        match self {
            Self::HS256 => J::HS256,
            Self::HS384 => J::HS384,
            Self::HS512 => J::HS512,
            Self::RS256 => J::RS256,
            Self::RS384 => J::RS384,
            Self::RS512 => J::RS512,
            Self::PS256 => J::PS256,
            Self::PS384 => J::PS384,
            Self::PS512 => J::PS512,
            Self::ES256 => J::ES256,
            Self::ES384 => J::ES384,
            Self::EdDSA => J::EdDSA,
        }
    }

    /// The position in [`Algorithm::ALL`].
    #[cfg(feature = "aws_lc_rs")]
    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// Parses a header or JWK `alg` value. Case-sensitive, as RFC 7515 requires.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "HS256" => Self::HS256,
            "HS384" => Self::HS384,
            "HS512" => Self::HS512,
            "RS256" => Self::RS256,
            "RS384" => Self::RS384,
            "RS512" => Self::RS512,
            "PS256" => Self::PS256,
            "PS384" => Self::PS384,
            "PS512" => Self::PS512,
            "ES256" => Self::ES256,
            "ES384" => Self::ES384,
            "EdDSA" | "Ed25519" => Self::EdDSA,
            _ => return None,
        })
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an [`Algorithm`] from a name that is not a supported algorithm.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a supported JWS algorithm name")]
pub struct UnknownAlgorithm;

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;
    fn from_str(s: &str) -> Result<Self, UnknownAlgorithm> {
        Self::from_name(s).ok_or(UnknownAlgorithm)
    }
}

#[cfg(all(test, feature = "aws_lc_rs"))]
mod tests {
    use super::Algorithm;

    #[test]
    fn index_is_the_position_in_all() {
        for (i, alg) in Algorithm::ALL.into_iter().enumerate() {
            assert_eq!(alg.index(), i, "{alg:?}");
        }
    }
}
