//! Verification keys: static ones from PEM, DER, JWK or JWKS, and the set they are chosen from.

use core::fmt;
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::DecodingKey;
use serde::Deserialize;

use super::algorithm::{Algorithm, Family};
use super::error::{KeyError, TokenError};
use super::provider::provider;

/// The longest `kid` compared, in bytes, on keys and on tokens.
pub const MAX_KID_LEN: usize = 256;

const MIN_RSA_BITS: usize = 2048;

/// A public key (or HMAC secret) that verifies token signatures, with the algorithms it may
/// be used with: only those of its own type (RSA, P-256, P-384, Ed25519, HMAC), and only
/// the one its JWK `alg` names when it names one.
///
/// `Debug` shows the `kid` and the key type, never the key.
///
/// ```
/// use authz_core::{Algorithm, Key};
/// let key = Key::hmac_secret(b"a secret of at least thirty-two bytes!!").with_kid("k1");
/// assert_eq!(key.kid(), Some("k1"));
/// assert!(!format!("{key:?}").contains("secret"));
/// assert!(Key::from_pem("not pem").is_err());
/// let jwk = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"Ed25519"}"#;
/// assert_eq!(Key::from_jwk(jwk).unwrap().algorithm(), Some(Algorithm::EdDSA));
/// ```
#[derive(Clone)]
pub struct Key {
    kid: Option<String>,
    family: Family,
    alg: Option<Algorithm>,
    decoding: Arc<DecodingKey>,
    secret_len: usize,
    /// Whether a key without `kid` may verify a token that names a `kid` no key carries: true
    /// for a key configured on its own, false for a key read from a JWKS document, where an
    /// unknown `kid` means the set has rotated and must be fetched again.
    stands_in: bool,
    /// What is derived from the key material once and shared by every clone.
    derived: Arc<Derived>,
}

/// Work done once per key rather than once per token.
#[derive(Default)]
struct Derived {
    /// SHA-256 of the key material, computed on first use (by the verified-token cache).
    fingerprint: OnceLock<[u8; 32]>,
    /// The public key parsed by aws-lc-rs for each algorithm it is used with (indexed by
    /// [`Algorithm::index`]), on first use; `None` when the material does not parse for it.
    /// jsonwebtoken 11 parses the key again on every verification (for RSA from `n` and `e`,
    /// with a Montgomery set-up each time); verifying with a key parsed once is the same
    /// aws-lc-rs check without that repeated work.
    #[cfg(feature = "aws_lc_rs")]
    parsed: [OnceLock<Option<aws_lc_rs::signature::ParsedPublicKey>>; Algorithm::ALL.len()],
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("type", &self.family)
            .field("alg", &self.alg)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl Key {
    /// An HMAC shared secret (for HS256/384/512). `build()` refuses it when it is shorter than
    /// the hash output of an allowed HMAC algorithm (RFC 7518 section 3.2). An empty secret
    /// is refused when the validator is built.
    pub fn hmac_secret(secret: impl AsRef<[u8]>) -> Self {
        let secret = secret.as_ref();
        Self {
            kid: None,
            family: Family::Hmac,
            alg: None,
            decoding: Arc::new(DecodingKey::from_secret(secret)),
            secret_len: secret.len(),
            stands_in: true,
            derived: Arc::default(),
        }
    }

    /// A public key or certificate in PEM: `PUBLIC KEY` (SubjectPublicKeyInfo: RSA, P-256,
    /// P-384 or Ed25519), `RSA PUBLIC KEY` (PKCS#1) or `CERTIFICATE` (its public key is used;
    /// the certificate itself is not validated).
    pub fn from_pem(pem: impl AsRef<[u8]>) -> Result<Self, KeyError> {
        let pem = pem.as_ref();
        if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
            let der = key.try_get_as_bytes().map_err(|_| KeyError::Pem)?;
            let (n, _e) = (provider().key_utils.rsa_pub_components_from_public_key)(der)
                .map_err(|_| KeyError::Pem)?;
            check_rsa_bits(&n)?;
            return Ok(Self::asymmetric(Family::Rsa, key));
        }
        if let Ok(key) = DecodingKey::from_ec_pem(pem) {
            let point = key.try_get_as_bytes().map_err(|_| KeyError::Pem)?;
            let family = match point.len() {
                65 => Family::EcP256,
                97 => Family::EcP384,
                _ => return Err(KeyError::Unsupported),
            };
            return Ok(Self::asymmetric(family, key));
        }
        if let Ok(key) = DecodingKey::from_ed_pem(pem) {
            if key.try_get_as_bytes().map_err(|_| KeyError::Pem)?.len() != 32 {
                return Err(KeyError::Unsupported);
            }
            return Ok(Self::asymmetric(Family::Ed25519, key));
        }
        Err(KeyError::Pem)
    }

