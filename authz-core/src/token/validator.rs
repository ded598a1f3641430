//! The validator and its builder.

use core::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::util::unix_now;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;

use super::algorithm::Algorithm;
use super::claims::{
    ClaimValue, RawHeader, RawIssuer, Registered, parse_object, parse_object_seed,
};
use super::error::{ClaimsMismatch, ConfigError, TokenError, TokenPart};
use super::keys::{JwksOrigin, Key, KeySet, MAX_KID_LEN, parse_jwks, read_file};
use super::provider::install_process_default;
use super::revocation::{Revocation, RevocationQuery, RevocationStatus, RevocationStore};
use crate::claims::{Claims, RegisteredClaims};

/// Default leeway for `exp`, `nbf` and `iat`: 60 s, as Envoy's `jwt_authn` and jsonwebtoken.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
/// Default maximum token length: 8 KiB, the common HTTP header line limit.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 8 * 1024;
const MAX_LEEWAY_SECS: u64 = 300;

/// Turns bearer tokens into the user's claims type, or into a [`TokenError`].
///
/// Cheap to clone (an `Arc`), `Send + Sync`; `Debug` shows the configuration without keys.
///
/// ```
/// use authz_core::{Algorithm, Claims, token::ErrorCategory, Key, TokenError, Validator};
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
    /// One entry per trusted issuer (or a single unbound one when any issuer is accepted).
    sources: Vec<Trusted>,
    issuers: Option<Vec<String>>,
    audiences: Option<Vec<String>>,
    extra: ExtraClaims,
    leeway: u64,
    max_age: Option<u64>,
    max_lifetime: Option<u64>,
    typ: Option<String>,
    max_len: usize,
    required: RegisteredClaims,
    optional: RegisteredClaims,
    revocation: Option<Arc<dyn Revocation>>,
    /// The same backend as `revocation`, when it was given as a store
    /// ([`ValidatorBuilder::revocation_store`]): what logouts and API keys write to.
    store: Option<Arc<dyn RevocationStore>>,
    cache: Option<super::cache::VerifiedCache>,
}

pub(crate) enum KeySource {
    Static(KeySet),
    #[cfg(feature = "remote")]
    Remote(Box<super::jwks::RemoteJwks>),
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Static(set) => set.fmt(f),
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => remote.fmt(f),
        }
    }
}

/// The keys of one issuer: a token they verify must name that issuer (RFC 8725 section 3.8).
/// `issuer` is `None` only for the one key source of a validator that accepts any issuer.
#[derive(Debug)]
struct Trusted {
    issuer: Option<String>,
    keys: KeySource,
    /// What the issuer may assert beyond who the subject is.
    authority: Authority,
}

/// What one issuer may assert about its subjects: the tenants it speaks for, and the most it
/// may grant. A customer-run identity provider's roles and tenants are that customer's
/// assertions; these bounds keep them inside the customer's own tenant and grants.
#[derive(Debug, Clone, Default)]
pub(crate) struct Authority {
    tenants: TenantScope,
    /// Permission names outside which the issuer's tokens grant nothing (`None`: no cap).
    pub(crate) grants: Option<Arc<[Box<str>]>>,
}

/// The tenants an issuer may name in its tokens' tenant claim.
#[derive(Debug, Clone, Default)]
enum TenantScope {
    /// Not declared: any tenant when this is the only trusted issuer, none when there are
    /// several (an issuer that distrusts the others may not speak for their tenants).
    #[default]
    Undeclared,
    /// Any tenant ([`Issuer::any_tenant`]).
    Any,
    /// These tenants only ([`Issuer::tenants`]).
    Only(Box<[Box<str>]>),
}

impl Authority {
    /// Whether a token of this issuer may name `tenant`, among `sources` trusted issuers.
    fn may_assert(&self, tenant: &str, sources: usize) -> bool {
        match &self.tenants {
            TenantScope::Undeclared => sources == 1,
            TenantScope::Any => true,
            TenantScope::Only(tenants) => tenants.iter().any(|t| **t == *tenant),
        }
    }
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &*self.inner;
        f.debug_struct("Validator")
            .field("algorithms", &i.algorithms)
            .field("keys", &i.sources)
            .field("issuers", &i.issuers)
            .field("audiences", &i.audiences)
            .field(
                "audience_claim",
                &i.extra.audience.map(|at| i.extra.names[at]),
            )
            .field(
                "required_claims",
                &i.extra
                    .required
                    .iter()
                    .map(|(at, value)| (i.extra.names[*at], value))
                    .collect::<Vec<_>>(),
            )
            .field("leeway", &i.leeway)
            .field("max_age", &i.max_age)
            .field("typ", &i.typ)
            .field("max_len", &i.max_len)
            .field("revocation", &i.revocation.is_some())
            .finish()
    }
}

