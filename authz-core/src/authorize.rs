//! Checks that make proofs: [`Granted<R>`] for a passed permission check and [`Owned<T>`] for a
//! passed owner check. Neither has a public constructor, so a function that takes one cannot be
//! called from code that skipped the check.
//!
//! ```
//! use authz_core::{Authenticated, Claims, Granted, HasOwner, Owned};
//! # authz_core::policy! { /// P
//! # pub mod reports { permissions { /// r
//! # "reports:read", /// w
//! # "reports:write", /// a
//! # "reports:read_any", } roles { /// v
//! # "viewer" = ["reports:read"], /// a
//! # "auditor" = "viewer" + ["reports:read_any"], } } }
//! use reports::perm;
//!
//! #[derive(serde::Deserialize, Claims)]
//! struct Token { sub: String, #[claims(roles)] roles: Vec<String> }
//!
//! struct Report { owner: String, body: &'static str }
//! impl HasOwner for Report {
//!     fn owner(&self) -> &str { &self.owner }
//! }
//!
//! // Domain code demands the proofs in its signature.
//! fn render(report: &Owned<Report>, _: &Granted<perm::ReportsRead>) -> &'static str {
//!     report.body
//! }
//!
//! # use authz_core::{Algorithm, Validator, testkit::{TestKey, claims_for}};
//! # let key = TestKey::generate(Algorithm::HS256, "k1");
//! # let validator = Validator::builder()
//! #     .algorithms([Algorithm::HS256])
//! #     .key(key.verification_key())
//! #     .issuer("https://id.example")
//! #     .audience("reports")
//! #     .build()
//! #     .unwrap();
//! # let mut claims = claims_for("https://id.example", "reports", "alice");
//! # claims["roles"] = serde_json::json!(["viewer"]);
//! # let token = key.mint(&claims);
//! # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! # let validated = runtime.block_on(validator.validate::<Token>(&token)).unwrap();
//! // Validation's outcome, resolved once against the policy.
//! let alice: Authenticated<reports::Policy, Token> = validated.into();
//!
//! let can_read = alice.require::<perm::ReportsRead>()?;
//! let mine = alice.check_owner(Report { owner: "alice".into(), body: "q3" }, perm::ReportsReadAny)?;
//! assert_eq!(render(&mine, &can_read), "q3");
//!
//! let theirs = Report { owner: "bob".into(), body: "secret" };
//! assert!(alice.check_owner(theirs, perm::ReportsReadAny).is_err()); // a viewer, not an auditor
//! assert!(alice.require::<perm::ReportsWrite>().is_err());
//! # Ok::<(), authz_core::Denied>(())
//! ```

use core::fmt;
use core::marker::PhantomData;
use core::ops::Deref;
use std::sync::Arc;

use crate::audit;
use crate::claims::Claims;
#[cfg(feature = "api-keys")]
use crate::claims::Resolution;
use crate::policy::{NameKind, PermissionSet, Policy, RoleSet};
use crate::requirement::{Implies, Requirement, Rule, StepUpPolicy};
#[cfg(feature = "jwt")]
use crate::token::Validated;

/// Proof that the caller met requirement `R`. Only [`Authenticated::require`] makes one.
pub struct Granted<R> {
    _requirement: PhantomData<fn() -> R>,
}

impl<R: Requirement> Granted<R> {
    const fn new() -> Self {
        Self {
            _requirement: PhantomData,
        }
    }

    /// The requirement that was met.
    pub fn rule(&self) -> Rule {
        R::RULE
    }

    /// A proof of a requirement `W` that `R` implies: one of `R`'s permissions, a permission
    /// its role grants, or a combination of those. Checked by the type system: `cargo check`
    /// refuses a `W` that `R` does not imply, on the line that asks for it. `I` is inferred;
    /// name the target by the type of the result, or as `weaken::<W, _>()`.
    pub fn weaken<W, I>(&self) -> Granted<W>
    where
        W: Requirement<Policy = R::Policy>,
        R: Implies<W, I>,
    {
        Granted::new()
    }
}

impl<R> Clone for Granted<R> {
    fn clone(&self) -> Self {
        Self {
            _requirement: PhantomData,
        }
    }
}

impl<R: Requirement> fmt::Debug for Granted<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Granted({})", R::RULE)
    }
}

/// A resource with an owner, for owner checks against IDOR (broken object-level authorization).
///
/// When the validator trusts several issuers, a subject is unique only within its issuer
/// (`alice` of one identity provider is not `alice` of another), so the owner is the pair
/// (issuer, subject): implement [`owner_issuer`](HasOwner::owner_issuer) too. A resource that
/// does not name its owner's issuer is then owned by nobody (only the override passes): the
/// check fails closed rather than let a same-named subject of another issuer in.
pub trait HasOwner {
    /// The subject that owns the resource, compared with the caller's subject.
    fn owner(&self) -> &str;

