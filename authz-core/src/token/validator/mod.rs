//! The validator and its builder.
//!
//! - this module: [`Validator`], the issuers it trusts with their keys and authority, and
//!   [`Validated`], a token that passed;
//! - `pipeline`: one validation, from the compact JWS to the user's claims type;
//! - `issuer`: [`Issuer`] and the key specification of each key source;
//! - `builder`: [`ValidatorBuilder`] and its checks of a configuration.

use core::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::algorithm::Algorithm;
use super::error::TokenError;
use super::keys::KeySet;
use super::revocation::{Revocation, RevocationStore};
use crate::claims::{Claims, RegisteredClaims};

mod builder;
mod issuer;
mod pipeline;
mod texts;

pub use builder::ValidatorBuilder;
pub use issuer::Issuer;
use issuer::KeySpec;
use pipeline::{CacheUse, normalize_typ};
use texts::{Text, Texts};

use crate::token::cache::{Digest32, VerifiedCache};

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
    cache: Option<crate::token::cache::VerifiedCache>,
    clock: super::Clock,
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
    Only(Arc<[Box<str>]>),
}

/// The tenants a validated token's issuer may speak for, kept on the token: a tenant the
/// application names for a request (a path's `{org}`) is checked against it as a tenant claim
/// is checked at validation.
#[derive(Debug, Clone, Default)]
pub(crate) enum Speaks {
    /// Any tenant.
    #[default]
    Any,
    /// No tenant (an undeclared issuer among several).
    None,
    /// These tenants only.
    Only(Arc<[Box<str>]>),
}

impl Speaks {
    /// Whether the token's issuer may speak for `tenant`.
    pub(crate) fn for_tenant(&self, tenant: &str) -> bool {
        match self {
            Self::Any => true,
            Self::None => false,
            Self::Only(tenants) => tenants.iter().any(|t| **t == *tenant),
        }
    }
}

