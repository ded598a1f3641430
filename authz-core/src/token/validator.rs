//! The validator and its builder.

use core::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;

use super::algorithm::Algorithm;
use super::claims::{RawHeader, RawRegistered, parse_object};
use super::error::{ClaimsMismatch, ConfigError, TokenError, TokenPart};
use super::keys::{JwksOrigin, Key, KeySet, MAX_KID_LEN, parse_jwks, read_file};
use super::provider::install_process_default;
use super::revocation::{Revocation, RevocationQuery, RevocationStatus};
use crate::{Claims, RegisteredClaims};

/// Default leeway for `exp`, `nbf` and `iat`: 60 s, as Envoy's `jwt_authn` and jsonwebtoken.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
/// Default maximum token length: 8 KiB, the common HTTP header line limit.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 8 * 1024;
const MAX_LEEWAY_SECS: u64 = 300;

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Turns bearer tokens into the user's claims type, or into a [`TokenError`].
///
/// Cheap to clone (an `Arc`), `Send + Sync`; `Debug` shows the configuration without keys.
///
/// ```
/// use authz_core::{Algorithm, Claims, ErrorCategory, Key, TokenError, Validator};
///
/// #[derive(Debug, serde::Deserialize, Claims)]
/// struct MyClaims {
///     sub: String,
///     #[claims(scope)]
///     scope: Option<String>,
/// }
///
/// let secret = b"0123456789abcdef0123456789abcdef"; // at least 32 bytes for HS256
/// let validator = Validator::builder()
///     .algorithms([Algorithm::HS256])
///     .key(Key::hmac_secret(secret))
///     .issuer("https://id.example")
///     .audience("reports-api")
///     .build()
///     .unwrap();
///
/// // A token minted elsewhere (here by jsonwebtoken, with the same secret).
/// let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 60;
/// let claims = serde_json::json!({
///     "iss": "https://id.example", "aud": "reports-api", "sub": "alice", "exp": exp,
///     "scope": "reports:read",
/// });
/// let token = jsonwebtoken::encode(
///     &jsonwebtoken::Header::default(),
///     &claims,
///     &jsonwebtoken::EncodingKey::from_secret(secret),
/// ).unwrap();
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let ok = validator.validate::<MyClaims>(&token).await.unwrap();
/// assert_eq!(ok.claims.sub, "alice");
/// assert_eq!(ok.expires_at(), exp);
///
/// let err = validator.validate::<MyClaims>("not.a.token").await.unwrap_err();
/// assert_eq!(err.category(), ErrorCategory::InvalidToken);
/// assert_eq!(err.description(), "the token is malformed");
///
/// let wrong_audience = jsonwebtoken::encode(
///     &jsonwebtoken::Header::default(),
///     &serde_json::json!({ "iss": "https://id.example", "aud": "billing", "sub": "alice", "exp": exp }),
///     &jsonwebtoken::EncodingKey::from_secret(secret),
/// ).unwrap();
/// assert!(matches!(
///     validator.validate::<MyClaims>(&wrong_audience).await,
///     Err(TokenError::WrongAudience)
/// ));
/// # });
/// ```
#[derive(Clone)]
pub struct Validator {
    inner: Arc<Inner>,
}

struct Inner {
    algorithms: Vec<Algorithm>,
    keys: KeySource,
    issuers: Option<Vec<String>>,
    audiences: Option<Vec<String>>,
    leeway: u64,
    max_age: Option<u64>,
    max_lifetime: Option<u64>,
    typ: Option<String>,
    max_len: usize,
    required: RegisteredClaims,
    optional: RegisteredClaims,
    revocation: Option<Arc<dyn Revocation>>,
    cache: Option<super::cache::VerifiedCache>,
}

pub(crate) enum KeySource {
    Static(KeySet),
    #[cfg(feature = "remote")]
    Remote(Box<super::jwks::RemoteJwks>),
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &*self.inner;
        let keys: &dyn fmt::Debug = match &i.keys {
            KeySource::Static(set) => set,
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => remote,
        };
        f.debug_struct("Validator")
            .field("algorithms", &i.algorithms)
            .field("keys", keys)
            .field("issuers", &i.issuers)
            .field("audiences", &i.audiences)
            .field("leeway", &i.leeway)
            .field("max_age", &i.max_age)
            .field("typ", &i.typ)
            .field("max_len", &i.max_len)
            .field("revocation", &i.revocation.is_some())
            .finish()
    }
}

