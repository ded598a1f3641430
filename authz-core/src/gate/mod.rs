//! What every web-framework adapter does at the door, written once: read bearer credentials
//! from the `Authorization` header values (RFC 6750 section 2.1, never the query string or a
//! form body), authenticate them (a JWT, or an API key when configured), check a requirement,
//! write the audit events, and describe a refusal as HTTP status, `WWW-Authenticate` challenge
//! and RFC 9457 problem body. An adapter only moves these values in and out of its framework's
//! request and response types; see `docs/adapters.md`.
//!
//! The audit events it writes are described in the [`audit`] module.
//!
//! ```
//! use authz_core::{Algorithm, Gate, Validator, testkit::{TestKey, claims_for}};
//! # authz_core::policy! { /// P
//! # pub mod docs { permissions { /// r
//! # "docs:read", } roles { /// r
//! # "reader" = ["docs:read"], } } }
//! # #[derive(serde::Deserialize, authz_core::Claims)]
//! # struct Token { sub: String, #[serde(default)] #[claims(roles)] roles: Vec<String> }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let key = TestKey::generate(Algorithm::HS256, "k");
//! let validator = Validator::builder().algorithms([Algorithm::HS256]).key(key.verification_key())
//!     .issuer("https://id").audience("docs").build().unwrap();
//! let gate = Gate::new(validator).realm("docs");
//!
//! // No credentials: 401 with a bare challenge.
//! let refusal = gate.authenticate::<docs::Policy, Token>([], "/doc").await.unwrap_err();
//! assert_eq!(refusal.status(), 401);
//! assert_eq!(refusal.challenge().as_deref(), Some(r#"Bearer realm="docs""#));
//!
//! // A reader token: authenticated, and allowed to read.
//! let mut claims = claims_for("https://id", "docs", "ann");
//! claims["roles"] = serde_json::json!(["reader"]);
//! let header = format!("Bearer {}", key.mint(&claims));
//! let caller = gate.authenticate::<docs::Policy, Token>([header.as_bytes()], "/doc").await.unwrap();
//! assert!(gate.authorize::<docs::perm::DocsRead, _>(&caller, "/doc").is_ok());
//! # });
//! ```

use std::fmt;
use std::sync::Arc;

use crate::audit;
use crate::authorize::{Authenticated, Denied, DenyReason, Granted};
use crate::claims::Claims;
use crate::policy::Policy;
pub use crate::requirement::StepUpPolicy;
use crate::requirement::{Need, Requirement, Rule};
use crate::token::{ErrorCategory, Validator};

mod bearer;
#[cfg(feature = "cookies")]
mod cookie;
mod refusal;
mod tenant;

#[cfg(feature = "cookies")]
use bearer::is_b64token;
pub use bearer::{Credentials, bearer_credentials};
#[cfg(feature = "cookies")]
use cookie::{CookieCredentials, HOST_PREFIX};
pub use refusal::{Refusal, RefusalKind};
pub use tenant::RouteCheck;

/// Seconds a client is asked to wait (`Retry-After`) when a dependency (keys, revocation
/// store, API key store) is down.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// The rule a separation-of-duties refusal names.
const SEPARATION_RULE: Rule = Rule::Check("separation of duties");

/// The media type of every refusal's body (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The door of a service: the token validator, the realm named in challenges, and (feature
/// `api-keys`) the API keys accepted beside tokens. Cheap to clone: one reference count, which
/// matters because axum clones an application's state (and so its gate) several times per
/// request.
#[derive(Clone)]
pub struct Gate {
    config: Arc<GateConfig>,
}

/// What a [`Gate`] holds, behind one `Arc`.
#[derive(Clone)]
struct GateConfig {
    validator: Validator,
    realm: Arc<str>,
    #[cfg(feature = "api-keys")]
    api_keys: Option<crate::api_key::ApiKeys>,
    separation: Separation,
    step_up: Option<Arc<StepUpPolicy>>,
    #[cfg(feature = "cookies")]
    cookie: Option<Arc<CookieCredentials>>,
    /// [`Gate::assignments`], for routes declared in a tenant.
    assignments: Option<tenant::Stored>,
}

