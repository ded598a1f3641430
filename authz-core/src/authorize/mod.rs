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
#[cfg(feature = "jwt")]
use crate::claims::Resolution;
use crate::policy::{NameKind, PermissionSet, Policy, RoleSet};
use crate::requirement::{Implies, Need, Requirement, Rule, StepUpPolicy};
#[cfg(feature = "jwt")]
use crate::token::Validated;

mod denied;
mod join;
#[cfg(feature = "api-keys")]
mod key;
mod owner;
mod proofs;

pub(crate) use denied::STEP_UP_NOT_CONFIGURED;
use denied::missing;
pub use denied::{Denied, DenyReason};
#[cfg(feature = "jwt")]
use join::cap_grants;
#[cfg(feature = "api-keys")]
pub use key::VerifiedKey;
pub(crate) use owner::OwnerOutcome;
pub use proofs::{Granted, HasOwner, Owned};

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

/// The part of a requirement a caller does not meet ([`Authenticated::unmet`]).
#[derive(Clone, Copy)]
enum Unmet {
    /// The requirement is checked in a tenant and the caller is scoped to none.
    Tenant,
    /// The caller's permissions and roles do not meet it.
    Grant,
    /// The login does not meet the step-up policy (or the gate has none).
    StepUp,
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
        let resolution = resolve_token(&validated);
        Self::admitted(validated, resolution)
    }
}

/// The token's claims resolved against `P`, within its issuer's cap.
#[cfg(feature = "jwt")]
fn resolve_token<P: Policy, C: Claims>(validated: &Validated<C>) -> Resolution<P> {
    let mut resolution = validated.claims.resolve::<P>();
    if let Some(cap) = &validated.grants {
        cap_grants(&mut resolution, cap);
    }
    resolution
}

#[cfg(feature = "jwt")]
impl<P: Policy, C: Claims> Authenticated<P, C> {
    /// `Authenticated::from` a token, as the gate admits it: a token the verified-token cache
    /// keeps is resolved against `P` on its first admission, and the resolution is kept with
    /// the cache's entry, so that a repeated token is not resolved again on every request
    /// (under a second policy, the token is resolved each time). Crate-private: the claims of
    /// a token the cache keeps are shared with the cache and never change, so what was
    /// resolved stays true of them, where a `Validated` an application owns could have its
    /// claims changed after it was resolved.
    pub(crate) fn from_cached(validated: Arc<Validated<C>>) -> Self {
        let kept = validated
            .resolution
            .as_ref()
            .and_then(|memo| memo.get_or_init(|| resolve_token::<P, C>(&validated)))
            .map(Resolution::copied);
        let resolution = kept.unwrap_or_else(|| resolve_token(&validated));
        Self::admitted(validated, resolution)
    }

    fn admitted(validated: Arc<Validated<C>>, resolution: Resolution<P>) -> Self {
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
        self.unmet(Need::of::<R>()).is_none()
    }

    /// Checks `R`; the proof on success. A [`StepUp`](crate::requirement::StepUp) requirement
    /// also needs a login that the admitting gate found to meet its step-up policy, and an
    /// [`InTenant`](crate::requirement::InTenant) requirement a caller scoped to a tenant
    /// (by the adapter, or by [`in_tenant`](Self::in_tenant)); an unscoped caller is refused
    /// as another tenant's is (404).
    #[inline]
    pub fn require<R: Requirement<Policy = P>>(&self) -> Result<Granted<R>, Denied> {
        self.check_need(Need::of::<R>()).map(|()| Granted::new())
    }

    /// [`require`](Self::require)'s checks, on the requirement as data (inlined, where the
    /// need of a requirement type is a constant). Only a `Granted` made from its `Ok` is a
    /// proof.
    #[inline]
    pub(crate) fn check_need(&self, need: Need<P>) -> Result<(), Denied> {
        match self.unmet(need) {
            None => Ok(()),
            Some(Unmet::Tenant) => Err(Denied::new(need.rule, DenyReason::OtherTenant)),
            Some(Unmet::Grant) => Err(Denied::new(need.rule, missing(need.rule))),
            Some(Unmet::StepUp) => self.check_step_up(need.rule),
        }
    }

    /// The first part of `need` the caller does not meet, if any: the one place a check's
    /// parts are written, for [`meets`](Self::meets) (whether) and
    /// [`check_need`](Self::check_need) (why). Builds nothing: a refusal is made only from
    /// its answer.
    #[inline]
    fn unmet(&self, need: Need<P>) -> Option<Unmet> {
        if need.tenant.is_some() && self.scoped_tenant.is_none() {
            return Some(Unmet::Tenant);
        }
        if !(need.is_met)(self.permissions, self.roles) {
            return Some(Unmet::Grant);
        }
        if need.step_up && !matches!(self.step_up, StepUpStatus::Met) {
            return Some(Unmet::StepUp);
        }
        None
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

impl<P: Policy, C: Claims> fmt::Debug for Authenticated<P, C> {
    /// The subject and permissions; never claims values beyond those, nor the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticated")
            .field("subject", &self.subject())
            .field("permissions", &self.permissions)
            .finish_non_exhaustive()
    }
}