    /// The issuer of the owner's identity, compared with the caller's issuer when given.
    /// Needed when the validator trusts several issuers; `None` (the default) otherwise.
    fn owner_issuer(&self) -> Option<&str> {
        None
    }

    /// The tenant the resource belongs to, when tenants share the service. An owner check
    /// then refuses a caller of another tenant (or of none) before looking at ownership or at
    /// the override permission. `None` (the default): a single-tenant resource.
    fn owner_tenant(&self) -> Option<&str> {
        None
    }
}

/// Proof that the caller owns the resource, or holds the permission that overrides ownership.
/// Only [`Authenticated::check_owner`] makes one. Dereferences to the resource.
pub struct Owned<T> {
    resource: T,
}

impl<T> Owned<T> {
    /// The resource, giving up the proof.
    pub fn into_inner(self) -> T {
        self.resource
    }
}

impl<T> Deref for Owned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.resource
    }
}

impl<T: fmt::Debug> fmt::Debug for Owned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Owned").field(&self.resource).finish()
    }
}

/// Why a check failed. Maps to 403 `insufficient_scope` (or 404 when [concealed](Denied::conceal)).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("denied: {reason} (requires {rule})")]
pub struct Denied {
    rule: Rule,
    reason: DenyReason,
    conceal: bool,
    /// Why the login falls short of the step-up policy, with the policy to challenge for
    /// (`None`: no gate with a step-up policy admitted the caller).
    step_up: Option<(&'static str, Option<Arc<StepUpPolicy>>)>,
}

/// The kind of failed check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DenyReason {
    /// The caller lacks a permission the rule needs.
    MissingPermission,
    /// The caller lacks a role the rule needs (the rule names roles only).
    MissingRole,
    /// The caller does not own the resource and lacks the override permission.
    NotOwner,
    /// The resource belongs to another tenant than the caller's (or the caller has none).
    OtherTenant,
    /// Four eyes: the caller created the resource and may not also approve it.
    SameCreator,
    /// An application-defined check (see [`Authenticated::check_that`]) said no.
    Check,
    /// The credential holds both permissions of a separation-of-duties pair.
    SeparationOfDuties,
    /// The rule demands a step-up ([`StepUp`](crate::requirement::StepUp)) the login does not
    /// meet, or no step-up policy was configured to decide it.
    StepUp,
}

impl DenyReason {
    /// The reason as audit events and problem bodies name it.
    pub fn as_str(self) -> &'static str {
        match self {
            DenyReason::MissingPermission => "missing permission",
            DenyReason::MissingRole => "missing role",
            DenyReason::NotOwner => "not the owner",
            DenyReason::OtherTenant => "another tenant",
            DenyReason::SameCreator => "the approver created it",
            DenyReason::Check => "check failed",
            DenyReason::SeparationOfDuties => "separation of duties",
            DenyReason::StepUp => "insufficient user authentication",
        }
    }

    /// Whether a broader permission would have let the caller in, so that an RFC 6750
    /// `insufficient_scope` challenge naming it helps the client.
    pub fn is_scope(self) -> bool {
        matches!(
            self,
            DenyReason::MissingPermission | DenyReason::MissingRole | DenyReason::NotOwner
        )
    }
}

/// Why a `StepUp` requirement fails when no step-up policy decided the login.
pub(crate) const STEP_UP_NOT_CONFIGURED: &str =
    "this route requires a step-up login, but the service has no step-up policy (Gate::step_up)";

