//! [`ValidatorBuilder`]: every setting, and the checks that refuse an unsafe configuration.

use core::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::claims::RegisteredClaims;
use crate::token::algorithm::Algorithm;
use crate::token::error::ConfigError;
use crate::token::keys::Key;
use crate::token::provider::install_process_default;
use crate::token::revocation::{Revocation, RevocationStore};

use super::{
    Authority, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_LEN, ExtraClaims, Inner, Issuer, KeySpec,
    MAX_LEEWAY_SECS, Trusted, Validator, normalize_typ,
};

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
    remote_config: crate::token::jwks::RemoteConfig,
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
    clock: crate::token::Clock,
}

impl Default for ValidatorBuilder {
    fn default() -> Self {
        Self {
            algorithms: Vec::new(),
            unbound: KeySpec::default(),
            trusted: Vec::new(),
            #[cfg(feature = "remote")]
            remote_config: crate::token::jwks::RemoteConfig::default(),
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
            clock: crate::token::Clock::system(),
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
    /// [`TokenError::WrongAudience`](crate::token::TokenError::WrongAudience); `claim` present but not a string gives
    /// [`TokenError::ClaimType`](crate::token::TokenError::ClaimType). `build()` refuses it without an accepted audience, and for a
    /// registered claim name (`aud`, `iss`, `sub`, ...).
    pub fn audience_claim(mut self, claim: &'static str) -> Self {
        self.audience_claim = Some(claim);
        self
    }

    /// Requires the top-level claim `claim` to be the string `value`, compared exactly:
    /// absent gives [`TokenError::MissingClaim`](crate::token::TokenError::MissingClaim), another string [`TokenError::ClaimValue`](crate::token::TokenError::ClaimValue),
    /// another JSON type [`TokenError::ClaimType`](crate::token::TokenError::ClaimType). Use it to accept one kind of token only:
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

    /// Reads the time from `clock` (default [`Clock::system`](crate::token::Clock::system)):
    /// token expiry and the other time claims, the verified-token cache, the JWKS refresh
    /// cool-down, and a [`Gate`](crate::Gate)'s step-up freshness. Tests give a
    /// [`Clock::manual`](crate::token::Clock::manual) and advance it instead of sleeping.
    pub fn clock(mut self, clock: crate::token::Clock) -> Self {
        self.clock = clock;
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
                #[cfg(feature = "remote")]
                &self.clock,
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
                cache: self.cache.map(crate::token::cache::VerifiedCache::new),
                clock: self.clock,
            }),
        })
    }

    /// The claims of [`audience_claim`](Self::audience_claim) and
    /// [`require_claim`](Self::require_claim), checked.
    pub(super) fn extra_claims(&self) -> Result<ExtraClaims, ConfigError> {
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
    pub(super) fn into_first_key_error(self) -> ConfigError {
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
    /// [`RemoteConfig`](crate::token::RemoteConfig) for the defaults). `https://` is required unless
    /// the host is loopback or [`ValidatorBuilder::allow_insecure_http`] was called.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.unbound.remote = Some(crate::token::jwks::RemoteSpec::Jwks(url.into()));
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
    pub fn remote_config(mut self, config: crate::token::jwks::RemoteConfig) -> Self {
        self.remote_config = config;
        self
    }

    /// Allows plain `http://` URLs to hosts that are not loopback. Only for closed networks.
    pub fn allow_insecure_http(mut self) -> Self {
        self.remote_config.allow_insecure_http = true;
        self
    }
}