pub use crate::token::LogoutWithoutStore;

/// Where a credential came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `Authorization: Bearer`.
    Header,
    /// The gate's cookie (feature `cookies`).
    #[cfg_attr(not(feature = "cookies"), allow(dead_code))]
    Cookie,
}

/// Where a gate reads a request: its method and its header values by (lowercase) name. An
/// adapter implements it for its framework's request type (a newtype around it), and hands it
/// to [`Gate::authenticate_request`].
pub trait RequestHeaders {
    /// The method, as sent (`GET`, `POST`, ...).
    fn method(&self) -> &str;

    /// Every value of the header `name` (given in lowercase), in order.
    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]>;
}

/// What a [`Gate`] does with a credential that holds both permissions of a declared
/// separation-of-duties pair (NIST RBAC dynamic separation of duties), for instance a token
/// with roles `clerk` and `accountant` when `invoices:create` and `invoices:approve` are
/// separated. Either way both permissions of the pair are out of the caller's set, and an audit
/// event `separation_of_duties` names the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Separation {
    /// Refuse the request: 403 naming the reason, audited at `WARN` as a deny. The default:
    /// such a token says the identity provider's assignment is wrong, and nobody should act
    /// on it until it is fixed.
    #[default]
    Refuse,
    /// Let the caller in without either permission of the pair, audited at `WARN` with
    /// `decision = "drop"`: for migrations, where tokens are known to combine duties and the
    /// other permissions must keep working.
    Drop,
}

impl fmt::Debug for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gate")
            .field("realm", &self.config.realm)
            .finish_non_exhaustive()
    }
}

impl Gate {
    /// The validator, with realm `"api"`.
    pub fn new(validator: Validator) -> Self {
        let config = GateConfig {
            validator,
            realm: Arc::from("api"),
            #[cfg(feature = "api-keys")]
            api_keys: None,
            separation: Separation::Refuse,
            step_up: None,
            #[cfg(feature = "cookies")]
            cookie: None,
            assignments: None,
        };
        Self {
            config: Arc::new(config),
        }
    }

    /// The configuration, to change it: builder methods run before the gate is shared, so this
    /// copies nothing then.
    fn config_mut(&mut self) -> &mut GateConfig {
        Arc::make_mut(&mut self.config)
    }

    /// Also reads the access token from the cookie `name` (feature `cookies`); bearer-only is
    /// the default. The name must carry the `__Host-` prefix (`__Host-access_token`), so that
    /// browsers accept it only when set by this origin over HTTPS for the whole site (RFC
    /// 6265bis 4.1.3.2): a sibling subdomain cannot plant one. Set it
    /// `HttpOnly; Secure; SameSite=Strict`. A request that sends the name more than once (a
    /// planted cookie beside the real one) is refused with 400 `invalid_request`.
    ///
    /// Only JWT access tokens are read from the cookie: an API key there is refused (401), as
    /// keys are read only from `Authorization: Bearer`.
    ///
    /// Cookies travel with every request the browser makes to the site, including those a
    /// hostile page triggers (CSRF), so a request that changes state (any method but `GET`,
    /// `HEAD` and `OPTIONS`) with cookie credentials must show it comes from this site:
    /// `Sec-Fetch-Site: same-origin` (or `none`, typed by the user), or else an `Origin` among
    /// [`allowed_origins`](Self::allowed_origins). Otherwise, and when it sends neither
    /// header, it is refused with 403. A request with both an `Authorization` header and the
    /// cookie is 400 `invalid_request` (RFC 6750 section 2: one method per request).
    /// # Panics
    ///
    /// When `name` does not start with `__Host-`: a configuration error, found at start-up.
    /// [`dangerously_cookie_without_host_prefix`](Self::dangerously_cookie_without_host_prefix)
    /// is the explicit opt-out.
    #[cfg(feature = "cookies")]
    #[must_use]
    #[track_caller]
    pub fn cookie(self, name: impl Into<String>) -> Self {
        let name = name.into();
        assert!(
            name.starts_with(HOST_PREFIX),
            "Gate::cookie({name:?}): name the access-token cookie with the `__Host-` prefix (say \"__Host-access_token\"), so that no sibling subdomain can set it; Gate::dangerously_cookie_without_host_prefix is the opt-out",
        );
        self.dangerously_cookie_without_host_prefix(name)
    }

