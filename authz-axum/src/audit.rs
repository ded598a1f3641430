//! Audit events, on the `tracing` target `authz::audit`. Field names are stable:
//!
//! | event | level | fields |
//! |---|---|---|
//! | `authentication` | `WARN` | `outcome = "failure"`, `category` (`missing_credentials`, `invalid_request`, `invalid_token`, `unavailable`), `reason` (detailed, never the token), `route`; for API keys also `credential = "api_key"` and `key_id` (public id, never the secret) |
//! | `authorization` | `INFO` allow, `WARN` deny | `decision` (`allow`/`deny`), `subject`, `key_id` (API keys; empty for tokens), `rule`, `route`, `reason`, `unknown_roles`, `unknown_permissions` (names the policy does not know, comma-separated) |
//! | `owner_check` (from `authz-core`) | `INFO` | `decision`, `subject`, `rule` (the override), `reason` (`owner`, `override`, `not the owner`) |
//!
//! Values that come from the token (`subject`, unknown names) are recorded with `Debug`, so
//! control characters are escaped, and unknown names are cut to 64 characters, 16 of each kind.

use authz_core::{Authenticated, Claims, ErrorCategory, NameKind, Policy, Rule, TokenError};

pub(crate) const TARGET: &str = "authz::audit";

pub(crate) fn category(error: &TokenError) -> &'static str {
    match error.category() {
        ErrorCategory::Unavailable => "unavailable",
        other => other.rfc6750_code().unwrap_or("invalid_token"),
    }
}

pub(crate) fn authentication_failed(route: &str, category: &str, reason: &dyn std::fmt::Display) {
    tracing::warn!(
        target: TARGET,
        event = "authentication",
        outcome = "failure",
        category,
        reason = %reason,
        route,
    );
}

/// An API key was refused: the key id (public) when the key had a well-formed one, never the
/// secret.
#[cfg(feature = "api-keys")]
pub(crate) fn api_key_failed(
    route: &str,
    category: &str,
    key_id: Option<&str>,
    reason: &dyn std::fmt::Display,
) {
    tracing::warn!(
        target: TARGET,
        event = "authentication",
        outcome = "failure",
        credential = "api_key",
        category,
        key_id = ?key_id.unwrap_or(""),
        reason = %reason,
        route,
    );
}

pub(crate) fn authorized<P: Policy, C: Claims>(
    route: &str,
    caller: &Authenticated<P, C>,
    rule: Rule,
    allowed: bool,
) {
    let subject = caller.subject().unwrap_or("");
    let key_id = api_key_id(caller);
    let (unknown_roles, unknown_permissions) = unknown_names(caller);
    if allowed {
        tracing::info!(
            target: TARGET,
            event = "authorization",
            decision = "allow",
            subject = ?subject,
            key_id,
            rule = %rule,
            route,
            reason = "rule met",
            unknown_roles = ?unknown_roles,
            unknown_permissions = ?unknown_permissions,
        );
    } else {
        tracing::warn!(
            target: TARGET,
            event = "authorization",
            decision = "deny",
            subject = ?subject,
            key_id,
            rule = %rule,
            route,
            reason = "missing permission",
            unknown_roles = ?unknown_roles,
            unknown_permissions = ?unknown_permissions,
        );
    }
}

/// The API key's id when the caller presented one; empty for tokens.
fn api_key_id<P: Policy, C: Claims>(caller: &Authenticated<P, C>) -> &str {
    #[cfg(feature = "api-keys")]
    if let Some(key) = caller.api_key() {
        return key.id();
    }
    let _ = caller;
    ""
}

/// The unknown names, each cut to 64 characters, joined; empty strings (and no allocation) in
/// the common case of none. Names come from the token, so they are logged with `Debug`
/// (escaped) and bounded.
fn unknown_names<P: Policy, C: Claims>(caller: &Authenticated<P, C>) -> (String, String) {
    if caller.unknown_counts() == (0, 0) {
        return (String::new(), String::new());
    }
    let (mut roles, mut permissions) = (Vec::new(), Vec::new());
    for (kind, name) in caller.unknown_names() {
        match kind {
            NameKind::Role => roles.push(cut(name)),
            NameKind::Permission => permissions.push(cut(name)),
        }
    }
    roles.truncate(16);
    permissions.truncate(16);
    (roles.join(","), permissions.join(","))
}

fn cut(name: &str) -> &str {
    let mut end = name.len().min(64);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}