/// "missing role" when the rule names roles and no permission, else "missing permission".
fn missing(rule: Rule) -> DenyReason {
    if rule.permissions().is_empty() && !rule.roles().is_empty() {
        DenyReason::MissingRole
    } else {
        DenyReason::MissingPermission
    }
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Denied {
    /// A refusal; one for another tenant's resource is [concealed](Self::conceal) (404):
    /// ids of other tenants must not be probed.
    pub(crate) fn new(rule: Rule, reason: DenyReason) -> Self {
        Self {
            rule,
            reason,
            conceal: reason == DenyReason::OtherTenant,
            step_up: None,
        }
    }

    /// What a step-up refusal needs for its challenge: why the login falls short, and the
    /// policy it must meet (`None` when no policy was configured).
    #[cfg_attr(not(feature = "jwt"), allow(dead_code))]
    pub(crate) fn step_up(&self) -> Option<(&'static str, Option<&Arc<StepUpPolicy>>)> {
        self.step_up
            .as_ref()
            .map(|(reason, policy)| (*reason, policy.as_ref()))
    }

    /// The answer for a resource that does not exist: the same 404 as a
    /// [concealed](Self::conceal) refusal, byte for byte, so that "absent" and "not yours"
    /// cannot be told apart by a caller probing ids.
    pub fn not_found() -> Self {
        Self {
            rule: Rule::Check("exists"),
            reason: DenyReason::Check,
            conceal: true,
            step_up: None,
        }
    }

    /// The rule that was not met.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// The kind of failed check.
    pub fn reason(&self) -> DenyReason {
        self.reason
    }

    /// Asks the adapter to answer as if the resource did not exist (404), so that a caller
    /// cannot learn which ids exist by probing. Use it on owner checks of private resources.
    #[must_use]
    pub fn conceal(mut self) -> Self {
        self.conceal = true;
        self
    }

    /// Answers 403 rather than 404: the opposite of [`conceal`](Self::conceal). A refusal
    /// for another tenant's resource is concealed by default (the same 404 as a missing
    /// resource, so that ids in other tenants cannot be probed); reveal it only where every
    /// caller may know which ids exist.
    #[must_use]
    pub fn reveal(mut self) -> Self {
        self.conceal = false;
        self
    }

    /// Whether [`conceal`](Denied::conceal) was asked for.
    pub fn is_concealed(&self) -> bool {
        self.conceal
    }
}

impl fmt::Debug for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Denied")
            .field("reason", &self.reason)
            .field("rule", &self.rule)
            .field("conceal", &self.conceal)
            .finish()
    }
}

/// A caller whose credentials passed validation, with permissions resolved once under policy
/// `P`. Made from a `token::Validated` token
/// (`Authenticated::from(validated)`, feature `jwt`), a verified API key (feature
/// `api-keys`), or claims the application verified itself
/// ([`from_verified_claims`](Self::from_verified_claims)), so holding one means a credential
/// was checked. Every kind gives the same view: subject, permissions, roles, and the checks
/// that make proofs.
///
/// Cheap to clone (reference counts and two bitsets), so an adapter authenticates a request
/// once and shares the caller among the extractors that ask for it.
pub struct Authenticated<P, C> {
    credential: Credential<C>,
    permissions: PermissionSet<P>,
    roles: RoleSet<P>,
    unknown_roles: u32,
    unknown_permissions: u32,
    /// A separation-of-duties pair the credential held both sides of (both dropped).
    separated: Option<(&'static str, &'static str)>,
    /// The matched route of the request, for the audit events of checks made in handlers.
    route: Option<Arc<str>>,
    /// Whether the login meets the deployment's step-up policy, decided once at admission.
    step_up: StepUpStatus,
    /// The tenant the caller was scoped to with its assigned roles joined
    /// ([`in_tenant`](Self::in_tenant)); `None`: the credential's own tenant, if any.
    scoped_tenant: Option<Arc<str>>,
}