    /// [`cookie`](Self::cookie) without the `__Host-` prefix: any subdomain of the site (and
    /// any plain-HTTP page of it) can then set a cookie of that name, and have the browser
    /// send it. Only for deployments that cannot use the prefix (no HTTPS in front of a
    /// development server); duplicates are still refused.
    #[cfg(feature = "cookies")]
    #[must_use]
    pub fn dangerously_cookie_without_host_prefix(mut self, name: impl Into<String>) -> Self {
        let allowed_origins = self
            .config
            .cookie
            .as_ref()
            .map(|c| c.allowed_origins.clone())
            .unwrap_or_default();
        self.config_mut().cookie = Some(Arc::new(CookieCredentials {
            name: name.into().into_boxed_str(),
            allowed_origins,
        }));
        self
    }

    /// Origins (`https://app.example.com`, scheme, host and port as browsers send them) from
    /// which state-changing requests with cookie credentials are accepted even when
    /// `Sec-Fetch-Site` does not say `same-origin`: a front end on a sibling origin. Call
    /// after [`cookie`](Self::cookie).
    #[cfg(feature = "cookies")]
    #[must_use]
    pub fn allowed_origins<S: Into<String>>(
        mut self,
        origins: impl IntoIterator<Item = S>,
    ) -> Self {
        if let Some(cookie) = &self.config.cookie {
            let mut cookie = CookieCredentials::clone(cookie);
            cookie.allowed_origins = origins
                .into_iter()
                .map(|o| o.into().trim_end_matches('/').to_owned().into_boxed_str())
                .collect();
            self.config_mut().cookie = Some(Arc::new(cookie));
        }
        self
    }

    /// What a step-up means here: requirements marked
    /// [`StepUp`](crate::requirement::StepUp) demand a login meeting `policy` as well as their
    /// rule. Without a policy (the default) no step-up is demanded: the deployment decides
    /// what a strong enough, recent enough login is, the code which actions need one.
    #[must_use]
    pub fn step_up(mut self, policy: StepUpPolicy) -> Self {
        self.config_mut().step_up = Some(Arc::new(policy));
        self
    }

    /// What to do with a credential holding both sides of a separation-of-duties pair
    /// (default [`Separation::Refuse`]).
    #[must_use]
    pub fn separation_of_duties(mut self, separation: Separation) -> Self {
        self.config_mut().separation = separation;
        self
    }

    /// The realm named in `WWW-Authenticate` challenges.
    #[must_use]
    pub fn realm(mut self, realm: impl Into<Arc<str>>) -> Self {
        self.config_mut().realm = realm.into();
        self
    }

    /// Also accepts API keys: a bearer credential with the keys' prefix is verified as a key,
    /// anything else as a JWT. Both end in the same caller, permissions and proofs. The keys
    /// use the validator's revocation backend, so that revoking a subject refuses its keys
    /// created before the cut-off, as it refuses its tokens: the backend is given once, to the
    /// validator. One given to the keys themselves
    /// ([`ApiKeys::revocation`](crate::api_key::ApiKeys::revocation), for keys used without a
    /// gate) is kept only when the validator has none.
    #[cfg(feature = "api-keys")]
    #[must_use]
    pub fn api_keys(mut self, keys: crate::api_key::ApiKeys) -> Self {
        self.config_mut().api_keys =
            Some(keys.with_gate_revocation(self.config.validator.revocation_backend()));
        self
    }