/// A token that passed every check, with the user's claims and the facts the validator read.
#[derive(Clone, Debug)]
pub struct Validated<C> {
    /// The user's claims.
    pub claims: C,
    alg: Algorithm,
    kid: Option<String>,
    typ: Option<String>,
    exp: u64,
    nbf: Option<u64>,
    iat: Option<u64>,
    iss: Option<String>,
    sub: Option<String>,
    jti: Option<String>,
    aud: Vec<String>,
}

impl<C> Validated<C> {
    /// The header `alg` the signature was verified with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }
    /// The header `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
    /// The header `typ`.
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }
    /// `exp`, unix seconds.
    pub fn expires_at(&self) -> u64 {
        self.exp
    }
    /// `nbf`, unix seconds.
    pub fn not_before(&self) -> Option<u64> {
        self.nbf
    }
    /// `iat`, unix seconds.
    pub fn issued_at(&self) -> Option<u64> {
        self.iat
    }
    /// `iss`.
    pub fn issuer(&self) -> Option<&str> {
        self.iss.as_deref()
    }
    /// `sub`.
    pub fn subject(&self) -> Option<&str> {
        self.sub.as_deref()
    }
    /// `jti`.
    pub fn jwt_id(&self) -> Option<&str> {
        self.jti.as_deref()
    }
    /// `aud`, as a list (a single string becomes one item).
    pub fn audience(&self) -> &[String] {
        &self.aud
    }
    /// The claims alone.
    pub fn into_claims(self) -> C {
        self.claims
    }
}

impl Validator {
    /// A builder with the secure defaults: no algorithm, no key, issuer and audience required.
    pub fn builder() -> ValidatorBuilder {
        ValidatorBuilder::default()
    }

    /// Validates a bearer token string into the user's claims type.
    ///
    /// Order of checks: length, shape, header (`alg`, `crit`, `typ`, `kid`), key selection,
    /// signature, registered claims (types, then time, issuer, audience, required claims),
    /// the claims type, revocation. Nothing of the payload is parsed before the signature
    /// verified.
    pub async fn validate<C: Claims + DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<Validated<C>, TokenError> {
        let inner = &*self.inner;
        let parts = inner.split(token)?;
        let now = unix_now();
        // With the cache on, a token whose exact bytes verified before under the same key
        // skips the signature check; everything else runs (see `cache.rs`).
        let digest = inner.cache.as_ref().map(|_| token_digest(&parts));
        let cache_use = digest.as_ref().map_or(CacheUse::Off, CacheUse::Lookup);
        let (validated, key) = inner.read::<C>(&parts, cache_use, now).await?;
        if let (Some(cache), Some(digest), Some(key)) = (&inner.cache, digest, key) {
            cache.insert(digest, key, validated.exp, now, None);
        }
        inner.check_revocation(&validated).await?;
        Ok(validated)
    }