    /// A public key in DER: a SubjectPublicKeyInfo (RSA, P-256, P-384, Ed25519) or a PKCS#1
    /// RSAPublicKey.
    pub fn from_der(der: impl AsRef<[u8]>) -> Result<Self, KeyError> {
        let der = der.as_ref();
        // The PEM reader is the one DER parser at hand: armor the bytes and let it classify.
        for label in ["PUBLIC KEY", "RSA PUBLIC KEY"] {
            if let Ok(key) = Self::from_pem(armor(label, der)) {
                return Ok(key);
            }
        }
        Err(KeyError::Der)
    }

    /// A PEM file, read at once.
    pub fn from_pem_file(path: impl AsRef<std::path::Path>) -> Result<Self, super::ConfigError> {
        let bytes = read_file(path.as_ref())?;
        Ok(Self::from_pem(bytes)?)
    }

    /// One JWK (RFC 7517) as JSON. `kty` `RSA`, `EC` (`P-256`, `P-384`), `OKP` (`Ed25519`) or
    /// `oct` (an HMAC secret; only for static keys). Its `kid` is kept; its `alg`, when
    /// present, binds the key to that algorithm (`Ed25519` is read as `EdDSA`); `crv` binds
    /// the curve. A JWK whose `use` is not `sig` or whose `key_ops` lacks `verify` is refused.
    pub fn from_jwk(json: &str) -> Result<Self, KeyError> {
        let raw: RawJwk<'_> =
            serde_json::from_str(json).map_err(|e| KeyError::Json(json_error(&e)))?;
        match raw.into_key(true)? {
            JwkOutcome::Key(key) => Ok(key),
            JwkOutcome::Skip(reason) => Err(KeyError::Json(reason.to_string())),
        }
    }

    /// Names the key: a token whose header has this `kid` is verified with it.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Binds the key to one algorithm, as a JWK `alg` does.
    #[must_use]
    pub fn with_algorithm(mut self, alg: Algorithm) -> Self {
        self.alg = Some(alg);
        self
    }