    /// The validator.
    pub fn validator(&self) -> &Validator {
        &self.config.validator
    }

    /// A back-channel logout receiver that writes to the revocation store this gate's
    /// validator consults ([`ValidatorBuilder::revocation_store`](crate::token::ValidatorBuilder::revocation_store)):
    /// [`BackChannelLogout::new`](crate::token::BackChannelLogout::new) with this gate's
    /// validator. `logout_tokens` validates the logout tokens (the identity provider's issuer
    /// and keys, this client's id as the audience). Serve it with the adapter's ready endpoint
    /// (`Router::backchannel_logout` in authz-axum, `Routes::backchannel_logout` in
    /// authz-actix).
    ///
    /// Refused when the validator has no revocation store (only a read-only
    /// [`revocation`](crate::token::ValidatorBuilder::revocation) hook, or none).
    pub fn backchannel_logout(
        &self,
        logout_tokens: Validator,
    ) -> Result<crate::token::BackChannelLogout, LogoutWithoutStore> {
        crate::token::BackChannelLogout::new(logout_tokens, &self.config.validator)
    }

    fn refuse(&self, kind: RefusalKind) -> Refusal {
        Refusal::new(kind, Some(self.config.realm.clone()))
    }

    /// Authenticates a request from its `Authorization` header values: reads the bearer
    /// credentials, validates them, resolves the caller's permissions once under `P`. `route`
    /// (the matched route pattern, or empty) goes into the audit events.
    pub async fn authenticate<'a, P: Policy, C>(
        &self,
        authorization: impl IntoIterator<Item = &'a [u8]>,
        route: &str,
    ) -> Result<Authenticated<P, C>, Refusal>
    where
        C: Claims + serde::de::DeserializeOwned + Send + Sync + 'static,
    {
        let mut values = authorization.into_iter();
        let (first, second) = (values.next(), values.next());
        let looked_up = self.cache_key(first, second);
        if let Some((_, digest)) = &looked_up
            && let Some(cached) = self.config.validator.cached::<C>(digest).await
        {
            return self.admit_validated(cached, route);
        }
        let token = match bearer_credentials(first.into_iter().chain(second)) {
            Credentials::Bearer(token) => token,
            Credentials::Missing => {
                audit::authentication(route, "missing_credentials", None, &"no bearer credentials");
                return Err(self.refuse(RefusalKind::MissingCredentials));
            }
            Credentials::Malformed(reason) => {
                audit::authentication(route, "invalid_request", None, &reason);
                return Err(self.refuse(RefusalKind::InvalidRequest(reason)));
            }
        };
        // A miss: the digest is the parsed token's when the parse kept the same bytes.
        let digest =
            looked_up.and_then(|(bytes, digest)| (bytes == token.as_bytes()).then_some(digest));
        // Boxed: a whole validation's future is several times the size of a cache hit's,
        // and every request's future (the handler's, which axum boxes and moves) holds this
        // one. A miss verifies a signature, next to which the allocation is nothing.
        Box::pin(self.authenticate_token(token, digest, route, Source::Header)).await
    }

    /// Authenticates a request as [`authenticate`](Self::authenticate) does, reading the
    /// `Authorization` header and, when the gate reads a cookie (`Gate::cookie`, feature `cookies`), the
    /// cookie, with its CSRF defence. What adapters call.
    pub async fn authenticate_request<P: Policy, C>(
        &self,
        request: &impl RequestHeaders,
        route: &str,
    ) -> Result<Authenticated<P, C>, Refusal>
    where
        C: Claims + serde::de::DeserializeOwned + Send + Sync + 'static,
    {
        #[cfg(feature = "cookies")]
        if let Some(cookie) = &self.config.cookie
            && let Some(token) = cookie.token(request)
        {
            let Ok(token) = token else {
                let reason = "the credentials cookie is sent more than once";
                audit::authentication(route, "invalid_request", None, &reason);
                return Err(self.refuse(RefusalKind::InvalidRequest(reason)));
            };
            let bearer = bearer_credentials(request.header_values("authorization"));
            if bearer != Credentials::Missing {
                let reason = "credentials in both the Authorization header and a cookie";
                audit::authentication(route, "invalid_request", None, &reason);
                return Err(self.refuse(RefusalKind::InvalidRequest(reason)));
            }
            if let Some(reason) = cookie.cross_site(request) {
                audit::authentication(route, "cross_site", None, &reason);
                return Err(self.refuse(RefusalKind::CrossSite(reason)));
            }
            if !is_b64token(token) {
                let reason = "the cookie credentials are not one token";
                audit::authentication(route, "invalid_request", None, &reason);
                return Err(self.refuse(RefusalKind::InvalidRequest(reason)));
            }
            // Boxed, as a miss of the header's is (see `authenticate`).
            return Box::pin(self.authenticate_token(token, None, route, Source::Cookie)).await;
        }
        self.authenticate(request.header_values("authorization"), route)
            .await
    }

    /// [`authenticate_request`](Self::authenticate_request) as far as it gets without
    /// waiting: the answer when the request's token is in the verified-token cache and every
    /// check a hit still runs answers from memory (the key set is fresh, the revocation store
    /// answers without I/O), with no allocation. `None` when authentication must take the long
    /// road (no cache entry, keys to refresh, a revocation backend to ask, a cookie, an API
    /// key, missing or malformed credentials): then call `authenticate_request`. An adapter
    /// whose guard answers with a ready future when it can, instead of a state machine that
    /// holds every step of the long road, calls this first.
    pub fn authenticate_now<P: Policy, C>(
        &self,
        request: &impl RequestHeaders,
        route: &str,
    ) -> Option<Result<Authenticated<P, C>, Refusal>>
    where
        C: Claims + serde::de::DeserializeOwned + Send + Sync + 'static,
    {
        #[cfg(feature = "cookies")]
        if let Some(cookie) = &self.config.cookie
            && cookie.token(request).is_some()
        {
            return None;
        }
        let mut values = request.header_values("authorization");
        let (first, second) = (values.next(), values.next());
        let (_, digest) = self.cache_key(first, second)?;
        let cached = self.config.validator.cached_now::<C>(&digest).now()?;
        Some(self.admit_validated(cached, route))
    }

    /// The form every client sends, `Bearer <token>` in one header, is looked up in the
    /// verified-token cache before it is parsed: bytes the cache holds are a token that passed
    /// every check, and this header parses to exactly that token (see `Validator::cached`).
    /// The token's bytes and their cache digest, for the values `first` and `second` of the
    /// `Authorization` header, when the cache is on and the header has that form.
    fn cache_key<'t>(
        &self,
        first: Option<&'t [u8]>,
        second: Option<&[u8]>,
    ) -> Option<(&'t [u8], [u8; 32])> {
        if second.is_some() || !self.config.validator.has_cache() {
            return None;
        }
        let token = first.and_then(bearer::plain_bearer)?;
        if self.claimed_by_api_keys(token) {
            return None;
        }
        Some((token, self.config.validator.cache_digest(token)?))
    }

    /// Whether the request carries credentials at all (a bearer `Authorization` header, or the
    /// gate's cookie): an optional caller is absent exactly when it does not. Bad credentials
    /// count as credentials, and are refused.
    pub fn has_credentials(&self, request: &impl RequestHeaders) -> bool {
        #[cfg(feature = "cookies")]
        if let Some(cookie) = &self.config.cookie
            && cookie.token(request).is_some()
        {
            return true;
        }
        bearer_credentials(request.header_values("authorization")) != Credentials::Missing
    }

    /// Authenticates one credential: an API key, or a token (`digest`: its cache digest when
    /// the caller already computed it and missed).
    async fn authenticate_token<P: Policy, C>(
        &self,
        token: &str,
        digest: Option<[u8; 32]>,
        route: &str,
        source: Source,
    ) -> Result<Authenticated<P, C>, Refusal>
    where
        C: Claims + serde::de::DeserializeOwned + Send + Sync + 'static,
    {
        #[cfg(not(feature = "api-keys"))]
        let _ = source;
        #[cfg(feature = "api-keys")]
        if let Some(keys) = self
            .config
            .api_keys
            .as_ref()
            .filter(|keys| keys.claims_credential(token))
        {
            if source == Source::Cookie {
                // Keys are read from `Authorization: Bearer` only: a key in a cookie rides
                // along with every cross-site request the browser makes.
                let error = crate::api_key::ApiKeyError::InCookie;
                audit::authentication(route, "invalid_token", None, &error);
                return Err(self.refuse(RefusalKind::ApiKey(error)));
            }
            return match keys.verify(token).await {
                Ok(key) => self.admit(Authenticated::from_api_key(key), route),
                Err(error) => {
                    audit::authentication(
                        route,
                        category(error.category()),
                        Some(error.key_id().unwrap_or("")),
                        &crate::util::Chain(&error),
                    );
                    Err(self.refuse(RefusalKind::ApiKey(error)))
                }
            };
        }
        let validated = match digest {
            Some(digest) => {
                self.config
                    .validator
                    .validate_missed::<C>(token, Some(digest))
                    .await
            }
            None => self.config.validator.validate_shared::<C>(token).await,
        };
        self.admit_validated(validated, route)
    }

    /// Whether the gate's API keys claim `credential` (by their prefix): such credentials are
    /// never tokens, cached or not.
    fn claimed_by_api_keys(&self, credential: &[u8]) -> bool {
        #[cfg(feature = "api-keys")]
        if let Some(keys) = &self.config.api_keys {
            return keys.claims_bytes(credential);
        }
        let _ = credential;
        false
    }

    /// Admits a validated token, or refuses with the validation's error.
    fn admit_validated<P: Policy, C: Claims>(
        &self,
        validated: Result<Arc<crate::token::Validated<C>>, crate::token::TokenError>,
        route: &str,
    ) -> Result<Authenticated<P, C>, Refusal> {
        match validated {
            Ok(validated) => self.admit(Authenticated::from_cached(validated), route),
            Err(error) => {
                let chain = crate::util::Chain(&error);
                audit::authentication(route, category(error.category()), None, &chain);
                Err(self.refuse(RefusalKind::Token(error)))
            }
        }
    }

    /// The last step of authentication: records the route on the caller, decides once whether
    /// the login meets the step-up policy, and applies dynamic separation of duties.
    fn admit<P: Policy, C: Claims>(
        &self,
        mut caller: Authenticated<P, C>,
        route: &str,
    ) -> Result<Authenticated<P, C>, Refusal> {
        caller.set_route(route);
        if let Some(policy) = &self.config.step_up {
            caller.assess_step_up(Some(policy), self.config.validator.clock().unix_now());
        }
        let Some(pair) = caller.separated() else {
            return Ok(caller);
        };
        let refuse = self.config.separation == Separation::Refuse;
        audit::separation_of_duties(route, caller.audit_who(), pair, refuse);
        if refuse {
            let denied = Denied::new(SEPARATION_RULE, DenyReason::SeparationOfDuties);
            return Err(self.refuse(RefusalKind::Forbidden(denied)));
        }
        Ok(caller)
    }

    /// Checks requirement `R` for `caller`, writing the audit event; the proof on success.
    pub fn authorize<R, C>(
        &self,
        caller: &Authenticated<R::Policy, C>,
        route: &str,
    ) -> Result<Granted<R>, Refusal>
    where
        R: Requirement,
        C: Claims,
    {
        self.authorize_need(caller, Need::of::<R>(), route)
            .map(|()| Granted::new())
    }

    /// [`authorize`](Self::authorize) on the requirement as data. Only a `Granted` made from
    /// its `Ok` is a proof. Inlined, so that the need of a requirement type is a constant
    /// there (its test a bit test, not a call); the audit event and the refusal are out of
    /// line, in one copy.
    #[inline]
    pub(crate) fn authorize_need<P, C>(
        &self,
        caller: &Authenticated<P, C>,
        need: Need<P>,
        route: &str,
    ) -> Result<(), Refusal>
    where
        P: Policy,
        C: Claims,
    {
        let decision = caller.check_need(need);
        if audit::may_record(decision.is_ok()) {
            let reason = decision
                .as_ref()
                .err()
                .map_or("rule met", |denied| denied.reason().as_str());
            audit::authorization(
                route,
                caller.audit_who(),
                need.rule,
                decision.is_ok(),
                reason,
                || caller.audit_unknown_names(),
            );
        }
        decision.map_err(|denied| self.refuse_denied(denied, need.rule, route))
    }

    /// The refusal of a check that did not pass: out of line, in one copy.
    #[cold]
    fn refuse_denied(&self, denied: Denied, rule: Rule, route: &str) -> Refusal {
        let kind = RefusalKind::from_denied(denied);
        if let RefusalKind::StepUpNotConfigured = kind {
            tracing::error!(
                target: audit::AUDIT_TARGET,
                route,
                rule = %rule,
                "a route requires a step-up login but the gate has no step-up policy: call Gate::step_up(StepUpPolicy::acr([..]))",
            );
        }
        self.refuse(kind)
    }
}