    /// Validates a bearer token as [`validate`](Self::validate) does, into a shared value.
    ///
    /// With the verified-token cache on, this is the fast path that adapters take (the
    /// [`Gate`](crate::Gate) does): the entry keeps the validated token itself, so a repeated
    /// token is neither verified nor parsed again. A hit still checks that the key the token
    /// names is the one that verified it (from the current key set), the time claims against
    /// the clock (`exp`, `nbf`, `iat`, maximum age and lifetime) and the revocation hook.
    /// Issuer, audience, `typ`, algorithm and required claims are fixed per validator and the
    /// token's bytes are the ones that passed them, so they are not read again.
    pub async fn validate_shared<C>(&self, token: &str) -> Result<Arc<Validated<C>>, TokenError>
    where
        C: Claims + DeserializeOwned + Send + Sync + 'static,
    {
        let inner = &*self.inner;
        let parts = inner.split(token)?;
        let now = unix_now();
        let Some(cache) = &inner.cache else {
            let (validated, _) = inner.read::<C>(&parts, CacheUse::Off, now).await?;
            inner.check_revocation(&validated).await?;
            return Ok(Arc::new(validated));
        };
        let digest = token_digest(&parts);
        if let Some((key, Some(value))) = cache.get(&digest, now)
            && let Ok(validated) = value.downcast::<Validated<C>>()
        {
            if inner
                .current_key(validated.kid.as_deref(), validated.alg)
                .await
                == Some(key)
            {
                cache.count(true);
                inner.check_times(validated.exp, validated.nbf, validated.iat, now)?;
                inner.check_revocation(&validated).await?;
                return Ok(validated);
            }
            // The key left the key set or was replaced under its kid: verify again.
            cache.remove(&digest);
        }
        cache.count(false);
        let (validated, key) = inner.read::<C>(&parts, CacheUse::Fill, now).await?;
        let validated = Arc::new(validated);
        if let Some(key) = key {
            let shared: super::cache::Shared = validated.clone();
            cache.insert(digest, key, validated.exp, now, Some(shared));
        }
        inner.check_revocation(&validated).await?;
        Ok(validated)
    }

    /// The verified-token cache's counters, when [`ValidatorBuilder::cache`] turned it on.
    pub fn cache_stats(&self) -> Option<super::CacheStats> {
        self.inner
            .cache
            .as_ref()
            .map(super::cache::VerifiedCache::stats)
    }

    /// The jsonwebtoken crypto backend signatures are verified with: `"aws-lc-rs"` or
    /// `"rust_crypto"` (aws-lc-rs when both features are on).
    pub fn crypto_backend() -> &'static str {
        super::provider::BACKEND
    }

    /// Fetches the remote key set now (OIDC discovery first, if configured), for example at
    /// start-up to fail fast. Returns how many usable keys are known. A no-op for static keys.
    pub async fn refresh_keys(&self) -> Result<usize, TokenError> {
        match &self.inner.keys {
            KeySource::Static(set) => Ok(set.len()),
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => remote.refresh_now().await,
        }
    }
}

/// The three segments of a compact JWS, still encoded.
struct Parts<'t> {
    header: &'t str,
    payload: &'t str,
    signature: &'t str,
    signing_input: &'t str,
}

struct Header {
    alg: Algorithm,
    kid: Option<String>,
    typ: Option<String>,
}

/// How one validation uses the verified-token cache.
#[derive(Clone, Copy)]
enum CacheUse<'d> {
    /// No cache.
    Off,
    /// Skip the signature check when this token verified before under the same key.
    Lookup(&'d super::cache::Digest32),
    /// Verify; the caller stores the result.
    Fill,
}

fn token_digest(parts: &Parts<'_>) -> super::cache::Digest32 {
    super::cache::VerifiedCache::token_digest(parts.signing_input, parts.signature)
}

fn b64(segment: &str, part: TokenPart) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| TokenError::Base64(part))
}

