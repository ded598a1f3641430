//! The issuers a validator trusts, and where each key source's keys come from.

use core::fmt;
use std::path::Path;

use crate::token::algorithm::Algorithm;
use crate::token::error::ConfigError;
use crate::token::keys::{JwksOrigin, Key, KeySet, parse_jwks, read_file};

use super::{Authority, KeySource, TenantScope};

/// Where one key source's keys come from, as configured.
#[derive(Default)]
pub(super) struct KeySpec {
    pub(super) keys: Vec<Key>,
    /// Keys that came from a JWKS document: those no allowed algorithm can use are dropped
    /// rather than refused, since a JWKS often holds keys for other algorithms.
    pub(super) jwks_keys: usize,
    pub(super) errors: Vec<ConfigError>,
    #[cfg(feature = "remote")]
    pub(super) remote: Option<crate::token::jwks::RemoteSpec>,
}

impl KeySpec {
    pub(super) fn is_empty(&self) -> bool {
        #[cfg(feature = "remote")]
        let remote = self.remote.is_some();
        #[cfg(not(feature = "remote"))]
        let remote = false;
        self.keys.is_empty() && self.errors.is_empty() && !remote
    }

    pub(super) fn jwks_json(&mut self, json: &str) {
        match parse_jwks(json.as_bytes(), JwksOrigin::Static) {
            Ok(parsed) => {
                if let Some(kid) = parsed.duplicate_kids.into_iter().next() {
                    self.errors
                        .push(crate::token::error::KeyError::DuplicateKid(kid).into());
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

    pub(super) fn jwks_file(&mut self, path: &Path) {
        match read_file(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(json) => self.jwks_json(&json),
                Err(_) => self
                    .errors
                    .push(crate::token::error::KeyError::Json("not UTF-8".into()).into()),
            },
            Err(e) => self.errors.push(e),
        }
    }

    /// The key source, checked against the allowed algorithms. `symmetric` tells whether
    /// HMAC algorithms are allowed (then a remote key set cannot serve).
    pub(super) fn build(
        self,
        algorithms: &[Algorithm],
        #[cfg(feature = "remote")] config: &crate::token::jwks::RemoteConfig,
        #[cfg(feature = "remote")] clock: &crate::token::Clock,
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
                Ok(KeySource::Remote(Box::new(
                    crate::token::jwks::RemoteJwks::new(spec, config.clone(), clock.clone())?,
                )))
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
/// ([`ValidatorBuilder::trust`](super::ValidatorBuilder::trust)): tokens that name this issuer are verified with these keys
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
    pub(super) issuer: String,
    pub(super) keys: KeySpec,
    pub(super) authority: Authority,
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

    /// Adds the keys of a JWKS document, as [`ValidatorBuilder::jwks_json`](super::ValidatorBuilder::jwks_json).
    pub fn jwks_json(mut self, json: &str) -> Self {
        self.keys.jwks_json(json);
        self
    }

    /// Adds the keys of a JWKS file, as [`ValidatorBuilder::jwks_file`](super::ValidatorBuilder::jwks_file).
    pub fn jwks_file(mut self, path: impl AsRef<Path>) -> Self {
        self.keys.jwks_file(path.as_ref());
        self
    }

    /// The issuer's keys come from this JWKS URL, as [`ValidatorBuilder::jwks_url`](super::ValidatorBuilder::jwks_url).
    #[cfg(feature = "remote")]
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.keys.remote = Some(crate::token::jwks::RemoteSpec::Jwks(url.into()));
        self
    }

    /// The issuer `issuer`, with keys found by OIDC discovery, as
    /// [`ValidatorBuilder::oidc_issuer`](super::ValidatorBuilder::oidc_issuer).
    #[cfg(feature = "remote")]
    pub fn oidc(issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        Self {
            keys: KeySpec {
                remote: Some(crate::token::jwks::RemoteSpec::Discovery(issuer.clone())),
                ..KeySpec::default()
            },
            issuer,
            authority: Authority::default(),
        }
    }
}