fn category(category: ErrorCategory) -> &'static str {
    match category {
        ErrorCategory::Unavailable => "unavailable",
        other => other.rfc6750_code().unwrap_or("invalid_token"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(values: &[&'static [u8]]) -> Credentials<'static> {
        bearer_credentials(values.iter().copied())
    }

    #[test]
    fn accepts_one_bearer_token_with_any_scheme_case() {
        assert_eq!(
            parse(&[b"Bearer abc.def.ghi"]),
            Credentials::Bearer("abc.def.ghi")
        );
        assert_eq!(parse(&[b"bEaReR abc"]), Credentials::Bearer("abc"));
        assert_eq!(
            parse(&[b"Bearer   a-b_c~d+e/f=="]),
            Credentials::Bearer("a-b_c~d+e/f==")
        );
    }

    #[test]
    fn other_schemes_and_absence_are_missing_credentials() {
        assert_eq!(parse(&[]), Credentials::Missing);
        assert_eq!(parse(&[b"Basic dXNlcjpwYXNz"]), Credentials::Missing);
        assert_eq!(parse(&[b"Bearerabc"]), Credentials::Missing);
    }

    #[test]
    fn malformed_bearer_credentials_are_invalid_requests() {
        for bad in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Bearer a b",
            b"Bearer a\tb",
            b"Bearer ===",
            b"Bearer a=b",
            b"Bearer \xff",
            b"Bearer a\x01",
        ] {
            assert!(
                matches!(parse(&[bad]), Credentials::Malformed(_)),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse(&[b"Bearer a", b"Bearer b"]),
            Credentials::Malformed(_)
        ));
    }

    #[test]
    fn challenges_quote_safely() {
        let refusal = Refusal::new(
            RefusalKind::MissingCredentials,
            Some(Arc::from("a\"b\\c\nd")),
        );
        assert_eq!(
            refusal.challenge().as_deref(),
            Some(r#"Bearer realm="abcd""#)
        );
        let refusal = Refusal::new(RefusalKind::InvalidRequest("x"), None);
        assert_eq!(
            refusal.challenge().as_deref(),
            Some(r#"Bearer error="invalid_request", error_description="x""#)
        );
        assert_eq!(refusal.status(), 400);
        assert!(refusal.problem_json().contains(r#""status":400"#));
    }
}