impl Inner {
    fn split<'t>(&self, token: &'t str) -> Result<Parts<'t>, TokenError> {
        if token.is_empty() {
            return Err(TokenError::Empty);
        }
        if token.len() > self.max_len {
            return Err(TokenError::TooLong {
                len: token.len(),
                max: self.max_len,
            });
        }
        let mut it = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (it.next(), it.next(), it.next(), it.next())
        else {
            return Err(TokenError::Segments {
                segments: token.split('.').count(),
            });
        };
        let signing_input = &token[..header.len() + 1 + payload.len()];
        Ok(Parts {
            header,
            payload,
            signature,
            signing_input,
        })
    }

    fn header(&self, parts: &Parts<'_>) -> Result<Header, TokenError> {
        let bytes = b64(parts.header, TokenPart::Header)?;
        let raw: RawHeader<'_> = parse_object(&bytes, TokenPart::Header)?;
        if raw.alg.eq_ignore_ascii_case("none") {
            return Err(TokenError::Unsigned);
        }
        let alg = Algorithm::from_name(&raw.alg).ok_or(TokenError::UnsupportedAlgorithm)?;
        if !self.algorithms.contains(&alg) {
            return Err(TokenError::AlgorithmNotAllowed(alg));
        }
        if raw.crit {
            return Err(TokenError::UnsupportedCritical);
        }
        if let Some(kid) = &raw.kid
            && kid.len() > MAX_KID_LEN
        {
            return Err(TokenError::KidTooLong {
                len: kid.len(),
                max: MAX_KID_LEN,
            });
        }
        if let Some(want) = &self.typ {
            let ok = raw
                .typ
                .as_deref()
                .is_some_and(|typ| normalize_typ(typ).eq_ignore_ascii_case(want));
            if !ok {
                return Err(TokenError::WrongType);
            }
        }
        Ok(Header {
            alg,
            kid: raw.kid.map(|k| k.into_owned()),
            typ: raw.typ.map(|t| t.into_owned()),
        })
    }

    /// Everything but revocation: header, key, signature, registered claims, the claims type.
    /// Returns the verifying key's digest when the cache should store the result (the
    /// signature was checked and the cache is on).
    async fn read<C: Claims + DeserializeOwned>(
        &self,
        parts: &Parts<'_>,
        cache_use: CacheUse<'_>,
        now: u64,
    ) -> Result<(Validated<C>, Option<super::cache::Digest32>), TokenError> {
        let header = self.header(parts)?;
        if parts.signature.is_empty() {
            // A stripped signature: refused before any key is looked up.
            return Err(TokenError::BadSignature {
                kid: header.kid,
                alg: header.alg,
            });
        }
        match &self.keys {
            KeySource::Static(set) => self.finish::<C>(parts, &header, set, cache_use, now),
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => {
                let set = remote.keys_for(header.kid.as_deref(), header.alg).await?;
                self.finish::<C>(parts, &header, &set, cache_use, now)
            }
        }
    }

    /// The digest of the key that a token with this `kid` and `alg` selects now, if any.
    async fn current_key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Option<super::cache::Digest32> {
        match &self.keys {
            KeySource::Static(set) => set.select(kid, alg).ok().map(|key| *key.fingerprint()),
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => {
                let set = remote.keys_for(kid, alg).await.ok()?;
                set.select(kid, alg).ok().map(|key| *key.fingerprint())
            }
        }
    }

    async fn check_revocation<C>(&self, validated: &Validated<C>) -> Result<(), TokenError> {
        let Some(revocation) = &self.revocation else {
            return Ok(());
        };
        let query = RevocationQuery {
            jti: validated.jti.as_deref(),
            sub: validated.sub.as_deref(),
            iss: validated.iss.as_deref(),
            iat: validated.iat,
            exp: validated.exp,
        };
        match revocation.check(query).await {
            Ok(RevocationStatus::Active) => Ok(()),
            Ok(RevocationStatus::Revoked) => Err(TokenError::Revoked),
            Err(e) => Err(TokenError::RevocationUnavailable(e.0)),
        }
    }

    /// The checks that depend on the clock: expiry, not-before, issued-in-the-future, the
    /// lifetime bound and the maximum age, each with the leeway.
    fn check_times(
        &self,
        exp: u64,
        nbf: Option<u64>,
        iat: Option<u64>,
        now: u64,
    ) -> Result<(), TokenError> {
        let leeway = self.leeway;
        if now >= exp.saturating_add(leeway) {
            return Err(TokenError::Expired { exp, now, leeway });
        }
        if let Some(nbf) = nbf
            && nbf > now.saturating_add(leeway)
        {
            return Err(TokenError::NotYetValid { nbf, now, leeway });
        }
        if let Some(iat) = iat
            && iat > now.saturating_add(leeway)
        {
            return Err(TokenError::IssuedInFuture { iat, now, leeway });
        }
        if let Some(max) = self.max_lifetime {
            // With `iat`, the whole lifetime; without, what is left of it: either way no token
            // accepted from now on outlives `now + max`, which bounds how long a revocation of
            // it must be kept.
            let lifetime = exp.saturating_sub(iat.unwrap_or(now).min(now));
            if lifetime > max.saturating_add(leeway) {
                return Err(TokenError::LifetimeTooLong { lifetime, max });
            }
        }
        if let Some(max_age) = self.max_age {
            let iat = iat.ok_or(TokenError::MissingClaim("iat"))?;
            if now > iat.saturating_add(max_age).saturating_add(leeway) {
                return Err(TokenError::TooOld { iat, now, max_age });
            }
        }
        Ok(())
    }

    fn finish<C: Claims + DeserializeOwned>(
        &self,
        parts: &Parts<'_>,
        header: &Header,
        keys: &KeySet,
        cache_use: CacheUse<'_>,
        now: u64,
    ) -> Result<(Validated<C>, Option<super::cache::Digest32>), TokenError> {
        let key = keys.select(header.kid.as_deref(), header.alg)?;
        let hit = match (cache_use, &self.cache) {
            (CacheUse::Lookup(digest), Some(cache)) => cache.hit(digest, key.fingerprint(), now),
            _ => false,
        };
        if !hit {
            let signature = b64(parts.signature, TokenPart::Signature)?;
            if !key.verify(header.alg, parts.signing_input.as_bytes(), &signature) {
                return Err(TokenError::BadSignature {
                    kid: header.kid.clone(),
                    alg: header.alg,
                });
            }
        }

        // Authenticated from here on.
        let payload = b64(parts.payload, TokenPart::Payload)?;
        let reg: RawRegistered<'_> = parse_object(&payload, TokenPart::Payload)?;

        let required = self.required.union(C::REGISTERED);
        let exp = reg.exp.ok_or(TokenError::MissingClaim("exp"))?;
        for (claim, present) in [
            (RegisteredClaims::NBF, reg.nbf.is_some()),
            (
                RegisteredClaims::IAT,
                reg.iat.is_some() || self.max_age.is_some(),
            ),
            (
                RegisteredClaims::ISS,
                reg.iss.is_some() || self.issuers.is_some(),
            ),
            (
                RegisteredClaims::AUD,
                reg.aud.is_some() || self.audiences.is_some(),
            ),
            (RegisteredClaims::JTI, reg.jti.is_some()),
            (RegisteredClaims::SUB, reg.sub.is_some()),
        ] {
            if !present && required.contains(claim) && !self.optional.contains(claim) {
                return Err(TokenError::MissingClaim(
                    claim.names().next().unwrap_or("?"),
                ));
            }
        }
        self.check_times(exp, reg.nbf, reg.iat, now)?;
        if let Some(issuers) = &self.issuers {
            let iss = reg.iss.as_deref().ok_or(TokenError::MissingClaim("iss"))?;
            if !issuers.iter().any(|i| i == iss) {
                return Err(TokenError::WrongIssuer);
            }
        }
        if let Some(audiences) = &self.audiences {
            let aud = reg.aud.as_deref().ok_or(TokenError::MissingClaim("aud"))?;
            if !aud.iter().any(|a| audiences.iter().any(|want| want == a)) {
                return Err(TokenError::WrongAudience);
            }
        }

        let claims: C = serde_json::from_slice(&payload)
            .map_err(|e| TokenError::Claims(ClaimsMismatch::from_serde(&e)))?;
        // `Lookup` and `Fill` are only made when the cache is on.
        let store = (!matches!(cache_use, CacheUse::Off) && !hit).then(|| *key.fingerprint());
        let validated = Validated {
            claims,
            alg: header.alg,
            kid: header.kid.clone(),
            typ: header.typ.clone(),
            exp,
            nbf: reg.nbf,
            iat: reg.iat,
            iss: reg.iss.map(|s| s.into_owned()),
            sub: reg.sub.map(|s| s.into_owned()),
            jti: reg.jti.map(|s| s.into_owned()),
            aud: reg
                .aud
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.into_owned())
                .collect(),
        };
        Ok((validated, store))
    }
}

