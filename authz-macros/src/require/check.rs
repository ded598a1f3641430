//! The rules of `#[require]`: something must be required, one `any` group and one role at
//! most, an `async fn`, and parameters that ask for the proof or the caller are recognised.
//! Names are checked against the policy later, by the compiler, where the policy is known.

use proc_macro2::Span;
use syn::{FnArg, ItemFn, LitStr, Pat, Type};

use super::parse::{Args, Kind};
use crate::errors::Errors;

pub(crate) struct Rule {
    pub(crate) kind: Kind,
    pub(crate) all: Vec<LitStr>,
    pub(crate) any: Vec<LitStr>,
    pub(crate) role: Option<LitStr>,
    /// Parameters the body declared to receive the proof (`Granted<...>`) or the caller
    /// (`Authenticated<...>`): their index among the inputs.
    pub(crate) granted_param: Option<usize>,
    pub(crate) caller_param: Option<usize>,
}

pub(crate) fn check(kind: Kind, args: &Args, function: &ItemFn, errors: &mut Errors) -> Rule {
    // An argument that failed to parse has been reported; "needs a rule" would only repeat it.
    let args_parsed = errors.is_empty();
    let mut rule = Rule {
        kind,
        all: args.permissions.clone(),
        any: Vec::new(),
        role: args.roles.first().cloned(),
        granted_param: None,
        caller_param: None,
    };
    if function.sig.asyncness.is_none() {
        errors.error(
            function.sig.fn_token,
            "`#[require]` and `#[public]` go on `async fn` handlers",
        );
    }
    if let Some(extra) = args.roles.get(1) {
        errors.error(
            extra,
            "one `role` per `#[require]`; a caller must hold that role (or one inheriting it)",
        );
    }
    match args.any.as_slice() {
        [] => {}
        [(span, names)] => {
            if names.len() < 2 {
                errors.push(syn::Error::new(*span, "`any(...)` needs at least two permissions; for one, use `permission = \"...\"`"));
            }
            rule.any = names.clone();
        }
        [_, (span, _), ..] => errors.push(syn::Error::new(
            *span,
            "one `any(...)` group per `#[require]`",
        )),
    }
    if args_parsed
        && kind == Kind::Require
        && rule.all.is_empty()
        && args.any.is_empty()
        && rule.role.is_none()
    {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`#[require]` needs a rule: `permission = \"...\"`, `any(\"...\", \"...\")` or `role = \"...\"`; for a route anyone may call, use `#[public]`",
        ));
    }

    for (index, input) in function.sig.inputs.iter().enumerate() {
        let FnArg::Typed(typed) = input else {
            errors.error(input, "a handler takes no `self`");
            continue;
        };
        let slot = match last_segment(&typed.ty).as_deref() {
            Some("Granted") => &mut rule.granted_param,
            Some("Authenticated") => &mut rule.caller_param,
            _ => continue,
        };
        if kind == Kind::Public {
            errors.error(
                &typed.ty,
                "a `#[public]` handler has no caller or proof to receive; use `#[require(...)]`",
            );
        } else if slot.is_some() {
            errors.error(
                &typed.ty,
                "the proof and the caller can each be received once",
            );
        } else if matches!(&*typed.pat, Pat::Ident(_) | Pat::Wild(_)) {
            *slot = Some(index);
        } else {
            errors.error(&typed.pat, "bind the proof or caller to a name");
        }
    }
    rule
}

fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .map(|segment| segment.ident.to_string()),
        _ => None,
    }
}
