//! Audit events, written once for every adapter and every check: the `tracing` target
//! [`AUDIT_TARGET`], its events and their stable fields.
//!
//! | event | level | fields |
//! |---|---|---|
//! | `authentication` | `WARN` | `outcome = "failure"`, `credential` (`bearer`, `api_key`), `category` (`missing_credentials`, `invalid_request`, `invalid_token`, `unavailable`), `key_id` (API keys: the public id, never the secret), `reason` (detailed, never the token), `route` |
//! | `authorization` | `DEBUG` allow, `WARN` deny | `decision` (`allow`/`deny`), `subject`, `issuer` (the token's `iss`; empty for API keys), `key_id` (API keys; empty for tokens), `tenant`, `rule`, `route`, `reason` (`rule met`, `missing permission`, `missing role`), `unknown_roles`, `unknown_permissions` (names the policy does not know, comma-separated) |
//! | `owner_check` | `DEBUG` allow, `WARN` deny | `decision`, `subject`, `issuer`, `key_id`, `tenant`, `rule` (the override), `route`, `reason` (`owner`, `override`, `not the owner`, `another tenant`) |
//! | `tenant_check` | `DEBUG` allow, `WARN` deny | the same fields; `reason` (`same tenant`, `cross-tenant permission`, `another tenant`, `no tenant`; scoping to a tenant with stored roles, `Authenticated::in_tenant`: `member`, `not a member`, `issuer not bound to the tenant`, `no subject`) |
//! | `four_eyes` | `DEBUG` allow, `WARN` deny | the same fields; `reason` (`not the creator`, `the approver created it`) |
//! | `check` | `DEBUG` allow, `WARN` deny | the same fields; `rule` is `check(<name>)`, `reason` (`passed`, `check failed`) |
//! | `separation_of_duties` | `WARN` | `decision` (`deny`, `drop`), `subject`, `issuer`, `key_id`, `tenant`, `first`, `second` (the pair's permissions), `route` |
//! | `backchannel_logout` | `INFO` done, `WARN` refused | `issuer`, `subject`, `session` (what was logged out), or `reason` (why not) |
//! | `role_assignment` | `INFO` changed or unchanged, `WARN` refused | `action` (`granted`, `revoked`, `unchanged`, `grant_refused`, `revoke_refused`), `member_issuer`, `member_subject`, `tenant`, `role`, `actor`, `actor_issuer`, `actor_key_id`, `actor_tenant`, `reason` (refusals) |
//! | `api_key` | `INFO` issued and revoked, `WARN` refused | `action` (`issued`, `issue_refused`, `revoked`, `revoke_refused`), `key_id` (empty for a refused issuance), `key_subject`, `permissions` (issued: space-separated), `actor`, `actor_issuer` (empty for an API key), `actor_key_id` (empty for a token), `reason` (refusals); never a secret |
//!
//! Refusals are `WARN` and grants `DEBUG`, as ASP.NET Core logs authorization failures above
//! successes and Spring Security publishes no granted events by default: a service logging at
//! `INFO` records every refusal and is not slowed by a line per allowed request. To keep an
//! audit trail of grants too, enable the target at `DEBUG` (with `tracing-subscriber`'s
//! `EnvFilter`: `authz::audit=debug`). An event no subscriber wants is not formatted.
//!
//! Values that come from the token (`subject`, unknown names) are recorded with `Debug`, so
//! control characters are escaped; unknown names are cut to 64 characters, 16 of each kind.
//!
//! ```
//! assert_eq!(authz_core::audit::AUDIT_TARGET, "authz::audit");
//! ```

use crate::requirement::Rule;

/// Shows an error and each of its sources, `: ` between them: what the audit events' `reason`
/// fields print, and what an application's own log lines should print. The library's errors
/// show only their own layer and keep the cause as their `source`, so `%error` alone says
/// "PostgreSQL failed" where the chain says why.
///
/// ```
/// use authz_core::audit::ErrorChain;
/// let cause = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
/// let error = authz_core::assignments::Unavailable::new(cause);
/// assert_eq!(
///     ErrorChain(&error).to_string(),
///     "the role assignments cannot be read right now: connection refused"
/// );
/// ```
pub use crate::util::Chain as ErrorChain;

/// The `tracing` target of the audit events.
pub const AUDIT_TARGET: &str = "authz::audit";

#[cfg(feature = "jwt")]
pub(crate) fn authentication(
    route: &str,
    category: &str,
    key_id: Option<&str>,
    reason: &dyn std::fmt::Display,
) {
    tracing::warn!(
        target: AUDIT_TARGET,
        event = "authentication",
        outcome = "failure",
        credential = if key_id.is_some() { "api_key" } else { "bearer" },
        category,
        key_id = ?key_id.unwrap_or(""),
        reason = %reason,
        route,
    );
}