impl Authority {
    /// The tenants a token of this issuer speaks for, among `sources` trusted issuers.
    pub(crate) fn speaks(&self, sources: usize) -> Speaks {
        match &self.tenants {
            TenantScope::Undeclared if sources == 1 => Speaks::Any,
            TenantScope::Undeclared => Speaks::None,
            TenantScope::Any => Speaks::Any,
            TenantScope::Only(tenants) => Speaks::Only(tenants.clone()),
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
    /// `kid`, `typ`, `iss`, the subject, `jti` and `sid`.
    texts: Texts,
    exp: u64,
    nbf: Option<u64>,
    iat: Option<u64>,
    aud: Vec<String>,
    several_issuers: bool,
    /// `events` names the back-channel logout event (see [`Inner::read`]).
    logout_event: bool,
    /// The issuer's cap on what the token may grant ([`Issuer::grants_at_most`]).
    pub(crate) grants: Option<Arc<[Box<str>]>>,
    /// The tenants the issuer may speak for ([`Issuer::tenants`]).
    pub(crate) speaks: Speaks,
    /// The revocation backend's derivations of the identifiers, for a token the
    /// verified-token cache keeps ([`RevocationQuery::memo`](super::RevocationQuery::memo)).
    pub(crate) memo: Option<super::TokenMemo>,
    /// The claims resolved against a policy (its permissions and roles), for a token the
    /// verified-token cache keeps: resolved on the token's first admission, not on every
    /// request ([`Authenticated::from_cached`](crate::Authenticated)).
    pub(crate) resolution: Option<super::TokenMemo>,
}

impl<C> Validated<C> {
    /// The header `alg` the signature was verified with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }
    /// The header `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.texts.get(Text::Kid)
    }
    /// The header `typ`.
    pub fn typ(&self) -> Option<&str> {
        self.texts.get(Text::Typ)
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
        self.texts.get(Text::Iss)
    }
    /// The subject as the claims type reads it ([`Claims::subject`]: `sub`, or the field
    /// marked `#[claims(subject)]`, such as Entra ID's `oid`). Revocation, owner checks and
    /// audit events all use this one subject.
    pub fn subject(&self) -> Option<&str> {
        self.texts.get(Text::Sub)
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
        self.texts.get(Text::Sid)
    }
    /// `jti`.
    pub fn jwt_id(&self) -> Option<&str> {
        self.texts.get(Text::Jti)
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

/// A cache lookup as far as it got without waiting.
pub(crate) enum Lookup<'v, C> {
    /// No usable entry.
    Miss,
    /// The answer.
    Now(Result<Arc<Validated<C>>, TokenError>),
    /// The keys must be fetched, or the revocation backend asked, first.
    Wait(super::revocation::BoxFuture<'v, Option<Result<Arc<Validated<C>>, TokenError>>>),
}

impl<C> Lookup<'_, C> {
    /// The answer when the lookup came to one without waiting: `None` on a miss and when it
    /// must wait (the wait, not started, is dropped).
    pub(crate) fn now(self) -> Option<Result<Arc<Validated<C>>, TokenError>> {
        match self {
            Lookup::Now(result) => Some(result),
            Lookup::Miss | Lookup::Wait(_) => None,
        }
    }

    /// The lookup's answer, waiting for it when it must.
    async fn answer(self) -> Option<Result<Arc<Validated<C>>, TokenError>> {
        match self {
            Lookup::Miss => None,
            Lookup::Now(result) => Some(result),
            Lookup::Wait(wait) => wait.await,
        }
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
        let now = inner.clock.unix_now();
        // With the cache on, a token whose exact bytes verified before under the same key
        // skips the signature check; everything else runs (see `cache.rs`).
        let digest = self.cache_digest(token.as_bytes());
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
    /// token is neither verified nor parsed again, nor split at its dots: it is looked up by
    /// the SHA-256 of its text (entries keep that digest, never the token). A hit still checks
    /// that the key the token names is the one that verified it (from the current key set), the
    /// time claims against the clock (`exp`, `nbf`, `iat`, maximum age and lifetime) and the
    /// revocation hook. Issuer, audience, `typ`, algorithm and required claims are fixed per
    /// validator and the token's bytes are the ones that passed them, so they are not read
    /// again.
    pub async fn validate_shared<C>(&self, token: &str) -> Result<Arc<Validated<C>>, TokenError>
    where
        C: Claims + DeserializeOwned + Send + Sync + 'static,
    {
        let digest = self.cache_digest(token.as_bytes());
        if let Some(digest) = &digest
            && let Some(cached) = self.cached::<C>(digest).await
        {
            return cached;
        }
        self.validate_missed(token, digest).await
    }

    /// Whether the verified-token cache is on.
    pub(crate) fn has_cache(&self) -> bool {
        self.inner.cache.is_some()
    }

    /// The key of a token's entry in the verified-token cache (SHA-256 of its whole text),
    /// when the cache is on and the token is no longer than the validator accepts: a longer
    /// one cannot be in the cache, and is not hashed (the gate calls this before it parses a
    /// header, so that a header of any size costs no more than its parsing).
    pub(crate) fn cache_digest(&self, token: &[u8]) -> Option<Digest32> {
        let inner = &*self.inner;
        (inner.cache.is_some() && token.len() <= inner.max_len)
            .then(|| VerifiedCache::token_digest(token))
    }

    /// The cache's answer for the token of this digest: `None` when it holds no usable entry
    /// (never held one, expired, or verified under a key that is no longer the one the token
    /// selects: that entry is removed), else the result of the checks a hit still runs. Bytes
    /// that were never validated are never in the cache, so the token needs no syntax check
    /// first: the [`Gate`](crate::Gate) looks the bearer credentials up before it parses
    /// them.
    pub(crate) async fn cached<C>(
        &self,
        digest: &Digest32,
    ) -> Option<Result<Arc<Validated<C>>, TokenError>>
    where
        C: Claims + DeserializeOwned + Send + Sync + 'static,
    {
        // Answered at once on every hit whose keys and revocation backend are at hand; the
        // rest waits in a box, so that a request's future stays the size of the first case.
        // Written out rather than `answer().await`: a future less on every hit (measured at
        // 10 to 20 ns of `hot_path/gate_cache_hit`).
        match self.cached_now::<C>(digest) {
            Lookup::Miss => None,
            Lookup::Now(result) => Some(result),
            Lookup::Wait(wait) => wait.await,
        }
    }

    /// [`cached`](Self::cached), as far as it gets without waiting.
    pub(crate) fn cached_now<C>(&self, digest: &Digest32) -> Lookup<'_, C>
    where
        C: Claims + DeserializeOwned + Send + Sync + 'static,
    {
        let inner = &*self.inner;
        let Some(cache) = inner.cache.as_ref() else {
            return Lookup::Miss;
        };
        let now = inner.clock.unix_now();
        let Some((key, value)) = cache.get(digest, now) else {
            return Lookup::Miss;
        };
        // An entry made by `validate` (no value) or for another claims type: a miss.
        let Some(validated) = value.and_then(|value| value.downcast::<Validated<C>>().ok()) else {
            return Lookup::Miss;
        };
        let current = inner.current_key_now(
            validated.texts.get(Text::Iss),
            validated.texts.get(Text::Kid),
            validated.alg,
        );
        match current {
            Some(current) => Self::hit(inner, cache, *digest, key, current, validated, now),
            None => {
                let digest = *digest;
                Lookup::Wait(Box::pin(async move {
                    let current = inner
                        .current_key(
                            validated.texts.get(Text::Iss),
                            validated.texts.get(Text::Kid),
                            validated.alg,
                        )
                        .await;
                    Self::hit(inner, cache, digest, key, current, validated, now)
                        .answer()
                        .await
                }))
            }
        }
    }

    /// A cache entry made under the key `key`, when the token now selects `current`: the
    /// checks a hit still runs, the clock's and revocation.
    fn hit<'v, C>(
        inner: &'v Inner,
        cache: &VerifiedCache,
        digest: Digest32,
        key: Digest32,
        current: Option<Digest32>,
        validated: Arc<Validated<C>>,
        now: u64,
    ) -> Lookup<'v, C>
    where
        C: Claims + DeserializeOwned + Send + Sync + 'static,
    {
        if current != Some(key) {
            // The key left the key set or was replaced under its kid: verify again.
            cache.remove(&digest);
            return Lookup::Miss;
        }
        cache.count(true);
        if let Err(error) = inner.check_times(validated.exp, validated.nbf, validated.iat, now) {
            return Lookup::Now(Err(error));
        }
        match inner.revocation_now(&validated) {
            Some(answer) => Lookup::Now(answer.map(|()| validated)),
            None => Lookup::Wait(Box::pin(async move {
                Some(inner.check_revocation(&validated).await.map(|()| validated))
            })),
        }
    }

    /// [`validate_shared`](Self::validate_shared) after [`cached`](Self::cached) answered
    /// `None`: the whole validation, whose result fills the cache under `digest` (the token's
    /// [`cache_digest`](Self::cache_digest)) when the cache is on.
    pub(crate) async fn validate_missed<C>(
        &self,
        token: &str,
        digest: Option<Digest32>,
    ) -> Result<Arc<Validated<C>>, TokenError>
    where
        C: Claims + DeserializeOwned + Send + Sync + 'static,
    {
        let inner = &*self.inner;
        let parts = inner.split(token)?;
        let now = inner.clock.unix_now();
        let (Some(cache), Some(digest)) = (&inner.cache, digest) else {
            let (validated, _) = inner.read::<C>(&parts, CacheUse::Off, now).await?;
            inner.check_revocation(&validated).await?;
            return Ok(Arc::new(validated));
        };
        cache.count(false);
        let (mut validated, key) = inner.read::<C>(&parts, CacheUse::Fill, now).await?;
        if key.is_some() && inner.revocation.is_some() {
            // Kept with the entry: what the revocation backend derives from the identifiers
            // is derived once, not on every hit.
            validated.memo = Some(super::TokenMemo::default());
        }
        if key.is_some() {
            // Likewise the claims resolved against the policy the gate admits them under.
            validated.resolution = Some(super::TokenMemo::default());
        }
        let validated = Arc::new(validated);
        if let Some(key) = key {
            let shared: crate::token::cache::Shared = validated.clone();
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
            .read_any::<C>(&parts, CacheUse::Off, inner.clock.unix_now())
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

    /// The clock the validator reads ([`ValidatorBuilder::clock`]). A [`Gate`](crate::Gate)
    /// reads it too, for step-up freshness.
    pub fn clock(&self) -> &super::Clock {
        &self.inner.clock
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
            .map(crate::token::cache::VerifiedCache::stats)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A validator of HS256 tokens, with the verified-token cache of `cache` entries (0: off).
    fn hs256(max_token_len: usize, cache: usize) -> Validator {
        Validator::builder()
            .issuer("https://id.example")
            .audience("api")
            .algorithms([crate::Algorithm::HS256])
            .key(crate::token::Key::hmac_secret(
                b"a secret of thirty-two bytes!!!!",
            ))
            .max_token_len(max_token_len)
            .cache(cache)
            .build()
            .unwrap()
    }

    #[test]
    fn only_a_token_the_validator_could_accept_is_hashed_for_the_cache() {
        let validator = hs256(64, 10);
        assert!(validator.cache_digest(&[b'a'; 64]).is_some());
        assert_eq!(
            validator.cache_digest(&[b'a'; 65]),
            None,
            "longer than the validator accepts: never in the cache, never hashed"
        );
        assert_eq!(
            hs256(64, 0).cache_digest(b"abc"),
            None,
            "no cache, no digest"
        );
    }
}