    /// The key's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The one algorithm the key is bound to, if any.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.alg
    }

    /// `true` for an HMAC secret.
    pub fn is_symmetric(&self) -> bool {
        self.family == Family::Hmac
    }

    fn asymmetric(family: Family, decoding: DecodingKey) -> Self {
        Self {
            kid: None,
            family,
            alg: None,
            decoding: Arc::new(decoding),
            secret_len: 0,
            stands_in: true,
            derived: Arc::default(),
        }
    }

    pub(crate) fn allows(&self, alg: Algorithm) -> bool {
        alg.family() == self.family && self.alg.is_none_or(|bound| bound == alg)
    }

    /// Whether `signature` is a valid `alg` signature of `message` under this key. The caller
    /// has checked that the key [`allows`](Self::allows) `alg`.
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        #[cfg(feature = "aws_lc_rs")]
        if let Some(params) = AwsLcParams::of(alg) {
            let parsed =
                self.derived.parsed[alg.index()].get_or_init(|| params.parse(&self.decoding));
            return parsed
                .as_ref()
                .is_some_and(|key| key.verify_sig(message, signature).is_ok());
        }
        // HMAC (and every algorithm with the RustCrypto backend alone): jsonwebtoken's verifier,
        // which compares MACs in constant time (and takes the signature as a `Vec`).
        (provider().verifier_factory)(&alg.to_jwt(), &self.decoding)
            .is_ok_and(|verifier| verifier.verify(message, &signature.to_vec()).is_ok())
    }

    /// SHA-256 over the key's family and material: equal only for the same key.
    pub(crate) fn fingerprint(&self) -> &[u8; 32] {
        self.derived.fingerprint.get_or_init(|| {
            use jsonwebtoken::DecodingKeyKind;
            use sha2::{Digest, Sha256};
            let mut hasher = Sha256::new();
            hasher.update(format!("{:?}", self.family).as_bytes());
            match self.decoding.kind() {
                DecodingKeyKind::SecretOrDer(bytes) => {
                    hasher.update(b"der");
                    hasher.update((bytes.len() as u64).to_be_bytes());
                    hasher.update(bytes);
                }
                DecodingKeyKind::RsaModulusExponent { n, e } => {
                    hasher.update(b"n,e");
                    hasher.update((n.len() as u64).to_be_bytes());
                    hasher.update(n);
                    hasher.update(e);
                }
            }
            hasher.finalize().into()
        })
    }

    /// The static-key checks that `build()` runs: kid length, secret length, and that the
    /// key is usable with at least one allowed algorithm.
    pub(crate) fn check(&self, allowed: &[Algorithm]) -> Result<bool, super::ConfigError> {
        if self.kid.as_ref().is_some_and(|kid| kid.len() > MAX_KID_LEN) {
            return Err(KeyError::KidTooLong(MAX_KID_LEN).into());
        }
        if let Some(bound) = self.alg
            && bound.family() != self.family
        {
            return Err(KeyError::AlgMismatch.into());
        }
        if self.family == Family::Hmac {
            if self.secret_len == 0 {
                return Err(KeyError::EmptySecret.into());
            }
            for &alg in allowed.iter().filter(|alg| self.allows(**alg)) {
                let min = alg.hmac_min_secret().unwrap_or(0);
                if self.secret_len < min {
                    return Err(super::ConfigError::HmacSecretTooShort {
                        alg,
                        len: self.secret_len,
                        min,
                    });
                }
            }
        }
        Ok(allowed.iter().any(|alg| self.allows(*alg)))
    }
}