/// The top-level claims a validator reads besides the registered ones
/// ([`ValidatorBuilder::audience_claim`], [`ValidatorBuilder::require_claim`]), read in the
/// same pass over the payload as the registered claims.
struct ExtraClaims {
    /// Each claim once; the two settings below index into it.
    names: Vec<&'static str>,
    /// The claim that stands for `aud` when a token has none.
    audience: Option<usize>,
    /// Claims that must be a string equal to the value.
    required: Vec<(usize, String)>,
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
    sid: Option<String>,
    several_issuers: bool,
    /// `events` names the back-channel logout event (see [`Inner::read`]).
    logout_event: bool,
    /// The issuer's cap on what the token may grant ([`Issuer::grants_at_most`]).
    pub(crate) grants: Option<Arc<[Box<str>]>>,
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
    /// `iss`. When the validator trusts several issuers, this is the issuer whose key
    /// verified the token.
    pub fn issuer(&self) -> Option<&str> {
        self.iss.as_deref()
    }
    /// The subject as the claims type reads it ([`Claims::subject`]: `sub`, or the field
    /// marked `#[claims(subject)]`, such as Entra ID's `oid`). Revocation, owner checks and
    /// audit events all use this one subject.
    pub fn subject(&self) -> Option<&str> {
        self.sub.as_deref()
    }
    /// Whether the validator that accepted the token trusts several issuers. Then a subject
    /// is unique only within its issuer, and the caller's identity is (issuer, subject):
    /// owner checks compare both (see [`HasOwner`](crate::HasOwner)).
    pub fn identity_includes_issuer(&self) -> bool {
        self.several_issuers
    }
    /// `sid`, the identity provider's session (OpenID Connect), when the token carries one as
    /// a string.
    pub fn session_id(&self) -> Option<&str> {
        self.sid.as_deref()
    }
    /// `jti`.
    pub fn jwt_id(&self) -> Option<&str> {
        self.jti.as_deref()
    }
    /// `aud`, as a list (a single string becomes one item). Empty for a token without `aud`
    /// that [`ValidatorBuilder::audience_claim`] bound to this service.
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
    /// signature, registered claims (types, then time, issuer, audience, required claims,
    /// required claim values),
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
                .current_key(
                    validated.iss.as_deref(),
                    validated.kid.as_deref(),
                    validated.alg,
                )
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

    /// Validates a back-channel logout token ([`BackChannelLogout`](super::BackChannelLogout)):
    /// every check of [`validate`](Self::validate) but two. A token naming the logout event is
    /// what is expected here; and the revocation hook is not consulted, since a logout token's
    /// `jti` is in its own key space (replay markers by issuer), not the access tokens'
    /// deny-list. Never cached.
    pub(crate) async fn validate_logout<C: Claims + DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<Validated<C>, TokenError> {
        let inner = &*self.inner;
        let parts = inner.split(token)?;
        let (validated, _) = inner
            .read_any::<C>(&parts, CacheUse::Off, unix_now())
            .await?;
        Ok(validated)
    }

    /// The leeway in seconds: a token is accepted until `exp` plus this.
    pub(crate) fn leeway(&self) -> u64 {
        self.inner.leeway
    }

    /// The revocation backend, for credentials the validator does not read (API keys).
    #[cfg_attr(not(feature = "api-keys"), allow(dead_code))]
    pub(crate) fn revocation_backend(&self) -> Option<Arc<dyn Revocation>> {
        self.inner.revocation.clone()
    }

