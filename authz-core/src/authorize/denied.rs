//! A failed check: `Denied` and its reason.

#[allow(unused_imports)]
use super::*;

/// Why a check failed. Maps to 403 `insufficient_scope` (or 404 when [concealed](Denied::conceal)).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("denied: {reason} (requires {rule})")]
pub struct Denied {
    pub(super) rule: Rule,
    pub(super) reason: DenyReason,
    pub(super) conceal: bool,
    /// Why the login falls short of the step-up policy, with the policy to challenge for
    /// (`None`: no gate with a step-up policy admitted the caller).
    pub(super) step_up: Option<(&'static str, Option<Arc<StepUpPolicy>>)>,
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
pub(super) fn missing(rule: Rule) -> DenyReason {
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