/// `application/at+jwt` and `at+jwt` name the same type (RFC 7515 section 4.1.9).
fn normalize_typ(typ: &str) -> &str {
    match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
        _ => typ,
    }
}

/// Configures a [`Validator`]. Every setting that could weaken validation is explicit;
/// [`ValidatorBuilder::build`] refuses configurations that are unsafe.
///
/// Defaults: leeway 60 s ([`DEFAULT_LEEWAY`]), maximum token length 8 KiB
/// ([`DEFAULT_MAX_TOKEN_LEN`]), no maximum age, no `typ` check, no revocation.
#[must_use]
pub struct ValidatorBuilder {
    algorithms: Vec<Algorithm>,
    keys: Vec<Key>,
    /// Keys that came from a JWKS document: those no allowed algorithm can use are dropped
    /// rather than refused, since a JWKS often holds keys for other algorithms.
    jwks_keys: usize,
    key_errors: Vec<ConfigError>,
    #[cfg(feature = "remote")]
    remote: Option<super::jwks::RemoteSpec>,
    #[cfg(feature = "remote")]
    remote_config: super::jwks::RemoteConfig,
    issuers: Vec<String>,
    any_issuer: bool,
    audiences: Vec<String>,
    any_audience: bool,
    leeway: Duration,
    max_age: Option<Duration>,
    max_lifetime: Option<Duration>,
    typ: Option<String>,
    max_len: usize,
    required: RegisteredClaims,
    optional: RegisteredClaims,
    revocation: Option<Arc<dyn Revocation>>,
    cache: Option<usize>,
}