/// aws-lc-rs's verification algorithm for an asymmetric `alg`: the ones jsonwebtoken 11's
/// aws-lc-rs backend uses (RSA keys of 2048 to 8192 bits, fixed-size ECDSA signatures).
#[cfg(feature = "aws_lc_rs")]
enum AwsLcParams {
    Rsa(&'static aws_lc_rs::signature::RsaParameters),
    Other(&'static dyn aws_lc_rs::signature::VerificationAlgorithm),
}

#[cfg(feature = "aws_lc_rs")]
impl AwsLcParams {
    fn of(alg: Algorithm) -> Option<Self> {
        use aws_lc_rs::signature as s;
        Some(match alg {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => return None,
            Algorithm::RS256 => Self::Rsa(&s::RSA_PKCS1_2048_8192_SHA256),
            Algorithm::RS384 => Self::Rsa(&s::RSA_PKCS1_2048_8192_SHA384),
            Algorithm::RS512 => Self::Rsa(&s::RSA_PKCS1_2048_8192_SHA512),
            Algorithm::PS256 => Self::Rsa(&s::RSA_PSS_2048_8192_SHA256),
            Algorithm::PS384 => Self::Rsa(&s::RSA_PSS_2048_8192_SHA384),
            Algorithm::PS512 => Self::Rsa(&s::RSA_PSS_2048_8192_SHA512),
            Algorithm::ES256 => Self::Other(&s::ECDSA_P256_SHA256_FIXED),
            Algorithm::ES384 => Self::Other(&s::ECDSA_P384_SHA384_FIXED),
            Algorithm::EdDSA => Self::Other(&s::ED25519),
        })
    }

    /// The key material parsed for this algorithm, as jsonwebtoken's aws-lc-rs verifier parses
    /// it on each call: `UnparsedPublicKey` for DER and points (whose `verify` is this parse
    /// followed by `verify_sig`), `RsaPublicKeyComponents` for a JWK's `n` and `e`. The RSA
    /// key-size range is enforced by `verify_sig`, as before.
    fn parse(&self, key: &DecodingKey) -> Option<aws_lc_rs::signature::ParsedPublicKey> {
        use aws_lc_rs::signature::{ParsedPublicKey, RsaPublicKeyComponents};
        use jsonwebtoken::DecodingKeyKind;
        let any: &'static dyn aws_lc_rs::signature::VerificationAlgorithm = match *self {
            Self::Rsa(params) => params,
            Self::Other(params) => params,
        };
        match (self, key.kind()) {
            (_, DecodingKeyKind::SecretOrDer(bytes)) => ParsedPublicKey::new(any, bytes).ok(),
            (Self::Rsa(params), DecodingKeyKind::RsaModulusExponent { n, e }) => {
                RsaPublicKeyComponents { n, e }
                    .to_parsed_public_key(params)
                    .ok()
            }
            (Self::Other(_), DecodingKeyKind::RsaModulusExponent { .. }) => None,
        }
    }
}

fn armor(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(core::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

pub(crate) fn read_file(path: &std::path::Path) -> Result<Vec<u8>, super::ConfigError> {
    std::fs::read(path).map_err(|error| super::ConfigError::File {
        path: path.display().to_string(),
        error,
    })
}

fn check_rsa_bits(n: &[u8]) -> Result<(), KeyError> {
    let trimmed = match n.iter().position(|b| *b != 0) {
        Some(first) => &n[first..],
        None => return Err(KeyError::JwkMember("n")),
    };
    let bits = trimmed.len() * 8 - trimmed[0].leading_zeros() as usize;
    if bits < MIN_RSA_BITS {
        return Err(KeyError::RsaTooSmall(bits));
    }
    Ok(())
}

/// serde_json's message names a position, never a value, for the shapes read here.
fn json_error(e: &serde_json::Error) -> String {
    format!(
        "{:?} error at line {} column {}",
        e.classify(),
        e.line(),
        e.column()
    )
}

/// A JWKS document, already sorted into usable keys.
#[derive(Clone, Default)]
pub(crate) struct KeySet {
    keys: Vec<Key>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| k.kid()))
            .finish()
    }
}

/// Where a JWKS came from: static configuration may hold `oct` keys; a remote one never.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum JwksOrigin {
    Static,
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    Remote,
}

/// The result of reading a JWKS: the usable keys and what was skipped and why.
pub(crate) struct ParsedJwks {
    pub(crate) keys: Vec<Key>,
    pub(crate) skipped: Vec<(Option<String>, Skipped)>,
    pub(crate) duplicate_kids: Vec<String>,
}

/// Why a JWKS entry was not taken.
pub(crate) enum Skipped {
    /// Its `use` or `key_ops` say it is not for verifying signatures: expected in a JWKS.
    NotForVerification(&'static str),
    /// A kind of key this library does not verify with (type, curve, `alg`, or an `oct` key
    /// in a remote set).
    Unsupported(&'static str),
    /// A key of a supported kind that is broken.
    Invalid(KeyError),
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skipped::NotForVerification(reason) | Skipped::Unsupported(reason) => {
                f.write_str(reason)
            }
            Skipped::Invalid(error) => error.fmt(f),
        }
    }
}

impl Skipped {
    /// For a JWKS given in the configuration: the error `build()` reports, or `None` for a
    /// key that is simply not for verification.
    pub(crate) fn into_error(self, kid: Option<String>) -> Option<KeyError> {
        match self {
            Skipped::NotForVerification(_) => None,
            other => Some(KeyError::Json(format!("key {kid:?}: {other}"))),
        }
    }
}

#[derive(Deserialize)]
struct JwksDoc {
    keys: Vec<serde_json::Value>,
}