    /// The revocation store the validator consults, when it was given one with
    /// [`ValidatorBuilder::revocation_store`]: the one a logout receiver must write to.
    pub fn revocation_store(&self) -> Option<Arc<dyn RevocationStore>> {
        self.inner.store.clone()
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
    /// With several issuers, every remote key set is fetched and the counts are added up;
    /// the first failure is returned.
    pub async fn refresh_keys(&self) -> Result<usize, TokenError> {
        let mut total = 0;
        for trusted in &self.inner.sources {
            total += match &trusted.keys {
                KeySource::Static(set) => set.len(),
                #[cfg(feature = "remote")]
                KeySource::Remote(remote) => remote.refresh_now().await?,
            };
        }
        Ok(total)
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

    /// [`read_any`](Self::read_any), for access tokens: a logout token (OpenID Connect
    /// Back-Channel Logout) is refused, so that it cannot pass for an access token when the
    /// audiences coincide and no `typ` is required. Every access path goes through here
    /// (cached entries are only made from its results); the logout receiver does not.
    async fn read<C: Claims + DeserializeOwned>(
        &self,
        parts: &Parts<'_>,
        cache_use: CacheUse<'_>,
        now: u64,
    ) -> Result<(Validated<C>, Option<super::cache::Digest32>), TokenError> {
        let read = self.read_any::<C>(parts, cache_use, now).await?;
        if read.0.logout_event {
            return Err(TokenError::LogoutToken);
        }
        Ok(read)
    }

    /// Everything but revocation: header, key, signature, registered claims, the claims type.
    /// Returns the verifying key's digest when the cache should store the result (the
    /// signature was checked and the cache is on).
    async fn read_any<C: Claims + DeserializeOwned>(
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
        // With several issuers, the token's claimed `iss` chooses whose keys to try; the
        // payload is decoded (not trusted) for that alone. The claim is checked against the
        // verifying key's issuer after the signature, so a token signed by one issuer's key
        // cannot speak for another issuer.
        let (trusted, payload) = if let [only] = self.sources.as_slice() {
            (only, None)
        } else {
            let payload = b64(parts.payload, TokenPart::Payload)?;
            let claimed: RawIssuer<'_> = parse_object(&payload, TokenPart::Payload)?;
            let trusted = self.trusted(claimed.iss.as_deref())?;
            (trusted, Some(payload))
        };
        let issuer = trusted.issuer.as_deref();
        let (mut validated, key) = match &trusted.keys {
            KeySource::Static(set) => {
                self.finish::<C>(parts, payload, &header, issuer, set, cache_use, now)
            }
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => {
                let set = remote.keys_for(header.kid.as_deref(), header.alg).await?;
                self.finish::<C>(parts, payload, &header, issuer, &set, cache_use, now)
            }
        }?;
        // The issuer speaks for its own tenants only, and grants at most its cap.
        if let Some(tenant) = validated.claims.tenant()
            && !trusted.authority.may_assert(tenant, self.sources.len())
        {
            return Err(TokenError::TenantNotAllowed);
        }
        validated.grants = trusted.authority.grants.clone();
        Ok((validated, key))
    }

    /// The key source for a token claiming issuer `iss`.
    fn trusted(&self, iss: Option<&str>) -> Result<&Trusted, TokenError> {
        if let [only] = self.sources.as_slice() {
            return Ok(only);
        }
        let iss = iss.ok_or(TokenError::MissingClaim("iss"))?;
        self.sources
            .iter()
            .find(|trusted| trusted.issuer.as_deref() == Some(iss))
            .ok_or(TokenError::WrongIssuer)
    }

    /// The digest of the key that a token of issuer `iss` with this `kid` and `alg` selects
    /// now, if any.
    async fn current_key(
        &self,
        iss: Option<&str>,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Option<super::cache::Digest32> {
        match &self.trusted(iss).ok()?.keys {
            KeySource::Static(set) => set.select(kid, alg).ok().map(|key| *key.fingerprint()),
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => {
                let set = remote.keys_for(kid, alg).await.ok()?;
                set.select(kid, alg).ok().map(|key| *key.fingerprint())
            }
        }
    }

    async fn check_revocation<C>(&self, validated: &Validated<C>) -> Result<(), TokenError> {
        // `sub` here is the claims type's subject (see `finish`), the one the application
        // sees: revoking it refuses exactly the caller that owner checks and audit name.
        let Some(revocation) = &self.revocation else {
            return Ok(());
        };
        let query = RevocationQuery {
            jti: validated.jti.as_deref(),
            sub: validated.sub.as_deref(),
            iss: validated.iss.as_deref(),
            iat: validated.iat,
            exp: validated.exp,
            sid: validated.sid.as_deref(),
        };
        match revocation.check(query).await {
            Ok(RevocationStatus::Active) => Ok(()),
            Ok(RevocationStatus::Revoked) => Err(TokenError::Revoked),
            Err(e) => Err(TokenError::RevocationUnavailable(e)),
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

    /// Verifies with the key `keys` select (the keys of `issuer`, when bound to one), then
    /// reads the payload (`payload`: already decoded, when it was decoded to choose the keys).
    #[allow(clippy::too_many_arguments)]
    fn finish<C: Claims + DeserializeOwned>(
        &self,
        parts: &Parts<'_>,
        payload: Option<Vec<u8>>,
        header: &Header,
        issuer: Option<&str>,
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
        let payload = match payload {
            Some(payload) => payload,
            None => b64(parts.payload, TokenPart::Payload)?,
        };
        let reg = parse_object_seed(
            &payload,
            TokenPart::Payload,
            Registered {
                extra: &self.extra.names,
            },
        )?;

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
        if let Some(bound) = issuer {
            // The key that verified the signature belongs to `bound`: the token must be
            // that issuer's (RFC 8725 section 3.8).
            let iss = reg.iss.as_deref().ok_or(TokenError::MissingClaim("iss"))?;
            if iss != bound {
                return Err(TokenError::WrongIssuer);
            }
        } else if let Some(issuers) = &self.issuers {
            let iss = reg.iss.as_deref().ok_or(TokenError::MissingClaim("iss"))?;
            if !issuers.iter().any(|i| i == iss) {
                return Err(TokenError::WrongIssuer);
            }
        }
        if let Some(audiences) = &self.audiences {
            match (reg.aud.as_deref(), self.extra.audience) {
                (Some(aud), _) => {
                    if !aud.iter().any(|a| audiences.iter().any(|want| want == a)) {
                        return Err(TokenError::WrongAudience);
                    }
                }
                (None, None) => return Err(TokenError::MissingClaim("aud")),
                // No `aud`: the configured claim names the audience instead (Cognito's
                // `client_id`). Absent is a wrong audience, never a pass.
                (None, Some(at)) => match &reg.extra[at] {
                    Some(ClaimValue::Str(value)) if audiences.iter().any(|want| want == value) => {}
                    Some(ClaimValue::NotAString) => {
                        return Err(TokenError::ClaimType(self.extra.names[at]));
                    }
                    _ => return Err(TokenError::WrongAudience),
                },
            }
        }
        for (at, want) in &self.extra.required {
            let name = self.extra.names[*at];
            match &reg.extra[*at] {
                Some(ClaimValue::Str(value)) if value == want => {}
                Some(ClaimValue::Str(_)) => return Err(TokenError::ClaimValue(name)),
                Some(ClaimValue::NotAString) => return Err(TokenError::ClaimType(name)),
                None => return Err(TokenError::MissingClaim(name)),
            }
        }

        let claims: C = serde_json::from_slice(&payload)
            .map_err(|e| TokenError::Claims(ClaimsMismatch::from_serde(&e)))?;
        // `Lookup` and `Fill` are only made when the cache is on.
        let store = (!matches!(cache_use, CacheUse::Off) && !hit).then(|| *key.fingerprint());
        let validated = Validated {
            alg: header.alg,
            kid: header.kid.clone(),
            typ: header.typ.clone(),
            exp,
            nbf: reg.nbf,
            iat: reg.iat,
            iss: reg.iss.map(|s| s.into_owned()),
            sub: claims.subject().map(str::to_owned),
            jti: reg.jti.map(|s| s.into_owned()),
            sid: reg.sid.map(|s| s.into_owned()),
            aud: reg
                .aud
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.into_owned())
                .collect(),
            several_issuers: self.sources.len() > 1,
            logout_event: reg.logout_event,
            grants: None,
            claims,
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
///
/// Keys belong to issuers (RFC 8725 section 3.8). With one issuer, the keys given with
/// [`key`](Self::key), [`jwks_json`](Self::jwks_json), `jwks_url` (feature `remote`) are that
/// issuer's. To accept several issuers, give each its own keys with [`trust`](Self::trust) (or
/// `oidc_issuer` (feature `remote`) once per issuer): a token is then verified only with the
/// keys of the issuer it names, and refused when its `iss` is not the issuer of the key that
/// verified it. Keys bound to no issuer while several are accepted are a build error.
#[must_use]
pub struct ValidatorBuilder {
    algorithms: Vec<Algorithm>,
    /// The keys given without an issuer: the sole accepted issuer's.
    unbound: KeySpec,
    /// The issuers given with their own keys, in order.
    trusted: Vec<Issuer>,
    #[cfg(feature = "remote")]
    remote_config: super::jwks::RemoteConfig,
    issuers: Vec<String>,
    any_issuer: bool,
    audiences: Vec<String>,
    any_audience: bool,
    audience_claim: Option<&'static str>,
    required_values: Vec<(&'static str, String)>,
    leeway: Duration,
    max_age: Option<Duration>,
    max_lifetime: Option<Duration>,
    typ: Option<String>,
    max_len: usize,
    required: RegisteredClaims,
    optional: RegisteredClaims,
    revocation: Option<Arc<dyn Revocation>>,
    store: Option<Arc<dyn RevocationStore>>,
    cache: Option<usize>,
}

/// Where one key source's keys come from, as configured.
#[derive(Default)]
struct KeySpec {
    keys: Vec<Key>,
    /// Keys that came from a JWKS document: those no allowed algorithm can use are dropped
    /// rather than refused, since a JWKS often holds keys for other algorithms.
    jwks_keys: usize,
    errors: Vec<ConfigError>,
    #[cfg(feature = "remote")]
    remote: Option<super::jwks::RemoteSpec>,
}

impl KeySpec {
    fn is_empty(&self) -> bool {
        #[cfg(feature = "remote")]
        let remote = self.remote.is_some();
        #[cfg(not(feature = "remote"))]
        let remote = false;
        self.keys.is_empty() && self.errors.is_empty() && !remote
    }

    fn jwks_json(&mut self, json: &str) {
        match parse_jwks(json.as_bytes(), JwksOrigin::Static) {
            Ok(parsed) => {
                if let Some(kid) = parsed.duplicate_kids.into_iter().next() {
                    self.errors
                        .push(super::error::KeyError::DuplicateKid(kid).into());
                }
                for (kid, reason) in parsed.skipped {
                    if let Some(error) = reason.into_error(kid) {
                        self.errors.push(ConfigError::Key(error));
                    }
                }
                // JWKS keys go first so that explicit keys keep their index after them.
                self.jwks_keys += parsed.keys.len();
                self.keys.splice(0..0, parsed.keys);
            }
            Err(e) => self.errors.push(e.into()),
        }
    }

    fn jwks_file(&mut self, path: &Path) {
        match read_file(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(json) => self.jwks_json(&json),
                Err(_) => self
                    .errors
                    .push(super::error::KeyError::Json("not UTF-8".into()).into()),
            },
            Err(e) => self.errors.push(e),
        }
    }

    /// The key source, checked against the allowed algorithms. `symmetric` tells whether
    /// HMAC algorithms are allowed (then a remote key set cannot serve).
    fn build(
        self,
        algorithms: &[Algorithm],
        #[cfg(feature = "remote")] config: &super::jwks::RemoteConfig,
        symmetric: bool,
    ) -> Result<KeySource, ConfigError> {
        #[cfg(feature = "remote")]
        let remote = self.remote;
        #[cfg(not(feature = "remote"))]
        let remote: Option<()> = None;
        match (remote, self.keys.is_empty()) {
            (None, true) => Err(ConfigError::NoKeys),
            (Some(_), false) => Err(ConfigError::Limit(
                "use either static keys or a remote key set for one issuer, not both",
            )),
            (None, false) => {
                let mut usable = Vec::with_capacity(self.keys.len());
                for (index, key) in self.keys.into_iter().enumerate() {
                    if key.check(algorithms)? {
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
                Ok(KeySource::Static(KeySet::new(usable)))
            }
            #[cfg(feature = "remote")]
            (Some(spec), true) => {
                if symmetric {
                    return Err(ConfigError::MixedKeyKinds);
                }
                Ok(KeySource::Remote(Box::new(super::jwks::RemoteJwks::new(
                    spec,
                    config.clone(),
                )?)))
            }
            #[cfg(not(feature = "remote"))]
            (Some(()), true) => {
                let _ = symmetric;
                Err(ConfigError::NoKeys)
            }
        }
    }
}

/// One trusted issuer and its keys, for a validator that accepts several issuers
/// ([`ValidatorBuilder::trust`]): tokens that name this issuer are verified with these keys
/// only, and these keys verify only tokens that name this issuer.
///
/// Two use cases: a SaaS that accepts each customer's own identity-provider tenant (one
/// `Issuer` per tenant), and a migration between two identity providers (both trusted until
/// the old one is retired).
///
/// ```
/// use authz_core::{Algorithm, Issuer, TokenError, Validator, testkit::{TestKey, claims_for}};
///
/// let old_idp = TestKey::generate(Algorithm::ES256, "old-1");
/// let new_idp = TestKey::generate(Algorithm::ES256, "new-1");
/// let validator = Validator::builder()
///     .algorithms([Algorithm::ES256])
///     .trust(Issuer::new("https://old.example").key(old_idp.verification_key()))
///     .trust(Issuer::new("https://new.example").key(new_idp.verification_key()))
///     .audience("reports-api")
///     .build()
///     .unwrap();
///
/// # #[derive(serde::Deserialize, authz_core::Claims)] struct Token { sub: String }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let token = new_idp.mint(&claims_for("https://new.example", "reports-api", "alice"));
/// let ok = validator.validate::<Token>(&token).await.unwrap();
/// assert_eq!(ok.issuer(), Some("https://new.example"));
/// assert!(ok.identity_includes_issuer());
///
/// // The new provider's key cannot vouch for a user of the old one.
/// let forged = new_idp.mint(&claims_for("https://old.example", "reports-api", "alice"));
/// assert!(validator.validate::<Token>(&forged).await.is_err());
/// # });
/// ```
#[must_use]
pub struct Issuer {
    issuer: String,
    keys: KeySpec,
    authority: Authority,
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issuer")
            .field("issuer", &self.issuer)
            .field("keys", &self.keys.keys)
            .field("tenants", &self.authority.tenants)
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// The issuer whose `iss` is exactly `issuer`; give it keys with the other methods.
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            keys: KeySpec::default(),
            authority: Authority::default(),
        }
    }

    /// The tenants this issuer may speak for: a token of this issuer whose tenant claim
    /// (`#[claims(tenant)]`) names another tenant is refused at authentication
    /// ([`TokenError::TenantNotAllowed`](super::TokenError::TenantNotAllowed), 401). Declare
    /// it for every issuer run by a customer (one identity provider per customer): its
    /// tokens' tenants and roles are that customer's assertions, and must not reach another
    /// customer's data.
    ///
    /// When a validator trusts several issuers, an issuer that declares neither `tenants` nor
    /// [`any_tenant`](Self::any_tenant) may assert no tenant at all: a token of it that
    /// names one is refused. With a single trusted issuer, its tokens may name any tenant.
    pub fn tenants<S: Into<String>>(mut self, tenants: impl IntoIterator<Item = S>) -> Self {
        self.authority.tenants = TenantScope::Only(
            tenants
                .into_iter()
                .map(|t| t.into().into_boxed_str())
                .collect(),
        );
        self
    }

    /// This issuer may speak for every tenant: your own identity provider, beside customers'
    /// ones that are bound to their tenants with [`tenants`](Self::tenants).
    pub fn any_tenant(mut self) -> Self {
        self.authority.tenants = TenantScope::Any;
        self
    }

    /// The most a token of this issuer may grant: permission names of the policy. Every other
    /// permission is dropped from its callers, and so is every role that grants one (a role
    /// requirement passes only on roles wholly inside the cap). A name the policy does not
    /// declare allows nothing. Use it to keep a customer's issuer from granting what only
    /// your own staff may hold, such as a cross-tenant permission.
    pub fn grants_at_most<S: Into<String>>(
        mut self,
        permissions: impl IntoIterator<Item = S>,
    ) -> Self {
        self.authority.grants = Some(
            permissions
                .into_iter()
                .map(|p| p.into().into_boxed_str())
                .collect(),
        );
        self
    }

    /// Adds a static key of this issuer.
    pub fn key(mut self, key: Key) -> Self {
        self.keys.keys.push(key);
        self
    }

    /// Adds the keys of a JWKS document, as [`ValidatorBuilder::jwks_json`].
    pub fn jwks_json(mut self, json: &str) -> Self {
        self.keys.jwks_json(json);
        self
    }

    /// Adds the keys of a JWKS file, as [`ValidatorBuilder::jwks_file`].
    pub fn jwks_file(mut self, path: impl AsRef<Path>) -> Self {
        self.keys.jwks_file(path.as_ref());
        self
    }

    /// The issuer's keys come from this JWKS URL, as [`ValidatorBuilder::jwks_url`].
    #[cfg(feature = "remote")]
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.keys.remote = Some(super::jwks::RemoteSpec::Jwks(url.into()));
        self
    }

    /// The issuer `issuer`, with keys found by OIDC discovery, as
    /// [`ValidatorBuilder::oidc_issuer`].
    #[cfg(feature = "remote")]
    pub fn oidc(issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        Self {
            keys: KeySpec {
                remote: Some(super::jwks::RemoteSpec::Discovery(issuer.clone())),
                ..KeySpec::default()
            },
            issuer,
            authority: Authority::default(),
        }
    }
}

impl Default for ValidatorBuilder {
    fn default() -> Self {
        Self {
            algorithms: Vec::new(),
            unbound: KeySpec::default(),
            trusted: Vec::new(),
            #[cfg(feature = "remote")]
            remote_config: super::jwks::RemoteConfig::default(),
            issuers: Vec::new(),
            any_issuer: false,
            audiences: Vec::new(),
            any_audience: false,
            audience_claim: None,
            required_values: Vec::new(),
            leeway: DEFAULT_LEEWAY,
            max_age: None,
            max_lifetime: None,
            typ: None,
            max_len: DEFAULT_MAX_TOKEN_LEN,
            required: RegisteredClaims::NONE,
            optional: RegisteredClaims::NONE,
            revocation: None,
            store: None,
            cache: None,
        }
    }
}

impl fmt::Debug for ValidatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidatorBuilder")
            .field("algorithms", &self.algorithms)
            .field("keys", &self.unbound.keys)
            .field("trusted", &self.trusted)
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .field("audience_claim", &self.audience_claim)
            .field("required_values", &self.required_values)
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

    /// Adds a static key of the one accepted issuer (see [`trust`](Self::trust) for several).
    pub fn key(mut self, key: Key) -> Self {
        self.unbound.keys.push(key);
        self
    }

    /// Adds the keys of a JWKS document (`{"keys": [...]}`). Keys that cannot be used
    /// (wrong `use`, unsupported type) are skipped; a document that cannot be read, a key
    /// that is invalid, or duplicate `kid`s make `build()` fail.
    pub fn jwks_json(mut self, json: &str) -> Self {
        self.unbound.jwks_json(json);
        self
    }

    /// Adds the keys of a JWKS file, as [`ValidatorBuilder::jwks_json`].
    pub fn jwks_file(mut self, path: impl AsRef<Path>) -> Self {
        self.unbound.jwks_file(path.as_ref());
        self
    }

    /// Accepts tokens of `issuer`, verified only with the keys given with it. May be called
    /// once per issuer; each issuer becomes an accepted `iss`.
    pub fn trust(mut self, issuer: Issuer) -> Self {
        self.trusted.push(issuer);
        self
    }

    /// An accepted `iss`. May be called several times; with several issuers, give each its
    /// keys with [`trust`](Self::trust).
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

    /// For tokens without `aud`: the top-level string claim `claim` must then be one of the
    /// accepted [`audience`](Self::audience)s instead. Amazon Cognito's access tokens carry
    /// no `aud` and name the app client in `client_id`, so a Cognito API binds its tokens with
    /// `.audience("<app client id>").audience_claim("client_id")` (plus
    /// `.require_claim("token_use", "access")`).
    ///
    /// A token that has `aud` is checked on `aud` alone, as without this setting: `aud` is the
    /// standard binding, and `claim` is not consulted (a token whose `aud` names another
    /// service stays refused, whatever its `client_id`). A token with neither is refused with
    /// [`TokenError::WrongAudience`]; `claim` present but not a string gives
    /// [`TokenError::ClaimType`]. `build()` refuses it without an accepted audience, and for a
    /// registered claim name (`aud`, `iss`, `sub`, ...).
    pub fn audience_claim(mut self, claim: &'static str) -> Self {
        self.audience_claim = Some(claim);
        self
    }

    /// Requires the top-level claim `claim` to be the string `value`, compared exactly:
    /// absent gives [`TokenError::MissingClaim`], another string [`TokenError::ClaimValue`],
    /// another JSON type [`TokenError::ClaimType`]. Use it to accept one kind of token only:
    /// `("token_use", "access")` for Amazon Cognito (its ID tokens say `"id"`),
    /// `("typ", "Bearer")` in a Keycloak payload (its ID tokens say `"ID"`), `("ver", "2.0")`
    /// for Microsoft Entra ID v2.0 tokens.
    ///
    /// May be called once per claim name; a name required twice with different values, or a
    /// registered claim name (checked by the dedicated settings), is a `build()` error.
    pub fn require_claim(mut self, claim: &'static str, value: impl Into<String>) -> Self {
        self.required_values.push((claim, value.into()));
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
        self.store = None;
        self
    }

    /// Consults this revocation store after every other check, as
    /// [`revocation`](Self::revocation) does, and hands it on: to the API keys a
    /// [`Gate`](crate::Gate) accepts, and to the logout receiver
    /// [`Gate::backchannel_logout`](crate::Gate::backchannel_logout) builds. Give the store
    /// once, here, and every path that revokes or checks uses it.
    pub fn revocation_store(mut self, store: impl RevocationStore) -> Self {
        let store: Arc<dyn RevocationStore> = Arc::new(store);
        self.revocation = Some(store.clone());
        self.store = Some(store);
        self
    }

    /// Turns on the verified-token cache, holding at most `max_entries` tokens (about 100
    /// bytes each): a token whose exact bytes verified before under the same key skips the
    /// signature check; every claim check and the revocation hook still run, and a key that
    /// leaves the key set evicts what it verified. Off by default. The trade-off is spelled out
    /// in `docs/guide.md` ("Token validation"); a `max_entries` of 0 leaves the cache off.
    pub fn cache(mut self, max_entries: usize) -> Self {
        self.cache = (max_entries > 0).then_some(max_entries);
        self
    }

    /// Checks the configuration and builds the validator.
    pub fn build(self) -> Result<Validator, ConfigError> {
        install_process_default();
        let specs = || core::iter::once(&self.unbound).chain(self.trusted.iter().map(|t| &t.keys));
        if specs().any(|spec| !spec.errors.is_empty()) {
            return Err(self.into_first_key_error());
        }
        if self.algorithms.is_empty() {
            return Err(ConfigError::NoAlgorithms);
        }
        let symmetric = self.algorithms.iter().filter(|a| a.is_symmetric()).count();
        if symmetric != 0 && symmetric != self.algorithms.len() {
            return Err(ConfigError::MixedKeyKinds);
        }
        let keys: Vec<&Key> = specs().flat_map(|spec| spec.keys.iter()).collect();
        if keys.iter().any(|k| k.is_symmetric()) && keys.iter().any(|k| !k.is_symmetric()) {
            return Err(ConfigError::MixedKeyKinds);
        }
        // The accepted issuers: those named, and those trusted with their own keys.
        let mut issuers = Vec::new();
        for issuer in self
            .issuers
            .iter()
            .chain(self.trusted.iter().map(|t| &t.issuer))
        {
            if !issuers.contains(issuer) {
                issuers.push(issuer.clone());
            }
        }
        if issuers.is_empty() && !self.any_issuer {
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
        let extra = self.extra_claims()?;

        // Every key source belongs to one issuer; keys given without one belong to the only
        // accepted issuer, or (with any issuer accepted) stand alone.
        let mut owners: Vec<Option<String>> = Vec::new();
        let mut spec_list = Vec::new();
        let mut authorities = Vec::new();
        for trusted in self.trusted {
            if owners.contains(&Some(trusted.issuer.clone())) {
                return Err(ConfigError::IssuerKeysTwice(trusted.issuer));
            }
            owners.push(Some(trusted.issuer));
            spec_list.push(trusted.keys);
            authorities.push(trusted.authority);
        }
        if !self.unbound.is_empty() {
            let owner = match issuers.as_slice() {
                [] if owners.is_empty() => None,
                [only] => Some(only.clone()),
                _ => return Err(ConfigError::KeysWithoutIssuer),
            };
            if owner.is_some() && owners.contains(&owner) {
                return Err(ConfigError::IssuerKeysTwice(owner.unwrap_or_default()));
            }
            owners.push(owner);
            spec_list.push(self.unbound);
            authorities.push(Authority::default());
        }
        if spec_list.is_empty() {
            return Err(ConfigError::NoKeys);
        }
        if let Some(issuer) = issuers
            .iter()
            .find(|issuer| !owners.iter().any(|owner| owner.as_ref() == Some(issuer)))
        {
            return Err(ConfigError::IssuerWithoutKeys(issuer.clone()));
        }
        let mut sources = Vec::with_capacity(spec_list.len());
        for ((issuer, spec), authority) in owners.into_iter().zip(spec_list).zip(authorities) {
            let keys = spec.build(
                &self.algorithms,
                #[cfg(feature = "remote")]
                &self.remote_config,
                symmetric != 0,
            )?;
            sources.push(Trusted {
                issuer,
                keys,
                authority,
            });
        }
        Ok(Validator {
            inner: Arc::new(Inner {
                algorithms: self.algorithms,
                sources,
                issuers: (!self.any_issuer || !issuers.is_empty()).then_some(issuers),
                audiences: (!self.any_audience || !self.audiences.is_empty())
                    .then_some(self.audiences),
                extra,
                leeway,
                max_age: self.max_age.map(|d| d.as_secs()),
                max_lifetime: self.max_lifetime.map(|d| d.as_secs()),
                typ: self.typ,
                max_len: self.max_len,
                required: self.required,
                optional: self.optional,
                revocation: self.revocation,
                store: self.store,
                cache: self.cache.map(super::cache::VerifiedCache::new),
            }),
        })
    }

    /// The claims of [`audience_claim`](Self::audience_claim) and
    /// [`require_claim`](Self::require_claim), checked.
    fn extra_claims(&self) -> Result<ExtraClaims, ConfigError> {
        const REGISTERED: [&str; 7] = ["exp", "nbf", "iat", "iss", "sub", "jti", "aud"];
        let mut names: Vec<&'static str> = Vec::new();
        let mut index_of = |claim: &'static str| {
            if claim.is_empty() || REGISTERED.contains(&claim) {
                return Err(ConfigError::Limit(
                    "audience_claim and require_claim take a claim that is not registered \
                     (not exp, nbf, iat, iss, sub, jti or aud: those have their own settings)",
                ));
            }
            Ok(match names.iter().position(|known| *known == claim) {
                Some(at) => at,
                None => {
                    names.push(claim);
                    names.len() - 1
                }
            })
        };
        let audience = match self.audience_claim {
            // Without an accepted audience there is nothing to compare the claim with; with
            // the check off it would silently do nothing.
            Some(_) if self.audiences.is_empty() => {
                return Err(ConfigError::Limit(
                    "audience_claim needs the accepted audiences: call `audience(..)`",
                ));
            }
            Some(claim) => Some(index_of(claim)?),
            None => None,
        };
        let mut required: Vec<(usize, String)> = Vec::new();
        for (claim, value) in &self.required_values {
            let at = index_of(claim)?;
            match required.iter().find(|(known, _)| *known == at) {
                Some((_, known)) if known != value => {
                    return Err(ConfigError::Limit(
                        "require_claim names the same claim twice with different values",
                    ));
                }
                Some(_) => {}
                None => required.push((at, value.clone())),
            }
        }
        Ok(ExtraClaims {
            names,
            audience,
            required,
        })
    }

    /// The first error met while reading keys, in the order they were given.
    fn into_first_key_error(self) -> ConfigError {
        core::iter::once(self.unbound)
            .chain(self.trusted.into_iter().map(|t| t.keys))
            .flat_map(|spec| spec.errors)
            .next()
            .unwrap_or(ConfigError::NoKeys)
    }
}

#[cfg(feature = "remote")]
impl ValidatorBuilder {
    /// Takes keys from a JWKS URL, fetched on first use and cached (see
    /// [`RemoteConfig`](super::RemoteConfig) for the defaults). `https://` is required unless
    /// the host is loopback or [`ValidatorBuilder::allow_insecure_http`] was called.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.unbound.remote = Some(super::jwks::RemoteSpec::Jwks(url.into()));
        self
    }

    /// OIDC discovery: reads `<issuer>/.well-known/openid-configuration`, requires its
    /// `issuer` to equal `issuer` exactly, and takes keys from its `jwks_uri`. Also accepts
    /// `issuer` as a token issuer, with those keys only. May be called once per issuer
    /// (`trust(Issuer::oidc(issuer))`).
    pub fn oidc_issuer(self, issuer: impl Into<String>) -> Self {
        self.trust(Issuer::oidc(issuer))
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