/// Whether the login behind a caller meets the deployment's step-up policy. A gate decides it
/// once, when it admits the caller; every check that yields or accepts a proof of a
/// [`StepUp`](crate::requirement::StepUp) requirement reads it.
#[derive(Clone)]
// Without `jwt` there is no gate to assess a login: every caller stays `Unassessed`.
#[cfg_attr(not(feature = "jwt"), allow(dead_code))]
enum StepUpStatus {
    /// No gate with a step-up policy admitted the caller: `StepUp` requirements fail closed.
    Unassessed,
    /// The login meets the policy.
    Met,
    /// The login falls short, for the reason given.
    Unmet(&'static str, Arc<StepUpPolicy>),
}

enum Credential<C> {
    /// Shared with the verified-token cache when it is on.
    #[cfg(feature = "jwt")]
    Token(Arc<Validated<C>>),
    #[cfg(feature = "api-keys")]
    ApiKey(Arc<VerifiedKey>),
    /// Claims the application verified by its own means (a server-side session).
    Claims(Arc<C>),
}

impl<P, C> Clone for Authenticated<P, C> {
    fn clone(&self) -> Self {
        Self {
            credential: match &self.credential {
                #[cfg(feature = "jwt")]
                Credential::Token(validated) => Credential::Token(validated.clone()),
                #[cfg(feature = "api-keys")]
                Credential::ApiKey(key) => Credential::ApiKey(key.clone()),
                Credential::Claims(claims) => Credential::Claims(claims.clone()),
            },
            permissions: self.permissions,
            roles: self.roles,
            unknown_roles: self.unknown_roles,
            unknown_permissions: self.unknown_permissions,
            separated: self.separated,
            route: self.route.clone(),
            step_up: self.step_up.clone(),
            scoped_tenant: self.scoped_tenant.clone(),
        }
    }
}

impl<P: Policy, C: Claims> Authenticated<P, C> {
    /// A caller from claims the application has verified by its own means, such as a
    /// server-side session looked up by a cookie: the permissions and roles they name are
    /// resolved against the policy as a token's would be. Calling this on claims nobody
    /// verified (read from a request as they came) defeats every check built on it.
    ///
    /// ```
    /// # authz_core::policy! { /// P
    /// # pub mod docs { permissions { /// r
    /// # "docs:read", } } }
    /// #[derive(authz_core::Claims)]
    /// struct Session { sub: String, #[claims(permissions)] permissions: Vec<String> }
    ///
    /// let session = Session { sub: "ann".into(), permissions: vec!["docs:read".into()] };
    /// let ann = authz_core::Authenticated::<docs::Policy, _>::from_verified_claims(session);
    /// assert_eq!(ann.subject(), Some("ann"));
    /// assert!(ann.require::<docs::perm::DocsRead>().is_ok());
    /// ```
    pub fn from_verified_claims(claims: C) -> Self {
        let resolution = claims.resolve::<P>();
        Self {
            credential: Credential::Claims(Arc::new(claims)),
            permissions: resolution.permissions,
            roles: resolution.roles,
            unknown_roles: resolution.unknown_roles,
            unknown_permissions: resolution.unknown_permissions,
            separated: resolution.separated,
            route: None,
            step_up: StepUpStatus::Unassessed,
            scoped_tenant: None,
        }
    }
}

#[cfg(feature = "jwt")]
impl<P: Policy, C: Claims> From<Validated<C>> for Authenticated<P, C> {
    fn from(validated: Validated<C>) -> Self {
        Self::from(Arc::new(validated))
    }
}

#[cfg(feature = "jwt")]
impl<P: Policy, C: Claims> From<Arc<Validated<C>>> for Authenticated<P, C> {
    /// From a token validated by
    /// [`Validator::validate_shared`](crate::token::Validator::validate_shared).
    fn from(validated: Arc<Validated<C>>) -> Self {
        let mut resolution = validated.claims.resolve::<P>();
        if let Some(cap) = &validated.grants {
            cap_grants(&mut resolution, cap);
        }
        Self {
            credential: Credential::Token(validated),
            permissions: resolution.permissions,
            roles: resolution.roles,
            unknown_roles: resolution.unknown_roles,
            unknown_permissions: resolution.unknown_permissions,
            separated: resolution.separated,
            route: None,
            step_up: StepUpStatus::Unassessed,
            scoped_tenant: None,
        }
    }
}

impl<P: Policy, C: Claims> Authenticated<P, C> {
    /// The caller scoped to `tenant`, with `assigned` (the roles the application's store
    /// assigns it there) joined to what the credential grants, through the same resolution:
    /// separation of duties is applied to the union, and a token issuer's cap
    /// ([`Issuer::grants_at_most`](crate::Issuer::grants_at_most)) to the result, so that no
    /// assignment widens what the token's issuer may grant. What
    /// [`in_tenant`](Self::in_tenant) calls once it has found the membership.
    pub(crate) fn join_assigned(
        &self,
        tenant: Arc<str>,
        assigned: &crate::assignments::Assigned<P>,
    ) -> Self {
        // Common case: nothing was withheld from the credential, so what it grants is what
        // it resolved to, and joining is two ORs. Otherwise start again from the names.
        let mut resolution = if self.separated.is_none() && !self.is_capped() {
            crate::claims::Resolution {
                permissions: self.permissions,
                roles: self.roles,
                ..crate::claims::Resolution::default()
            }
        } else {
            self.unwithheld()
        };
        resolution.permissions |= assigned.permissions();
        resolution.roles |= assigned.roles();
        resolution.separate();
        #[cfg(feature = "jwt")]
        if let Credential::Token(validated) = &self.credential
            && let Some(cap) = &validated.grants
        {
            cap_grants(&mut resolution, cap);
        }
        let mut joined = self.clone();
        joined.permissions = resolution.permissions;
        joined.roles = resolution.roles;
        joined.separated = resolution.separated;
        joined.scoped_tenant = Some(tenant);
        joined
    }

    /// Whether the credential's issuer may speak for `tenant` ([`Issuer::tenants`](crate::Issuer::tenants)):
    /// a token's issuer bound to other tenants may not, whatever the application's store says;
    /// an API key or verified claims have no issuer to bind.
    pub(crate) fn issuer_speaks_for(&self, tenant: &str) -> bool {
        #[cfg(not(feature = "jwt"))]
        let _ = tenant;
        match &self.credential {
            #[cfg(feature = "jwt")]
            Credential::Token(validated) => validated.speaks.for_tenant(tenant),
            #[allow(unreachable_patterns)]
            _ => true,
        }
    }