/// One decision's audit event: `decision = "allow"` at `DEBUG` when `$allowed`, else
/// `decision = "deny"` at `WARN`. (A `tracing` level is fixed per call site, hence two.)
macro_rules! audit_decision {
    ($allowed:expr, event = $event:expr, $($field:tt)*) => {
        if $allowed {
            tracing::debug!(target: AUDIT_TARGET, event = $event, decision = "allow", $($field)*);
        } else {
            tracing::warn!(target: AUDIT_TARGET, event = $event, decision = "deny", $($field)*);
        }
    };
}

/// Who an event is about: values from the credential, logged with `Debug` (escaped).
#[derive(Clone, Copy)]
pub(crate) struct Who<'a> {
    pub(crate) subject: &'a str,
    /// The token's `iss`; empty for API keys.
    pub(crate) issuer: &'a str,
    /// The API key's public id; empty for tokens.
    pub(crate) key_id: &'a str,
    /// The caller's tenant; empty when the credential names none.
    pub(crate) tenant: &'a str,
    /// The matched route; empty when the adapter reported none.
    pub(crate) route: &'a str,
}

/// The authorization event. `unknown` gives the unknown role and permission names, joined; it
/// runs (and may allocate) only for an event a subscriber wants.
#[cfg(feature = "jwt")]
#[cold]
#[inline(never)]
pub(crate) fn authorization(
    route: &str,
    who: Who<'_>,
    rule: Rule,
    allowed: bool,
    reason: &'static str,
    unknown: impl FnOnce() -> (String, String),
) {
    if !enabled(allowed) {
        return;
    }
    let (unknown_roles, unknown_permissions) = unknown();
    audit_decision!(
        allowed,
        event = "authorization",
        subject = ?who.subject,
        issuer = ?who.issuer,
        key_id = who.key_id,
        tenant = ?who.tenant,
        rule = %rule,
        route,
        reason,
        unknown_roles = ?unknown_roles,
        unknown_permissions = ?unknown_permissions,
    );
}

/// Whether an audit event of an allow (`DEBUG`) or a deny (`WARN`) could be recorded at all:
/// `tracing`'s global maximum level, one atomic load, inlined into the checks. The events
/// themselves are built out of line, so a check with auditing off costs a nanosecond at most.
#[inline]
pub(crate) fn may_record(allowed: bool) -> bool {
    if allowed {
        tracing::level_enabled!(tracing::Level::DEBUG)
    } else {
        tracing::level_enabled!(tracing::Level::WARN)
    }
}

/// The event of a check made in a handler (`owner_check`, `tenant_check`, `four_eyes`,
/// `check`; see the module docs): `reason` says why it passed or failed.
#[cold]
#[inline(never)]
pub(crate) fn resource_check(
    event: &'static str,
    who: Who<'_>,
    rule: Rule,
    allowed: bool,
    reason: &'static str,
) {
    audit_decision!(
        allowed,
        event = event,
        subject = ?who.subject,
        issuer = ?who.issuer,
        key_id = who.key_id,
        tenant = ?who.tenant,
        rule = %rule,
        route = who.route,
        reason,
    );
}

/// A credential held both permissions of a separation-of-duties pair: `decision` is `deny`
/// (the request is refused) or `drop` (both permissions are left out), always at `WARN`.
#[cfg(feature = "jwt")]
#[cold]
#[inline(never)]
pub(crate) fn separation_of_duties(
    route: &str,
    who: Who<'_>,
    pair: (&'static str, &'static str),
    refused: bool,
) {
    tracing::warn!(
        target: AUDIT_TARGET,
        event = "separation_of_duties",
        decision = if refused { "deny" } else { "drop" },
        subject = ?who.subject,
        issuer = ?who.issuer,
        key_id = who.key_id,
        tenant = ?who.tenant,
        first = pair.0,
        second = pair.1,
        route,
    );
}

/// A back-channel logout received ([`BackChannelLogout::respond`](crate::token::BackChannelLogout::respond)):
/// what was logged out at `INFO`, or why nothing was at `WARN`.
#[cfg(feature = "jwt")]
pub(crate) fn backchannel_logout(
    outcome: Result<&crate::token::Logout, &crate::token::LogoutError>,
) {
    match outcome {
        Ok(done) => tracing::info!(
            target: AUDIT_TARGET,
            event = "backchannel_logout",
            issuer = ?done.issuer(),
            subject = ?done.subject().unwrap_or(""),
            session = ?done.session().unwrap_or(""),
        ),
        Err(error) => tracing::warn!(
            target: AUDIT_TARGET,
            event = "backchannel_logout",
            reason = %crate::util::Chain(error),
        ),
    }
}

