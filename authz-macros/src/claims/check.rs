//! Which field plays which part, and the rules between fields.

use super::parse::{Field, Kind, MapEntry, Parsed, StructAttrs};
use crate::errors::Errors;

/// The registered claims of RFC 7519 section 4.1 that `Claims::REGISTERED` reports.
const REGISTERED: [&str; 7] = ["exp", "nbf", "iat", "iss", "aud", "jti", "sub"];

pub(crate) struct Model<'a> {
    pub(crate) subject: Field<'a>,
    pub(crate) roles: Vec<Field<'a>>,
    pub(crate) scopes: Vec<Field<'a>>,
    pub(crate) permissions: Vec<Field<'a>>,
    pub(crate) tenant: Option<Field<'a>>,
    /// The fields serialized as `acr`, `amr` and `auth_time` (step-up authentication).
    pub(crate) acr: Option<Field<'a>>,
    pub(crate) amr: Option<Field<'a>>,
    pub(crate) auth_time: Option<Field<'a>>,
    /// Registered claims the struct has a field for, by serialized name.
    pub(crate) registered: Vec<&'static str>,
}

pub(crate) fn check<'a>(
    parsed: Parsed<'a>,
    attrs: &StructAttrs,
    errors: &mut Errors,
) -> Option<Model<'a>> {
    for field in &parsed.fields {
        if let Some((entries, span)) = &field.map {
            check_map(entries, *span, attrs, errors);
        }
    }
    let registered = REGISTERED
        .into_iter()
        .filter(|claim| parsed.fields.iter().any(|f| f.serde_name == *claim))
        .collect();

    let mut subject: Option<Field<'a>> = None;
    let mut default_subject: Option<Field<'a>> = None;
    let (mut roles, mut scopes, mut permissions) = (Vec::new(), Vec::new(), Vec::new());
    let mut tenant: Option<Field<'a>> = None;
    let (mut acr, mut amr, mut auth_time) = (None, None, None);
    for field in parsed.fields {
        match field.kind {
            Some((Kind::Subject, span)) => match &subject {
                Some(first) => errors.push(syn::Error::new(
                    span,
                    format!(
                        "two subject fields, `{}` and `{}`: mark only one with `#[claims(subject)]`",
                        first.ident, field.ident
                    ),
                )),
                None => subject = Some(field),
            },
            Some((Kind::Roles, _)) => roles.push(field),
            Some((Kind::Scope, _)) => scopes.push(field),
            Some((Kind::Permissions, _)) => permissions.push(field),
            Some((Kind::Tenant, span)) => match &tenant {
                Some(first) => errors.push(syn::Error::new(
                    span,
                    format!(
                        "two tenant fields, `{}` and `{}`: mark only one with `#[claims(tenant)]`",
                        first.ident, field.ident
                    ),
                )),
                None => tenant = Some(field),
            },
            None if field.serde_name == "sub" => default_subject = Some(field),
            None if field.serde_name == "acr" => acr = Some(field),
            None if field.serde_name == "amr" => amr = Some(field),
            None if field.serde_name == "auth_time" => auth_time = Some(field),
            None => {}
        }
    }
    let Some(subject) = subject.or(default_subject) else {
        errors.error(
            parsed.ident,
            format!(
                "`{}` has no subject: add a field `sub: String`, or mark the subject field with `#[claims(subject)]`",
                parsed.ident
            ),
        );
        return None;
    };
    Some(Model {
        subject,
        roles,
        scopes,
        permissions,
        tenant,
        acr,
        amr,
        auth_time,
        registered,
    })
}

/// A `map`: checked against a policy named on the struct, not empty, each provider name once.
/// Whether each policy name exists is checked by the compiler, against the policy itself.
fn check_map(
    entries: &[MapEntry],
    span: proc_macro2::Span,
    attrs: &StructAttrs,
    errors: &mut Errors,
) {
    if attrs.policy.is_none() {
        errors.push(syn::Error::new(
            span,
            "a `map` is checked against the policy its names belong to: name it on the struct, `#[claims(policy = path::to::Policy)]`",
        ));
    }
    if entries.is_empty() {
        errors.push(syn::Error::new(
            span,
            "this `map` is empty: list the provider's names, `map = { \"Orders.Read\" => \"orders:read\" }`, or remove it",
        ));
    }
    for (i, entry) in entries.iter().enumerate() {
        let name = entry.provider.value();
        if name.is_empty() {
            errors.error(
                &entry.provider,
                "an empty provider name: a token never carries one, so it would map nothing",
            );
        }
        if let Some(first) = entries[..i]
            .iter()
            .find(|earlier| earlier.provider.value() == name)
        {
            errors.error(
                &entry.provider,
                format!(
                    "`{name}` is mapped twice in this `map` (first to `{}`): a provider name stands for one permission or role; remove one of the two",
                    first.target.value()
                ),
            );
        }
    }
}