    /// Whether the credential is a token whose issuer caps what it may grant.
    fn is_capped(&self) -> bool {
        match &self.credential {
            #[cfg(feature = "jwt")]
            Credential::Token(validated) => validated.grants.is_some(),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// What the credential names, before separation of duties and an issuer's cap withheld
    /// anything: the start of a join when something was withheld.
    fn unwithheld(&self) -> crate::claims::Resolution<P> {
        match &self.credential {
            #[cfg(feature = "jwt")]
            Credential::Token(validated) => unwithheld_claims(&validated.claims),
            Credential::Claims(claims) => unwithheld_claims(&**claims),
            #[cfg(feature = "api-keys")]
            Credential::ApiKey(key) => {
                use crate::policy::Permission as _;
                crate::claims::Resolution {
                    permissions: key
                        .permissions
                        .iter()
                        .filter_map(|name| P::Permission::from_name(name))
                        .collect(),
                    ..crate::claims::Resolution::default()
                }
            }
        }
    }
}

/// [`Claims::resolve`] without its separation of duties: the known roles and permissions the
/// claims name.
fn unwithheld_claims<P: Policy, C: Claims>(claims: &C) -> crate::claims::Resolution<P> {
    use crate::claims::Name;
    use crate::policy::{Permission as _, Role as _};
    let mut resolution = crate::claims::Resolution::<P>::default();
    let mut role = |role: P::Role| {
        resolution.permissions |= role.grants();
        resolution.roles |= role.lineage();
    };
    let mut permissions = PermissionSet::<P>::EMPTY;
    claims.names::<P>().for_each(|name| match name {
        Name::Role(name) => {
            if let Some(found) = P::Role::from_name(name) {
                role(found);
            }
        }
        Name::MappedRole(found) => role(found),
        Name::Permission(name) => {
            if let Some(found) = P::Permission::from_name(name) {
                permissions.insert(found);
            }
        }
        Name::MappedPermission(found) => {
            permissions.insert(found);
        }
    });
    resolution.permissions |= permissions;
    resolution
}

/// Applies an issuer's cap ([`Issuer::grants_at_most`](crate::Issuer::grants_at_most)): the
/// permissions outside it are withheld, with every role that grants one of them.
#[cfg(feature = "jwt")]
fn cap_grants<P: Policy>(resolution: &mut crate::claims::Resolution<P>, cap: &[Box<str>]) {
    use crate::policy::Permission as _;
    let allowed = cap
        .iter()
        .filter_map(|name| P::Permission::from_name(name))
        .fold(PermissionSet::EMPTY, PermissionSet::with);
    resolution.withhold(PermissionSet::all().difference(allowed));
}

#[cfg(feature = "api-keys")]
impl<P: Policy, C: Claims> Authenticated<P, C> {
    /// A caller presenting a verified API key: its subject, and exactly the permissions the key
    /// grants (names the policy no longer declares grant nothing and are counted as unknown).
    pub fn from_api_key(key: VerifiedKey) -> Self {
        use crate::policy::Permission as _;
        let mut permissions = PermissionSet::EMPTY;
        let mut unknown_permissions = 0;
        for name in &key.permissions {
            match P::Permission::from_name(name) {
                Some(permission) => {
                    permissions.insert(permission);
                }
                None => unknown_permissions += 1,
            }
        }
        let mut resolution = Resolution {
            permissions,
            unknown_permissions,
            ..Resolution::default()
        };
        resolution.separate();
        Self {
            credential: Credential::ApiKey(Arc::new(key)),
            permissions: resolution.permissions,
            roles: RoleSet::EMPTY,
            unknown_roles: 0,
            unknown_permissions,
            separated: resolution.separated,
            route: None,
            step_up: StepUpStatus::Unassessed,
            scoped_tenant: None,
        }
    }

    /// The API key, when the caller presented one.
    pub fn api_key(&self) -> Option<&VerifiedKey> {
        match &self.credential {
            Credential::ApiKey(key) => Some(key),
            _ => None,
        }
    }
}

#[cfg(feature = "jwt")]
impl<P: Policy, C: Claims> Authenticated<P, C> {
    /// What validation established about the token (algorithm, kid, expiry, ...), when the
    /// caller presented one.
    pub fn token(&self) -> Option<&Validated<C>> {
        match &self.credential {
            Credential::Token(validated) => Some(validated),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

impl<P: Policy, C: Claims> Authenticated<P, C> {
    /// The caller's claims, when the caller presented a token or verified claims (not an API
    /// key).
    pub fn claims(&self) -> Option<&C> {
        match &self.credential {
            #[cfg(feature = "jwt")]
            Credential::Token(validated) => Some(&validated.claims),
            Credential::Claims(claims) => Some(claims),
            #[cfg(feature = "api-keys")]
            Credential::ApiKey(_) => None,
        }
    }

    /// The caller's subject: the token's (as its claims type reads it, the same subject
    /// revocation checks), the subject an API key acts as, or the verified claims' subject.
    pub fn subject(&self) -> Option<&str> {
        match &self.credential {
            #[cfg(feature = "jwt")]
            Credential::Token(validated) => validated.subject(),
            #[cfg(feature = "api-keys")]
            Credential::ApiKey(key) => Some(key.subject()),
            Credential::Claims(claims) => claims.subject(),
        }
    }

    /// The issuer of the caller's token (`iss`, the issuer whose key verified it); `None` for
    /// an API key or verified claims.
    pub fn issuer(&self) -> Option<&str> {
        match &self.credential {
            #[cfg(feature = "jwt")]
            Credential::Token(validated) => validated.issuer(),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// Whether the caller's identity is (issuer, subject) rather than the subject alone: the
    /// token was accepted by a validator that trusts several issuers.
    pub fn identity_includes_issuer(&self) -> bool {
        match &self.credential {
            #[cfg(feature = "jwt")]
            Credential::Token(validated) => validated.identity_includes_issuer(),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// The role and permission names in the credential that the policy does not know, for
    /// audit logs.
    pub fn unknown_names(&self) -> Vec<(NameKind, &str)> {
        match &self.credential {
            #[cfg(feature = "jwt")]
            Credential::Token(validated) => validated.claims.unknown_names::<P>().collect(),
            Credential::Claims(claims) => claims.unknown_names::<P>().collect(),
            #[cfg(feature = "api-keys")]
            Credential::ApiKey(key) => {
                use crate::policy::Permission as _;
                key.permissions
                    .iter()
                    .filter(|name| P::Permission::from_name(name).is_none())
                    .map(|name| (NameKind::Permission, name.as_str()))
                    .collect()
            }
        }
    }

    /// The caller's tenant: the tenant it was scoped to with [`in_tenant`](Self::in_tenant),
    /// else the claims' `#[claims(tenant)]` field, or the tenant an API key was issued in.
    /// `None` when the credential names none; tenant checks then refuse.
    pub fn tenant(&self) -> Option<&str> {
        if let Some(tenant) = &self.scoped_tenant {
            return Some(tenant);
        }
        self.credential_tenant()
    }

    /// The tenant the credential itself names (the claims' tenant field, or an API key's),
    /// whatever tenant the caller was scoped to since.
    pub fn credential_tenant(&self) -> Option<&str> {
        match &self.credential {
            #[cfg(feature = "jwt")]
            Credential::Token(validated) => validated.claims.tenant(),
            Credential::Claims(claims) => claims.tenant(),
            #[cfg(feature = "api-keys")]
            Credential::ApiKey(key) => key.tenant(),
        }
    }

    /// The separation-of-duties pair (two permission names) this credential held both sides
    /// of, if any. Both permissions are left out of [`permissions`](Self::permissions); a
    /// `Gate` refuses such a caller unless configured to drop the pair.
    pub fn separated(&self) -> Option<(&'static str, &'static str)> {
        self.separated
    }

    /// The route the request matched, as the adapter reported it (for audit events).
    pub fn route(&self) -> Option<&str> {
        self.route.as_deref()
    }

    /// Records the matched route, for the audit events of checks made later in the handler.
    #[cfg(feature = "jwt")]
    pub(crate) fn set_route(&mut self, route: &str) {
        if !route.is_empty() {
            self.route = Some(crate::routes::names::shared(route));
        }
    }

    /// The caller's effective permissions.
    pub fn permissions(&self) -> PermissionSet<P> {
        self.permissions
    }

    /// The caller's roles, each with the roles it inherits.
    pub fn roles(&self) -> RoleSet<P> {
        self.roles
    }

    /// How many role and permission names in the credential the policy does not know.
    pub fn unknown_counts(&self) -> (u32, u32) {
        (self.unknown_roles, self.unknown_permissions)
    }

    /// Whether the caller meets `R` (for a [`StepUp`](crate::requirement::StepUp)
    /// requirement, with a login that meets the gate's step-up policy).
    #[inline]
    pub fn meets<R: Requirement<Policy = P>>(&self) -> bool {
        R::is_met(self.permissions, self.roles)
            && (!R::STEP_UP || matches!(self.step_up, StepUpStatus::Met))
    }

    /// Checks `R`; the proof on success. A [`StepUp`](crate::requirement::StepUp) requirement
    /// also needs a login that the admitting gate found to meet its step-up policy.
    #[inline]
    pub fn require<R: Requirement<Policy = P>>(&self) -> Result<Granted<R>, Denied> {
        if !R::is_met(self.permissions, self.roles) {
            return Err(Denied::new(R::RULE, missing(R::RULE)));
        }
        if R::STEP_UP {
            self.check_step_up(R::RULE)?;
        }
        Ok(Granted::new())
    }

    /// The step-up half of a check on `rule`: the decision made at admission.
    fn check_step_up(&self, rule: Rule) -> Result<(), Denied> {
        let step_up = match &self.step_up {
            StepUpStatus::Met => return Ok(()),
            StepUpStatus::Unmet(reason, policy) => (*reason, Some(policy.clone())),
            StepUpStatus::Unassessed => (STEP_UP_NOT_CONFIGURED, None),
        };
        Err(Denied {
            step_up: Some(step_up),
            ..Denied::new(rule, DenyReason::StepUp)
        })
    }

    /// Decides, once, whether the login meets `policy` (`None`: the gate has no step-up
    /// policy, and `StepUp` requirements fail closed). Called when a gate admits the caller.
    #[cfg(feature = "jwt")]
    pub(crate) fn assess_step_up(&mut self, policy: Option<&Arc<StepUpPolicy>>, now: u64) {
        self.step_up = match policy {
            None => StepUpStatus::Unassessed,
            Some(policy) => {
                let claims = self.claims();
                let unmet = policy.unmet(
                    claims.and_then(Claims::acr),
                    claims.and_then(Claims::auth_time),
                    now,
                );
                match unmet {
                    None => StepUpStatus::Met,
                    Some(reason) => StepUpStatus::Unmet(reason, policy.clone()),
                }
            }
        };
    }

    /// The owner check: succeeds when the caller is the resource's owner, or when the caller
    /// meets `override_` (for example `perm::ReportsReadAny`). A caller without a subject owns
    /// nothing. The caller is the owner when the subjects are equal and, where the resource
    /// names its owner's issuer, the issuers are too; when the caller's identity includes its
    /// issuer (several issuers trusted), a resource must name the issuer to be owned at all
    /// (see [`HasOwner`]).
    pub fn check_owner<T: HasOwner, O: Requirement<Policy = P>>(
        &self,
        resource: T,
        override_: O,
    ) -> Result<Owned<T>, Denied> {
        let _ = override_;
        if let Some(tenant) = resource.owner_tenant()
            && self.tenant() != Some(tenant)
        {
            // Before ownership and before the override: an override such as `read_any`
            // reaches every resource of the caller's tenant, never another's.
            if audit::may_record(false) {
                audit::resource_check(
                    "owner_check",
                    self.audit_who(),
                    O::RULE,
                    false,
                    DenyReason::OtherTenant.as_str(),
                );
            }
            return Err(Denied::new(O::RULE, DenyReason::OtherTenant));
        }
        let outcome = if self.owns(&resource) {
            OwnerOutcome::Owner
        } else if self.meets::<O>() {
            OwnerOutcome::Override
        } else {
            OwnerOutcome::NotOwner
        };
        if audit::may_record(outcome.allowed()) {
            audit::resource_check(
                "owner_check",
                self.audit_who(),
                O::RULE,
                outcome.allowed(),
                outcome.reason(),
            );
        }
        if outcome.allowed() {
            Ok(Owned { resource })
        } else {
            Err(Denied::new(O::RULE, DenyReason::NotOwner))
        }
    }
}

impl<P: Policy, C: Claims> Authenticated<P, C> {
    /// The owner check most services want, in one call: the caller is the owner, or holds
    /// `same_tenant` (say `perm::DocsReadAny`) within the resource's tenant, or holds
    /// `any_tenant` (say `perm::DocsReadAnyTenant`, for support staff). Another tenant's
    /// resource without `any_tenant` is refused as absent (404, [concealed](Denied::conceal));
    /// within the tenant, a caller who is neither owner nor holder of `same_tenant` gets 403.
    /// A resource without a tenant ([`HasOwner::owner_tenant`] `None`) is in every caller's.
    /// With `#[derive(Resource)]` the resource describes its owner and tenant itself.
    pub fn check_owner_or<T, S, X>(
        &self,
        resource: T,
        same_tenant: S,
        any_tenant: X,
    ) -> Result<Owned<T>, Denied>
    where
        T: HasOwner,
        S: Requirement<Policy = P>,
        X: Requirement<Policy = P>,
    {
        let _ = (same_tenant, any_tenant);
        let other_tenant = resource
            .owner_tenant()
            .is_some_and(|tenant| self.tenant() != Some(tenant));
        let (allowed, reason, rule) = if other_tenant {
            let crossed = self.meets::<X>();
            let reason = if crossed {
                "cross-tenant permission"
            } else {
                DenyReason::OtherTenant.as_str()
            };
            (crossed, reason, X::RULE)
        } else if self.owns(&resource) {
            (true, OwnerOutcome::Owner.reason(), S::RULE)
        } else if self.meets::<S>() || self.meets::<X>() {
            (true, OwnerOutcome::Override.reason(), S::RULE)
        } else {
            (false, OwnerOutcome::NotOwner.reason(), S::RULE)
        };
        if audit::may_record(allowed) {
            audit::resource_check("owner_check", self.audit_who(), rule, allowed, reason);
        }
        match (allowed, other_tenant) {
            (true, _) => Ok(Owned { resource }),
            (false, true) => Err(Denied::new(X::RULE, DenyReason::OtherTenant)),
            (false, false) => Err(Denied::new(S::RULE, DenyReason::NotOwner)),
        }
    }

    /// Whether the caller is the resource's owner: the same subject and, where the resource
    /// names its owner's issuer, the same issuer (see [`HasOwner`]).
    fn owns<T: HasOwner>(&self, resource: &T) -> bool {
        self.subject().is_some_and(|subject| {
            subject == resource.owner()
                && match resource.owner_issuer() {
                    Some(issuer) => self.issuer() == Some(issuer),
                    None => !self.identity_includes_issuer(),
                }
        })
    }

    /// Who audit events about this caller name.
    pub(crate) fn audit_who(&self) -> audit::Who<'_> {
        audit::Who {
            subject: self.subject().unwrap_or(""),
            issuer: self.issuer().unwrap_or(""),
            key_id: self.api_key_id(),
            tenant: self.tenant().unwrap_or(""),
            route: self.route().unwrap_or(""),
        }
    }

    /// The API key's id when the caller presented one; empty for tokens.
    fn api_key_id(&self) -> &str {
        #[cfg(feature = "api-keys")]
        if let Some(key) = self.api_key() {
            return key.id();
        }
        ""
    }

    /// The unknown names for an audit event, each cut to 64 characters, 16 of each kind,
    /// joined; empty strings (and no allocation) in the common case of none. Names come from
    /// the credential, so they are logged with `Debug` (escaped) and bounded.
    #[cfg(feature = "jwt")]
    pub(crate) fn audit_unknown_names(&self) -> (String, String) {
        if self.unknown_counts() == (0, 0) {
            return (String::new(), String::new());
        }
        let (mut roles, mut permissions) = (Vec::new(), Vec::new());
        for (kind, name) in self.unknown_names() {
            let name = crate::util::truncate(name, 64);
            match kind {
                NameKind::Role => roles.push(name),
                NameKind::Permission => permissions.push(name),
            }
        }
        roles.truncate(16);
        permissions.truncate(16);
        (roles.join(","), permissions.join(","))
    }
}

/// An API key that passed verification: who it acts as and what it may do.
#[cfg(feature = "api-keys")]
#[derive(Debug, Clone)]
pub struct VerifiedKey {
    pub(crate) id: String,
    pub(crate) subject: String,
    pub(crate) permissions: Vec<String>,
    pub(crate) expires_at: Option<u64>,
    pub(crate) tenant: Option<String>,
    pub(crate) issued_by: Option<crate::api_key::IssuedBy>,
}

#[cfg(feature = "api-keys")]
impl VerifiedKey {
    /// Who is accountable for the key, when it is a service account's issued by a caller
    /// ([`ApiKeyRecord::issued_by`](crate::api_key::ApiKeyRecord::issued_by)).
    pub fn issued_by(&self) -> Option<&crate::api_key::IssuedBy> {
        self.issued_by.as_ref()
    }

    /// The key's public id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The subject the key acts as.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The permission names it grants.
    pub fn permissions(&self) -> &[String] {
        &self.permissions
    }

    /// When it expires (unix seconds), if ever.
    pub fn expires_at(&self) -> Option<u64> {
        self.expires_at
    }

    /// The tenant the key acts in, if it was issued in one.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
}

/// How an owner check ended, for its audit event.
#[derive(Clone, Copy)]
pub(crate) enum OwnerOutcome {
    Owner,
    Override,
    NotOwner,
}

impl OwnerOutcome {
    pub(crate) fn allowed(self) -> bool {
        !matches!(self, Self::NotOwner)
    }

    /// The audit event's `reason`.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Override => "override",
            Self::NotOwner => "not the owner",
        }
    }
}

impl<P: Policy, C: Claims> fmt::Debug for Authenticated<P, C> {
    /// The subject and permissions; never claims values beyond those, nor the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticated")
            .field("subject", &self.subject())
            .field("permissions", &self.permissions)
            .finish_non_exhaustive()
    }
}