impl Default for ValidatorBuilder {
    fn default() -> Self {
        Self {
            algorithms: Vec::new(),
            keys: Vec::new(),
            jwks_keys: 0,
            key_errors: Vec::new(),
            #[cfg(feature = "remote")]
            remote: None,
            #[cfg(feature = "remote")]
            remote_config: super::jwks::RemoteConfig::default(),
            issuers: Vec::new(),
            any_issuer: false,
            audiences: Vec::new(),
            any_audience: false,
            leeway: DEFAULT_LEEWAY,
            max_age: None,
            max_lifetime: None,
            typ: None,
            max_len: DEFAULT_MAX_TOKEN_LEN,
            required: RegisteredClaims::NONE,
            optional: RegisteredClaims::NONE,
            revocation: None,
            cache: None,
        }
    }
}

impl fmt::Debug for ValidatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidatorBuilder")
            .field("algorithms", &self.algorithms)
            .field("keys", &self.keys)
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .finish_non_exhaustive()
    }
}

impl ValidatorBuilder {
    /// The algorithms accepted (the allowlist). Required; `none` cannot be named.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        for alg in algorithms {
            if !self.algorithms.contains(&alg) {
                self.algorithms.push(alg);
            }
        }
        self
    }

    /// Adds a static key.
    pub fn key(mut self, key: Key) -> Self {
        self.keys.push(key);
        self
    }

    /// Adds the keys of a JWKS document (`{"keys": [...]}`). Keys that cannot be used
    /// (wrong `use`, unsupported type) are skipped; a document that cannot be read, a key
    /// that is invalid, or duplicate `kid`s make `build()` fail.
    pub fn jwks_json(mut self, json: &str) -> Self {
        match parse_jwks(json.as_bytes(), JwksOrigin::Static) {
            Ok(parsed) => {
                if let Some(kid) = parsed.duplicate_kids.into_iter().next() {
                    self.key_errors
                        .push(super::error::KeyError::DuplicateKid(kid).into());
                }
                for (kid, reason) in parsed.skipped {
                    if reason.starts_with("`use`") || reason.starts_with("`key_ops`") {
                        continue;
                    }
                    self.key_errors
                        .push(ConfigError::Key(super::error::KeyError::Json(format!(
                            "key {kid:?}: {reason}"
                        ))));
                }
                // JWKS keys go first so that explicit keys keep their index after them.
                self.jwks_keys += parsed.keys.len();
                self.keys.splice(0..0, parsed.keys);
            }
            Err(e) => self.key_errors.push(e.into()),
        }
        self
    }

    /// Adds the keys of a JWKS file, as [`ValidatorBuilder::jwks_json`].
    pub fn jwks_file(self, path: impl AsRef<Path>) -> Self {
        match read_file(path.as_ref()) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(json) => self.jwks_json(&json),
                Err(_) => self.push_error(super::error::KeyError::Json("not UTF-8".into()).into()),
            },
            Err(e) => self.push_error(e),
        }
    }

    fn push_error(mut self, e: ConfigError) -> Self {
        self.key_errors.push(e);
        self
    }

    /// An accepted `iss`. May be called several times.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        self
    }

    /// Several accepted issuers.
    pub fn issuers<S: Into<String>>(mut self, issuers: impl IntoIterator<Item = S>) -> Self {
        self.issuers.extend(issuers.into_iter().map(Into::into));
        self
    }

    /// Switches the `iss` check off. Only safe when every key belongs to one issuer.
    pub fn dangerously_accept_any_issuer(mut self) -> Self {
        self.any_issuer = true;
        self
    }

    /// An accepted `aud` value (this resource server's identifier). May be called several
    /// times; a token passes when any of its audiences is accepted.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Several accepted audiences.
    pub fn audiences<S: Into<String>>(mut self, audiences: impl IntoIterator<Item = S>) -> Self {
        self.audiences.extend(audiences.into_iter().map(Into::into));
        self
    }

    /// Switches the `aud` check off: tokens meant for other services are then accepted.
    pub fn dangerously_accept_any_audience(mut self) -> Self {
        self.any_audience = true;
        self
    }

    /// Clock skew allowed for `exp`, `nbf` and `iat`, in whole seconds. Default 60 s; at most
    /// 300 s.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Refuses tokens that live longer than `max`: `exp - iat`, or, for a token without `iat`,
    /// `exp - now`. Either way no accepted token outlives `now + max`, so a revocation kept for
    /// `max` (plus the leeway) covers it; unlike [`max_age`](Self::max_age), `iat` stays
    /// optional.
    pub fn max_lifetime(mut self, max: Duration) -> Self {
        self.max_lifetime = Some(max);
        self
    }

    /// Refuses tokens older than `max_age` by their `iat`, which then becomes required.
    /// See also [`max_lifetime`](Self::max_lifetime), which does not require `iat`.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Requires the header `typ`, compared case-insensitively with any `application/` prefix
    /// removed (RFC 9068 access tokens: `at+jwt`).
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        let typ = typ.into();
        self.typ = Some(normalize_typ(&typ).to_ascii_lowercase());
        self
    }

    /// The longest token accepted, in bytes, checked before anything is decoded. Default 8 KiB.
    pub fn max_token_len(mut self, len: usize) -> Self {
        self.max_len = len;
        self
    }

    /// Requires these registered claims in every token, beyond `exp` (always required), `iss`
    /// and `aud` (required when checked), `iat` (required with a maximum age) and the claims
    /// the claims type has a field for.
    pub fn require(mut self, claims: RegisteredClaims) -> Self {
        self.required = self.required.union(claims);
        self
    }

    /// Lets these registered claims be absent even though the claims type has a field for
    /// them (for `Option` fields). Cannot make `exp` optional, nor `iss`/`aud` while they are
    /// checked.
    pub fn allow_missing(mut self, claims: RegisteredClaims) -> Self {
        self.optional = self.optional.union(claims);
        self
    }

    /// Consults this revocation backend after every other check.
    pub fn revocation(mut self, revocation: impl Revocation) -> Self {
        self.revocation = Some(Arc::new(revocation));
        self
    }

    /// Turns on the verified-token cache, holding at most `max_entries` tokens (about 100
    /// bytes each): a token whose exact bytes verified before under the same key skips the
    /// signature check; every claim check and the revocation hook still run, and a key that
    /// leaves the key set evicts what it verified. Off by default. The trade-off is spelled out
    /// in the crate README ("Token validation"); a `max_entries` of 0 leaves the cache off.
    pub fn cache(mut self, max_entries: usize) -> Self {
        self.cache = (max_entries > 0).then_some(max_entries);
        self
    }

    /// Checks the configuration and builds the validator.
    pub fn build(self) -> Result<Validator, ConfigError> {
        install_process_default();
        if let Some(e) = self.key_errors.into_iter().next() {
            return Err(e);
        }
        if self.algorithms.is_empty() {
            return Err(ConfigError::NoAlgorithms);
        }
        let symmetric = self.algorithms.iter().filter(|a| a.is_symmetric()).count();
        if symmetric != 0 && symmetric != self.algorithms.len() {
            return Err(ConfigError::MixedKeyKinds);
        }
        if self.keys.iter().any(Key::is_symmetric) && self.keys.iter().any(|k| !k.is_symmetric()) {
            return Err(ConfigError::MixedKeyKinds);
        }
        if self.issuers.is_empty() && !self.any_issuer {
            return Err(ConfigError::NoIssuer);
        }
        if self.audiences.is_empty() && !self.any_audience {
            return Err(ConfigError::NoAudience);
        }
        let leeway = self.leeway.as_secs();
        if leeway > MAX_LEEWAY_SECS {
            return Err(ConfigError::LeewayTooLarge(leeway));
        }
        if self.max_len < 16 {
            return Err(ConfigError::Limit(
                "the maximum token length must be at least 16 bytes",
            ));
        }
        if self.typ.as_deref() == Some("") {
            return Err(ConfigError::Limit("the required typ must not be empty"));
        }
        #[cfg(feature = "remote")]
        let remote = self.remote;
        #[cfg(not(feature = "remote"))]
        let remote: Option<()> = None;
        let keys = match (remote, self.keys.is_empty()) {
            (None, true) => return Err(ConfigError::NoKeys),
            (Some(_), false) => {
                return Err(ConfigError::Limit(
                    "use either static keys or a remote key set, not both",
                ));
            }
            (None, false) => {
                let mut usable = Vec::with_capacity(self.keys.len());
                for (index, key) in self.keys.into_iter().enumerate() {
                    if key.check(&self.algorithms)? {
                        usable.push(key);
                    } else if index >= self.jwks_keys {
                        return Err(ConfigError::KeyUnusable {
                            index: index - self.jwks_keys,
                            kid: key.kid().map(str::to_owned),
                        });
                    }
                }
                if usable.is_empty() {
                    return Err(ConfigError::NoKeys);
                }
                KeySource::Static(KeySet::new(usable))
            }
            #[cfg(feature = "remote")]
            (Some(spec), true) => {
                if symmetric != 0 {
                    return Err(ConfigError::MixedKeyKinds);
                }
                KeySource::Remote(Box::new(super::jwks::RemoteJwks::new(
                    spec,
                    self.remote_config,
                    &self.issuers,
                )?))
            }
            #[cfg(not(feature = "remote"))]
            (Some(()), true) => return Err(ConfigError::NoKeys),
        };
        Ok(Validator {
            inner: Arc::new(Inner {
                algorithms: self.algorithms,
                keys,
                issuers: (!self.any_issuer || !self.issuers.is_empty()).then_some(self.issuers),
                audiences: (!self.any_audience || !self.audiences.is_empty())
                    .then_some(self.audiences),
                leeway,
                max_age: self.max_age.map(|d| d.as_secs()),
                max_lifetime: self.max_lifetime.map(|d| d.as_secs()),
                typ: self.typ,
                max_len: self.max_len,
                required: self.required,
                optional: self.optional,
                revocation: self.revocation,
                cache: self.cache.map(super::cache::VerifiedCache::new),
            }),
        })
    }
}

