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
use crate::requirement::{Requirement, Rule};
use crate::token::{ErrorCategory, TokenError, Validator};

/// Seconds a client is asked to wait (`Retry-After`) when a dependency (keys, revocation
/// store, API key store) is down.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// The rule a separation-of-duties refusal names.
const SEPARATION_RULE: Rule = Rule::Check("separation of duties");

/// The media type of every refusal's body (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// What the request's credentials look like, before any validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// No bearer credentials at all (no header, or another scheme such as `Basic`).
    Missing,
    /// Bearer credentials that break the syntax of RFC 6750; the reason is client-safe.
    Malformed(&'static str),
    /// One token of the `b64token` syntax. Not yet validated.
    Bearer(&'a str),
}

/// Reads `Authorization: Bearer <token>` from the values of every `Authorization` header of a
/// request. The scheme is case-insensitive; exactly one header and one token are allowed.
pub fn bearer_credentials<'a>(
    authorization: impl IntoIterator<Item = &'a [u8]>,
) -> Credentials<'a> {
    let mut values = authorization.into_iter();
    let Some(value) = values.next() else {
        return Credentials::Missing;
    };
    if values.next().is_some() {
        return Credentials::Malformed("more than one Authorization header");
    }
    let visible = all_bytes(value, |b| {
        (b == b' ') | (b == b'\t') | (0x21..=0x7e).contains(&b)
    });
    let Some(value) = std::str::from_utf8(value).ok().filter(|_| visible) else {
        return Credentials::Malformed("the Authorization header is not visible ASCII");
    };
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Credentials::Missing;
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() {
        return Credentials::Malformed("the Bearer credentials are empty");
    }
    if !is_b64token(token) {
        return Credentials::Malformed("the Bearer credentials are not one token");
    }
    Credentials::Bearer(token)
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750 2.1).
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && all_bytes(body.as_bytes(), |b| {
            b.is_ascii_alphanumeric() | matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// Whether every byte passes `ok`. Tokens are hundreds of bytes and checked on every request:
/// each 32-byte chunk is tested without a branch per byte, which the compiler vectorizes
/// (a byte-at-a-time `all` was 15% of a cached request).
fn all_bytes(bytes: &[u8], ok: impl Fn(u8) -> bool + Copy) -> bool {
    let mut chunks = bytes.chunks_exact(32);
    chunks
        .by_ref()
        .all(|chunk| chunk.iter().fold(true, |acc, &b| acc & ok(b)))
        && chunks.remainder().iter().all(|&b| ok(b))
}

/// A refused request, as data any framework can answer: [`status`](Refusal::status),
/// [`challenge`](Refusal::challenge), [`problem_json`](Refusal::problem_json),
/// [`retry_after`](Refusal::retry_after). Nothing in any of them contains the token.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct Refusal {
    kind: RefusalKind,
    realm: Option<Arc<str>>,
}

/// The kinds of refusal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefusalKind {
    /// No bearer credentials: 401 with a bare challenge.
    #[error("no bearer credentials")]
    MissingCredentials,
    /// Bearer credentials that break RFC 6750's syntax: 400 `invalid_request`.
    #[error("malformed request: {0}")]
    InvalidRequest(&'static str),
    /// The token failed validation: 401 `invalid_token` (400 or 503 by the error's category).
    #[error("token rejected: {0}")]
    Token(#[from] TokenError),
    /// A valid caller without the permission: 403 `insufficient_scope` (404 when concealed).
    #[error("{0}")]
    Forbidden(#[from] Denied),
    /// The API key failed verification: 401 `invalid_token` (503 if its store is down).
    #[cfg(feature = "api-keys")]
    #[error("api key rejected: {0}")]
    ApiKey(#[from] crate::api_key::ApiKeyError),
    /// A state-changing request carried cookie credentials but came from another site (or
    /// could not show where it came from): 403, no challenge. CSRF defence.
    #[error("cross-site request refused: {0}")]
    CrossSite(&'static str),
    /// The rule demands a step-up ([`StepUp`](crate::requirement::StepUp)) the login does not
    /// meet: 401 `insufficient_user_authentication` (RFC 9470) with the `acr_values` and
    /// `max_age` to ask the identity provider for.
    #[error("step-up authentication required: {reason}")]
    StepUp {
        /// What the login lacks, client-safe.
        reason: &'static str,
        /// The policy the login must meet.
        policy: Arc<StepUpPolicy>,
    },
    /// The rule demands a step-up ([`StepUp`](crate::requirement::StepUp)) but the gate has
    /// no step-up policy to decide it ([`Gate::step_up`]): 500, a configuration error of the
    /// service, never a pass. Audited at `ERROR`.
    #[error("step-up required but not configured: call Gate::step_up(StepUpPolicy::acr([..]))")]
    StepUpNotConfigured,
    /// Issuing an API key in a handler failed (`?` on [`ApiKeys::issue_by`](crate::api_key::ApiKeys::issue_by)):
    /// its [`http_status`](crate::api_key::IssueError::http_status), no challenge.
    #[cfg(feature = "api-keys")]
    #[error("api key not issued: {0}")]
    Issue(crate::api_key::IssueError),
    /// Revoking an API key in a handler failed: 403 or 503, no challenge.
    #[cfg(feature = "api-keys")]
    #[error("api key not revoked: {0}")]
    Revoke(crate::api_key::RevokeError),
    /// A back-channel logout token was refused (`?` on
    /// [`BackChannelLogout::receive`](crate::token::BackChannelLogout::receive)): 400, no
    /// challenge. The ready endpoints (`Router::backchannel_logout`) answer with the OAuth
    /// error body the specification asks for instead.
    #[error("{0}")]
    Logout(#[from] crate::token::LogoutError),
}

impl Refusal {
    /// A refusal with a realm for its challenge.
    pub fn new(kind: RefusalKind, realm: Option<Arc<str>>) -> Self {
        Self { kind, realm }
    }

    /// What went wrong.
    pub fn kind(&self) -> &RefusalKind {
        &self.kind
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match &self.kind {
            RefusalKind::MissingCredentials => 401,
            RefusalKind::InvalidRequest(_) => 400,
            RefusalKind::Token(error) => error.category().http_status(),
            RefusalKind::Forbidden(denied) if denied.is_concealed() => 404,
            RefusalKind::Forbidden(_) => 403,
            #[cfg(feature = "api-keys")]
            RefusalKind::ApiKey(error) => error.category().http_status(),
            RefusalKind::StepUp { .. } => 401,
            RefusalKind::StepUpNotConfigured => 500,
            RefusalKind::CrossSite(_) => 403,
            #[cfg(feature = "api-keys")]
            RefusalKind::Issue(error) => error.http_status(),
            #[cfg(feature = "api-keys")]
            RefusalKind::Revoke(error) => error.http_status(),
            RefusalKind::Logout(_) => 400,
        }
    }

    /// The RFC 6750 error code, if the response carries one.
    pub fn error_code(&self) -> Option<&'static str> {
        match &self.kind {
            RefusalKind::MissingCredentials => None,
            RefusalKind::InvalidRequest(_) => Some("invalid_request"),
            RefusalKind::Token(error) => error.category().rfc6750_code(),
            RefusalKind::Forbidden(denied) if denied.is_concealed() => None,
            RefusalKind::Forbidden(denied) if denied.reason().is_scope() => {
                Some("insufficient_scope")
            }
            RefusalKind::Forbidden(_) => None,
            #[cfg(feature = "api-keys")]
            RefusalKind::ApiKey(error) => error.category().rfc6750_code(),
            RefusalKind::StepUp { .. } => Some("insufficient_user_authentication"),
            RefusalKind::StepUpNotConfigured => None,
            RefusalKind::CrossSite(_) => None,
            #[cfg(feature = "api-keys")]
            RefusalKind::Issue(_) | RefusalKind::Revoke(_) => None,
            RefusalKind::Logout(error) => Some(error.error_code()),
        }
    }

    /// A short description safe to send to the client.
    pub fn description(&self) -> &'static str {
        match &self.kind {
            RefusalKind::MissingCredentials => "bearer credentials are required",
            RefusalKind::InvalidRequest(reason) => reason,
            RefusalKind::Token(error) => error.description(),
            RefusalKind::Forbidden(denied) if denied.is_concealed() => "not found",
            RefusalKind::Forbidden(denied) => match denied.reason() {
                DenyReason::OtherTenant => "the resource belongs to another tenant",
                DenyReason::SameCreator => "the creator of a resource may not also approve it",
                DenyReason::SeparationOfDuties => {
                    "the credential combines duties that must stay separate"
                }
                DenyReason::Check => "the request is not allowed on this resource",
                _ => "the token does not grant what this request requires",
            },
            #[cfg(feature = "api-keys")]
            RefusalKind::ApiKey(error) => error.description(),
            RefusalKind::StepUp { reason, .. } => reason,
            RefusalKind::StepUpNotConfigured => "the service cannot authorize this request",
            RefusalKind::CrossSite(reason) => reason,
            #[cfg(feature = "api-keys")]
            RefusalKind::Issue(error) => error.description(),
            #[cfg(feature = "api-keys")]
            RefusalKind::Revoke(error) => error.description(),
            RefusalKind::Logout(error) => error.description(),
        }
    }

    /// The `WWW-Authenticate` value, if the response carries one: not on 404 and 503, and not
    /// on a 403 no permission would fix (another tenant, four eyes, separation of duties, an
    /// application check), which is no authentication challenge.
    pub fn challenge(&self) -> Option<String> {
        if matches!(self.status(), 404 | 500 | 503) {
            return None;
        }
        if let RefusalKind::Forbidden(denied) = &self.kind
            && !denied.reason().is_scope()
        {
            return None;
        }
        if let RefusalKind::CrossSite(_) | RefusalKind::Logout(_) = &self.kind {
            return None;
        }
        #[cfg(feature = "api-keys")]
        if let RefusalKind::Issue(_) | RefusalKind::Revoke(_) = &self.kind {
            return None;
        }
        let mut params = Vec::new();
        if let Some(realm) = &self.realm {
            params.push(format!("realm=\"{}\"", quoted(realm)));
        }
        if let Some(code) = self.error_code() {
            params.push(format!("error=\"{code}\""));
            params.push(format!(
                "error_description=\"{}\"",
                quoted(self.description())
            ));
        }
        if let RefusalKind::Forbidden(denied) = &self.kind {
            let scope = denied.rule().scope();
            if !scope.is_empty() {
                params.push(format!("scope=\"{}\"", quoted(&scope)));
            }
        }
        if let RefusalKind::StepUp { policy, .. } = &self.kind {
            if !policy.acr_values().is_empty() {
                params.push(format!(
                    "acr_values=\"{}\"",
                    quoted(&policy.acr_values().join(" "))
                ));
            }
            if let Some(max_age) = policy.max_age_seconds() {
                params.push(format!("max_age={max_age}"));
            }
        }
        Some(if params.is_empty() {
            "Bearer".to_owned()
        } else {
            format!("Bearer {}", params.join(", "))
        })
    }

    /// `Retry-After` seconds, on 503.
    pub fn retry_after(&self) -> Option<u32> {
        (self.status() == 503).then_some(RETRY_AFTER_SECONDS)
    }

    /// The response headers, as (lowercase name, value) pairs: `content-type`
    /// ([`PROBLEM_JSON`]), then `www-authenticate` and `retry-after` when this refusal has
    /// them. An adapter's whole response mapping is the status, a loop over these, and
    /// [`problem_json`](Self::problem_json) as the body.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, String)> {
        [
            Some(("content-type", PROBLEM_JSON.to_owned())),
            self.challenge().map(|c| ("www-authenticate", c)),
            self.retry_after()
                .map(|seconds| ("retry-after", seconds.to_string())),
        ]
        .into_iter()
        .flatten()
    }

    /// The RFC 9457 body, for `Content-Type: application/problem+json`.
    pub fn problem_json(&self) -> String {
        let status = self.status();
        serde_json::json!({
            "type": "about:blank",
            "title": title(status),
            "status": status,
            "detail": self.description(),
        })
        .to_string()
    }
}

impl From<Denied> for Refusal {
    /// For checks made in a handler body (owner checks): the challenge carries no realm.
    fn from(denied: Denied) -> Self {
        Self {
            kind: RefusalKind::from_denied(denied),
            realm: None,
        }
    }
}

impl RefusalKind {
    /// A failed check's refusal: 403 (404 concealed), or the step-up refusals.
    fn from_denied(denied: Denied) -> Self {
        match denied.step_up() {
            None => RefusalKind::Forbidden(denied),
            Some((reason, Some(policy))) => RefusalKind::StepUp {
                reason,
                policy: policy.clone(),
            },
            Some((_, None)) => RefusalKind::StepUpNotConfigured,
        }
    }
}

/// For `?` in a handler: each converts to the refusal its kind describes (the adapters'
/// rejections convert from these the same way).
macro_rules! refusal_from {
    ($($(#[$cfg:meta])* $error:ty),*) => {$(
        $(#[$cfg])*
        impl From<$error> for Refusal {
            fn from(error: $error) -> Self {
                Self { kind: RefusalKind::from(error), realm: None }
            }
        }
    )*};
}
#[cfg(feature = "api-keys")]
impl From<crate::api_key::IssueError> for RefusalKind {
    /// A caller lacking the permission for another subject's key is refused as any missing
    /// permission is (403 with the `insufficient_scope` challenge naming it).
    fn from(error: crate::api_key::IssueError) -> Self {
        match error {
            crate::api_key::IssueError::OtherSubject(denied) => Self::from_denied(denied),
            error => Self::Issue(error),
        }
    }
}

#[cfg(feature = "api-keys")]
impl From<crate::api_key::RevokeError> for RefusalKind {
    fn from(error: crate::api_key::RevokeError) -> Self {
        match error {
            crate::api_key::RevokeError::OtherSubject(denied) => Self::from_denied(denied),
            error => Self::Revoke(error),
        }
    }
}

refusal_from!(
    #[cfg(feature = "api-keys")]
    crate::api_key::IssueError,
    #[cfg(feature = "api-keys")]
    crate::api_key::RevokeError,
    crate::token::LogoutError
);

fn title(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// The characters allowed in a quoted-string here: printable ASCII without `"` and `\`.
fn quoted(value: &str) -> String {
    value
        .chars()
        .filter(|c| matches!(c, ' '..='~') && *c != '"' && *c != '\\')
        .collect()
}

/// The door of a service: the token validator, the realm named in challenges, and (feature
/// `api-keys`) the API keys accepted beside tokens. Cheap to clone.
#[derive(Clone)]
pub struct Gate {
    validator: Validator,
    realm: Arc<str>,
    #[cfg(feature = "api-keys")]
    api_keys: Option<crate::api_key::ApiKeys>,
    separation: Separation,
    step_up: Option<Arc<StepUpPolicy>>,
    #[cfg(feature = "cookies")]
    cookie: Option<Arc<CookieCredentials>>,
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

/// The prefix a credentials cookie must carry (RFC 6265bis 4.1.3.2).
#[cfg(feature = "cookies")]
const HOST_PREFIX: &str = "__Host-";

/// Where a gate reads a request: its method and its header values by (lowercase) name. An
/// adapter implements it for its framework's request type (a newtype around it), and hands it
/// to [`Gate::authenticate_request`].
pub trait RequestHeaders {
    /// The method, as sent (`GET`, `POST`, ...).
    fn method(&self) -> &str;

    /// Every value of the header `name` (given in lowercase), in order.
    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]>;
}

/// Access tokens read from a cookie, for browser clients that keep tokens out of JavaScript
/// (an `HttpOnly` cookie set by a backend-for-frontend), and the CSRF defence that comes with
/// them (feature `cookies`).
#[cfg(feature = "cookies")]
#[derive(Debug, Clone)]
struct CookieCredentials {
    name: Box<str>,
    allowed_origins: Vec<Box<str>>,
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
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl Gate {
    /// The validator, with realm `"api"`.
    pub fn new(validator: Validator) -> Self {
        Self {
            validator,
            realm: Arc::from("api"),
            #[cfg(feature = "api-keys")]
            api_keys: None,
            separation: Separation::Refuse,
            step_up: None,
            #[cfg(feature = "cookies")]
            cookie: None,
        }
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
            .cookie
            .as_ref()
            .map(|c| c.allowed_origins.clone())
            .unwrap_or_default();
        self.cookie = Some(Arc::new(CookieCredentials {
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
        if let Some(cookie) = &self.cookie {
            let mut cookie = CookieCredentials::clone(cookie);
            cookie.allowed_origins = origins
                .into_iter()
                .map(|o| o.into().trim_end_matches('/').to_owned().into_boxed_str())
                .collect();
            self.cookie = Some(Arc::new(cookie));
        }
        self
    }

    /// What a step-up means here: requirements marked
    /// [`StepUp`](crate::requirement::StepUp) demand a login meeting `policy` as well as their
    /// rule. Without a policy (the default) no step-up is demanded: the deployment decides
    /// what a strong enough, recent enough login is, the code which actions need one.
    #[must_use]
    pub fn step_up(mut self, policy: StepUpPolicy) -> Self {
        self.step_up = Some(Arc::new(policy));
        self
    }

    /// What to do with a credential holding both sides of a separation-of-duties pair
    /// (default [`Separation::Refuse`]).
    #[must_use]
    pub fn separation_of_duties(mut self, separation: Separation) -> Self {
        self.separation = separation;
        self
    }

    /// The realm named in `WWW-Authenticate` challenges.
    #[must_use]
    pub fn realm(mut self, realm: impl Into<Arc<str>>) -> Self {
        self.realm = realm.into();
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
        self.api_keys = Some(keys.with_gate_revocation(self.validator.revocation_backend()));
        self
    }

    /// The validator.
    pub fn validator(&self) -> &Validator {
        &self.validator
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
        crate::token::BackChannelLogout::new(logout_tokens, &self.validator)
    }

    fn refuse(&self, kind: RefusalKind) -> Refusal {
        Refusal::new(kind, Some(self.realm.clone()))
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
        let token = match bearer_credentials(authorization) {
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
        self.authenticate_token(token, route, Source::Header).await
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
        if let Some(cookie) = &self.cookie
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
            return self.authenticate_token(token, route, Source::Cookie).await;
        }
        self.authenticate(request.header_values("authorization"), route)
            .await
    }

    /// Whether the request carries credentials at all (a bearer `Authorization` header, or the
    /// gate's cookie): an optional caller is absent exactly when it does not. Bad credentials
    /// count as credentials, and are refused.
    pub fn has_credentials(&self, request: &impl RequestHeaders) -> bool {
        #[cfg(feature = "cookies")]
        if let Some(cookie) = &self.cookie
            && cookie.token(request).is_some()
        {
            return true;
        }
        bearer_credentials(request.header_values("authorization")) != Credentials::Missing
    }

    async fn authenticate_token<P: Policy, C>(
        &self,
        token: &str,
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
                        &error,
                    );
                    Err(self.refuse(RefusalKind::ApiKey(error)))
                }
            };
        }
        match self.validator.validate_shared::<C>(token).await {
            Ok(validated) => self.admit(Authenticated::from(validated), route),
            Err(error) => {
                audit::authentication(route, category(error.category()), None, &error);
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
        if let Some(policy) = &self.step_up {
            caller.assess_step_up(Some(policy), crate::util::unix_now());
        }
        let Some(pair) = caller.separated() else {
            return Ok(caller);
        };
        let refuse = self.separation == Separation::Refuse;
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
        let decision = caller.require::<R>();
        if audit::may_record(decision.is_ok()) {
            let reason = decision
                .as_ref()
                .err()
                .map_or("rule met", |denied| denied.reason().as_str());
            audit::authorization(
                route,
                caller.audit_who(),
                R::RULE,
                decision.is_ok(),
                reason,
                || caller.audit_unknown_names(),
            );
        }
        decision.map_err(|denied| {
            let kind = RefusalKind::from_denied(denied);
            if let RefusalKind::StepUpNotConfigured = kind {
                tracing::error!(
                    target: audit::AUDIT_TARGET,
                    route,
                    rule = %R::RULE,
                    "a route requires a step-up login but the gate has no step-up policy: call Gate::step_up(StepUpPolicy::acr([..]))",
                );
            }
            self.refuse(kind)
        })
    }
}

fn category(category: ErrorCategory) -> &'static str {
    match category {
        ErrorCategory::Unavailable => "unavailable",
        other => other.rfc6750_code().unwrap_or("invalid_token"),
    }
}

#[cfg(feature = "cookies")]
impl CookieCredentials {
    /// The value of the gate's cookie, if the request sends it; `Err` when it sends the name
    /// more than once (one of them may be planted: which one the browser sends first is not
    /// the site's to choose). An empty value counts as sent.
    fn token<'r>(&self, request: &'r impl RequestHeaders) -> Option<Result<&'r str, ()>> {
        let mut values = request
            .header_values("cookie")
            .filter_map(|value| std::str::from_utf8(value).ok())
            .flat_map(cookie::Cookie::split_parse)
            .filter_map(Result::ok)
            .filter(|c| c.name() == &*self.name)
            .map(|c| c.value_raw().unwrap_or(""));
        let first = values.next()?;
        if values.next().is_some() {
            return Some(Err(()));
        }
        (!first.is_empty()).then_some(Ok(first))
    }

    /// Why a request with cookie credentials may be a cross-site forgery, if it may.
    fn cross_site(&self, request: &impl RequestHeaders) -> Option<&'static str> {
        if matches!(request.method(), "GET" | "HEAD" | "OPTIONS") {
            return None;
        }
        let one = |name| {
            let mut values = request.header_values(name);
            match (values.next(), values.next()) {
                (Some(value), None) => std::str::from_utf8(value).ok().map(str::trim),
                _ => None,
            }
        };
        if matches!(one("sec-fetch-site"), Some("same-origin" | "none")) {
            return None;
        }
        match one("origin") {
            Some(origin) if self.allowed_origins.iter().any(|o| **o == *origin) => None,
            Some(_) => Some("a state-changing request with cookie credentials from another origin"),
            None if one("sec-fetch-site").is_some() => {
                Some("a state-changing request with cookie credentials from another site")
            }
            None => Some(
                "a state-changing request with cookie credentials must send Sec-Fetch-Site or Origin",
            ),
        }
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