/// Reads a JWKS document (RFC 7517 section 5). Keys that cannot be used are skipped with a
/// reason; a document that is not `{"keys": [...]}` is an error.
pub(crate) fn parse_jwks(json: &[u8], origin: JwksOrigin) -> Result<ParsedJwks, KeyError> {
    let doc: JwksDoc = serde_json::from_slice(json).map_err(|e| KeyError::Json(json_error(&e)))?;
    let mut parsed = ParsedJwks {
        keys: Vec::new(),
        skipped: Vec::new(),
        duplicate_kids: Vec::new(),
    };
    for value in &doc.keys {
        let kid = value
            .get("kid")
            .and_then(|k| k.as_str())
            .map(|k| k.chars().take(64).collect());
        let raw = match RawJwk::deserialize(value) {
            Ok(raw) => raw,
            Err(e) => {
                let error = KeyError::Json(format!("invalid JWK: {}", json_error(&e)));
                parsed.skipped.push((kid, Skipped::Invalid(error)));
                continue;
            }
        };
        match raw.into_key(origin == JwksOrigin::Static) {
            Ok(JwkOutcome::Key(mut key)) => {
                // In a key set, an unknown `kid` means rotation: never answer it with a key
                // that has no `kid` (that would also keep the refetch from firing).
                key.stands_in = false;
                parsed.keys.push(key);
            }
            Ok(JwkOutcome::Skip(reason)) => parsed.skipped.push((kid, reason)),
            Err(e) => parsed.skipped.push((kid, Skipped::Invalid(e))),
        }
    }
    for (i, key) in parsed.keys.iter().enumerate() {
        if let Some(kid) = key.kid()
            && parsed.keys[..i]
                .iter()
                .any(|other| other.kid() == Some(kid))
            && !parsed.duplicate_kids.iter().any(|d| d == kid)
        {
            parsed.duplicate_kids.push(kid.chars().take(64).collect());
        }
    }
    Ok(parsed)
}

impl KeySet {
    pub(crate) fn new(keys: Vec<Key>) -> Self {
        Self { keys }
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The one key for this `kid` and `alg`. A `kid` is compared for equality only. A token
    /// that names a `kid` is verified only by a key with that `kid`, except that a key
    /// configured on its own (not read from a JWKS) without a `kid` stands in when no key
    /// carries the token's `kid`. When several keys fit, the token is refused rather than
    /// resolved by order.
    pub(crate) fn select(&self, kid: Option<&str>, alg: Algorithm) -> Result<&Key, TokenError> {
        let pick = |pred: &dyn Fn(&Key) -> bool| {
            let mut found = None;
            let mut count = 0usize;
            for key in self.keys.iter().filter(|k| k.allows(alg) && pred(k)) {
                count += 1;
                found.get_or_insert(key);
            }
            (found, count)
        };
        let (found, count) = match kid {
            Some(kid) => match pick(&|k| k.kid() == Some(kid)) {
                (None, _) => pick(&|k| k.kid().is_none() && k.stands_in),
                hit => hit,
            },
            None => pick(&|_| true),
        };
        match (found, count) {
            (Some(key), 1) => Ok(key),
            (None, _) => Err(TokenError::UnknownKey {
                kid: kid.map(str::to_owned),
                alg,
            }),
            (Some(_), candidates) => Err(TokenError::AmbiguousKey { candidates, alg }),
        }
    }

    /// `true` when [`KeySet::select`] would find a key (used to decide on a refetch).
    #[cfg(feature = "remote")]
    pub(crate) fn has_candidate(&self, kid: Option<&str>, alg: Algorithm) -> bool {
        !matches!(self.select(kid, alg), Err(TokenError::UnknownKey { .. }))
    }
}

/// A JWK as published. Every member has a strict type; unknown members are ignored.
#[derive(Deserialize)]
struct RawJwk<'a> {
    #[serde(borrow)]
    kty: Cow<'a, str>,
    #[serde(rename = "use", borrow, default)]
    use_: Option<Cow<'a, str>>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    #[serde(borrow, default)]
    alg: Option<Cow<'a, str>>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(borrow, default)]
    crv: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    n: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    e: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    x: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    y: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    k: Option<Cow<'a, str>>,
}

enum JwkOutcome {
    Key(Key),
    Skip(Skipped),
}