#[cfg(feature = "remote")]
impl ValidatorBuilder {
    /// Takes keys from a JWKS URL, fetched on first use and cached (see
    /// [`RemoteConfig`](super::RemoteConfig) for the defaults). `https://` is required unless
    /// the host is loopback or [`ValidatorBuilder::allow_insecure_http`] was called.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.remote = Some(super::jwks::RemoteSpec::Jwks(url.into()));
        self
    }

    /// OIDC discovery: reads `<issuer>/.well-known/openid-configuration`, requires its
    /// `issuer` to equal `issuer` exactly, and takes keys from its `jwks_uri`. Also accepts
    /// `issuer` as a token issuer.
    pub fn oidc_issuer(mut self, issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        self.issuers.push(issuer.clone());
        self.remote = Some(super::jwks::RemoteSpec::Discovery(issuer));
        self
    }

    /// Tunes the remote key set: cache TTL, refetch cooldown, timeouts, response size.
    pub fn remote_config(mut self, config: super::jwks::RemoteConfig) -> Self {
        self.remote_config = config;
        self
    }

    /// Allows plain `http://` URLs to hosts that are not loopback. Only for closed networks.
    pub fn allow_insecure_http(mut self) -> Self {
        self.remote_config.allow_insecure_http = true;
        self
    }
}