/// Who acted on an API key: the caller's subject, its token's issuer (empty for an API key)
/// and its API key's id (empty for a token).
#[cfg(feature = "api-keys")]
pub(crate) struct KeyActor<'a> {
    pub(crate) subject: &'a str,
    pub(crate) issuer: &'a str,
    pub(crate) key_id: &'a str,
}

/// What was done with an API key, for its `api_key` event.
#[cfg(feature = "api-keys")]
pub(crate) enum KeyAction<'a> {
    /// Issued, granting these permission names.
    Issued(&'a [String]),
    /// Issuance refused, for this reason.
    IssueRefused(&'a (dyn std::error::Error + 'static)),
    /// Revoked.
    Revoked,
    /// Revocation refused, for this reason.
    RevokeRefused(&'a (dyn std::error::Error + 'static)),
}

/// The `api_key` event: `key_id` and `key_subject` name the key (an empty id for a refused
/// issuance), `actor` who acted.
#[cfg(feature = "api-keys")]
pub(crate) fn api_key(action: KeyAction<'_>, key_id: &str, key_subject: &str, actor: KeyActor<'_>) {
    let KeyActor {
        subject: actor,
        issuer: actor_issuer,
        key_id: actor_key_id,
    } = actor;
    match action {
        KeyAction::Issued(permissions) => tracing::info!(
            target: AUDIT_TARGET,
            event = "api_key",
            action = "issued",
            key_id,
            key_subject = ?key_subject,
            permissions = %permissions.join(" "),
            actor = ?actor,
            actor_issuer = ?actor_issuer,
            actor_key_id,
        ),
        KeyAction::Revoked => tracing::info!(
            target: AUDIT_TARGET,
            event = "api_key",
            action = "revoked",
            key_id,
            key_subject = ?key_subject,
            actor = ?actor,
            actor_issuer = ?actor_issuer,
            actor_key_id,
        ),
        KeyAction::IssueRefused(reason) | KeyAction::RevokeRefused(reason) => {
            let action = if matches!(action, KeyAction::IssueRefused(_)) {
                "issue_refused"
            } else {
                "revoke_refused"
            };
            tracing::warn!(
                target: AUDIT_TARGET,
                event = "api_key",
                action,
                key_id,
                key_subject = ?key_subject,
                actor = ?actor,
                actor_issuer = ?actor_issuer,
                actor_key_id,
                reason = %crate::util::Chain(reason),
            );
        }
    }
}

/// The `role_assignment` event: `outcome` whether the change was made, or why it was refused;
/// `actor` the caller that asked. Every name is cut to 256 bytes: a
/// refused member's names are the request's, unchecked.
pub(crate) fn role_assignment(
    action: crate::assignments::Action,
    outcome: Result<bool, &(dyn std::error::Error + 'static)>,
    member: crate::assignments::Member<'_>,
    role: &str,
    actor: Who<'_>,
) {
    use crate::assignments::Action;
    let cut = |value| crate::util::truncate(value, 256);
    let (member_issuer, member_subject, tenant) =
        (cut(member.issuer), cut(member.subject), cut(member.tenant));
    let (actor_issuer, actor_key_id, actor_tenant) =
        (cut(actor.issuer), actor.key_id, cut(actor.tenant));
    let actor = cut(actor.subject);
    match outcome {
        Ok(changed) => tracing::info!(
            target: AUDIT_TARGET,
            event = "role_assignment",
            action = match (changed, action) {
                (false, _) => "unchanged",
                (true, Action::Grant) => "granted",
                (true, Action::Revoke) => "revoked",
            },
            member_issuer = ?member_issuer,
            member_subject = ?member_subject,
            tenant = ?tenant,
            role,
            actor = ?actor,
            actor_issuer = ?actor_issuer,
            actor_key_id,
            actor_tenant = ?actor_tenant,
            reason = "",
        ),
        Err(refusal) => tracing::warn!(
            target: AUDIT_TARGET,
            event = "role_assignment",
            action = match action {
                Action::Grant => "grant_refused",
                Action::Revoke => "revoke_refused",
            },
            member_issuer = ?member_issuer,
            member_subject = ?member_subject,
            tenant = ?tenant,
            role,
            actor = ?actor,
            actor_issuer = ?actor_issuer,
            actor_key_id,
            actor_tenant = ?actor_tenant,
            reason = %crate::util::Chain(refusal),
        ),
    }
}

/// Whether a subscriber wants the audit event of an allow (`DEBUG`) or a deny (`WARN`).
#[cfg(feature = "jwt")]
fn enabled(allowed: bool) -> bool {
    if allowed {
        tracing::enabled!(target: AUDIT_TARGET, tracing::Level::DEBUG)
    } else {
        tracing::enabled!(target: AUDIT_TARGET, tracing::Level::WARN)
    }
}