fn b64_member(value: Option<&Cow<'_, str>>, name: &'static str) -> Result<Vec<u8>, KeyError> {
    let value = value.ok_or(KeyError::JwkMember(name))?;
    URL_SAFE_NO_PAD
        .decode(value.as_bytes())
        .map_err(|_| KeyError::JwkMember(name))
}

impl RawJwk<'_> {
    fn into_key(self, allow_oct: bool) -> Result<JwkOutcome, KeyError> {
        if self.use_.as_deref().is_some_and(|u| u != "sig") {
            return Ok(JwkOutcome::Skip(Skipped::NotForVerification(
                "`use` is not `sig`",
            )));
        }
        if self
            .key_ops
            .as_ref()
            .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
        {
            return Ok(JwkOutcome::Skip(Skipped::NotForVerification(
                "`key_ops` does not include `verify`",
            )));
        }
        if self.kid.as_ref().is_some_and(|kid| kid.len() > MAX_KID_LEN) {
            return Err(KeyError::KidTooLong(MAX_KID_LEN));
        }
        let alg = match self.alg.as_deref() {
            None => None,
            Some(name) => match Algorithm::from_name(name) {
                Some(alg) => Some(alg),
                None => {
                    return Ok(JwkOutcome::Skip(Skipped::Unsupported(
                        "`alg` is not a supported signature algorithm",
                    )));
                }
            },
        };
        let (family, decoding, secret_len) = match (&*self.kty, self.crv.as_deref()) {
            ("RSA", _) => {
                let n = b64_member(self.n.as_ref(), "n")?;
                let e = b64_member(self.e.as_ref(), "e")?;
                if e.is_empty() || e.iter().all(|b| *b == 0) {
                    return Err(KeyError::JwkMember("e"));
                }
                check_rsa_bits(&n)?;
                (Family::Rsa, DecodingKey::from_rsa_raw_components(&n, &e), 0)
            }
            ("EC", Some(crv @ ("P-256" | "P-384"))) => {
                let (family, len) = if crv == "P-256" {
                    (Family::EcP256, 32)
                } else {
                    (Family::EcP384, 48)
                };
                let x = b64_member(self.x.as_ref(), "x")?;
                let y = b64_member(self.y.as_ref(), "y")?;
                if x.len() != len {
                    return Err(KeyError::JwkMember("x"));
                }
                if y.len() != len {
                    return Err(KeyError::JwkMember("y"));
                }
                let (Some(xs), Some(ys)) = (self.x.as_deref(), self.y.as_deref()) else {
                    return Err(KeyError::JwkMember("x"));
                };
                let key = DecodingKey::from_ec_components(xs, ys)
                    .map_err(|_| KeyError::JwkMember("x"))?;
                (family, key, 0)
            }
            ("OKP", Some("Ed25519")) => {
                let x = b64_member(self.x.as_ref(), "x")?;
                if x.len() != 32 {
                    return Err(KeyError::JwkMember("x"));
                }
                let Some(xs) = self.x.as_deref() else {
                    return Err(KeyError::JwkMember("x"));
                };
                let key =
                    DecodingKey::from_ed_components(xs).map_err(|_| KeyError::JwkMember("x"))?;
                (Family::Ed25519, key, 0)
            }
            ("oct", _) => {
                if !allow_oct {
                    return Ok(JwkOutcome::Skip(Skipped::Unsupported(
                        "symmetric (`oct`) keys are never taken from a remote JWKS",
                    )));
                }
                let k = b64_member(self.k.as_ref(), "k")?;
                (Family::Hmac, DecodingKey::from_secret(&k), k.len())
            }
            ("EC" | "OKP", _) => {
                return Ok(JwkOutcome::Skip(Skipped::Unsupported("unsupported curve")));
            }
            _ => {
                return Ok(JwkOutcome::Skip(Skipped::Unsupported(
                    "unsupported key type",
                )));
            }
        };
        if let Some(alg) = alg
            && alg.family() != family
        {
            return Err(KeyError::AlgMismatch);
        }
        Ok(JwkOutcome::Key(Key {
            kid: self.kid,
            family,
            alg,
            decoding: Arc::new(decoding),
            secret_len,
            stands_in: true,
            derived: Arc::default(),
        }))
    }
}
