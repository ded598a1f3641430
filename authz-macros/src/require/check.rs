//! The rules of `#[require]`: something must be required, one `any` group and one role at
//! most, an `async fn`, no `self`, and parameters that ask for the proof or the caller are
//! recognised. Names are checked against the policy later, by the compiler, where the policy
//! is known.

use proc_macro2::Span;
use syn::{FnArg, ItemFn, LitStr, Pat, Type};

use super::parse::{Args, Kind};
use crate::errors::Errors;

/// The parameter attributes that mark the caller and the proof when their type does not say
/// so by name (a type alias, say).
pub(crate) const CALLER_ATTR: &str = "caller";
pub(crate) const PROOF_ATTR: &str = "proof";

pub(crate) struct Rule {
    pub(crate) kind: Kind,
    pub(crate) all: Vec<LitStr>,
    pub(crate) any: Vec<LitStr>,
    pub(crate) role: Option<LitStr>,
    pub(crate) named: Vec<Type>,
    /// Parameters the body declared to receive the proof (`Granted<...>` or `#[proof]`) or
    /// the caller (`Authenticated<...>` or `#[caller]`): their index among the inputs.
    pub(crate) granted_param: Option<usize>,
    pub(crate) caller_param: Option<usize>,
    /// Every parameter that asks for the proof or the caller, by name or mark, accepted or
    /// reported: the expansion does not check it again as an extractor.
    pub(crate) slot_params: Vec<usize>,
}

impl Rule {
    /// Whether the rule requires anything (a `#[require]` that does not is an error).
    pub(crate) fn is_empty(&self) -> bool {
        self.all.is_empty() && self.any.is_empty() && self.role.is_none() && self.named.is_empty()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Proof,
    Caller,
}

pub(crate) fn check(kind: Kind, args: &Args, function: &ItemFn, errors: &mut Errors) -> Rule {
    // An argument that failed to parse has been reported; "needs a rule" would only repeat it.
    let args_parsed = errors.is_empty();
    let mut rule = Rule {
        kind,
        all: args.permissions.clone(),
        any: Vec::new(),
        role: args.roles.first().cloned(),
        named: args.named.clone(),
        granted_param: None,
        caller_param: None,
        slot_params: Vec::new(),
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
            "one `role` per `#[require]`; a caller must hold that role (or one inheriting it). For either of two roles, use `any(...)` on a named requirement: `AnyOf<(role::A, role::B)>`",
        );
    }
    match args.any.as_slice() {
        [] => {}
        [(span, names)] => {
            if names.len() < 2 {
                errors.push(syn::Error::new(
                    *span,
                    "`any(...)` needs at least two permissions; for one, use `permission = \"...\"`",
                ));
            } else if names.len() > 8 {
                errors.error(&names[8], "`any(...)` takes at most eight permissions");
            }
            rule.any = names.clone();
        }
        [(_, first), (span, _), ..] => {
            errors.push(syn::Error::new(
                *span,
                "one `any(...)` group per `#[require]`",
            ));
            rule.any = first.clone();
        }
    }
    duplicates(&args.permissions, "permission", errors);
    duplicates(&rule.any, "permission in `any(...)`", errors);
    let parts = rule.all.len()
        + usize::from(!rule.any.is_empty())
        + usize::from(rule.role.is_some())
        + rule.named.len();
    if parts > 8 {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`#[require]` combines at most eight parts; name a group of them as a requirement type (`type Name = AllOf<(...)>;`) and require that",
        ));
    }
    if args_parsed && kind == Kind::Require && rule.is_empty() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`#[require]` needs a rule: `permission = \"...\"`, `any(\"...\", \"...\")`, `role = \"...\"` or a requirement type; for a route anyone may call, use `#[public]`",
        ));
    }

    for (index, input) in function.sig.inputs.iter().enumerate() {
        let FnArg::Typed(typed) = input else {
            errors.error(
                input,
                "a handler takes no `self`: the framework has no value to call it on. Make it an associated function (no receiver) and route it as `Self::name`",
            );
            continue;
        };
        let marked = marked_slot(&typed.attrs, errors);
        let Some(which) = marked.or_else(|| slot_by_name(&typed.ty)) else {
            continue;
        };
        rule.slot_params.push(index);
        if kind == Kind::Public {
            errors.error(
                &typed.ty,
                "a `#[public]` handler has no caller or proof to receive; use `#[require(...)]`",
            );
            continue;
        }
        let slot = match which {
            Slot::Proof => &mut rule.granted_param,
            Slot::Caller => &mut rule.caller_param,
        };
        if slot.is_some() {
            errors.error(
                &typed.ty,
                match which {
                    Slot::Proof => "the proof is received once; this handler already has a `Granted` parameter",
                    Slot::Caller => "the caller is received once; this handler already has an `Authenticated` parameter",
                },
            );
        } else if matches!(&*typed.pat, Pat::Ident(_) | Pat::Wild(_)) {
            *slot = Some(index);
        } else {
            errors.error(&typed.pat, "bind the proof or caller to a name");
        }
    }
    rule
}

/// `#[caller]` or `#[proof]` on a parameter.
fn marked_slot(attrs: &[syn::Attribute], errors: &mut Errors) -> Option<Slot> {
    let mut found = None;
    for attr in attrs {
        let slot = if attr.path().is_ident(CALLER_ATTR) {
            Slot::Caller
        } else if attr.path().is_ident(PROOF_ATTR) {
            Slot::Proof
        } else {
            continue;
        };
        if let Err(error) = attr.meta.require_path_only() {
            errors.push(error);
        }
        if found.is_some() {
            errors.error(attr, "a parameter is the caller or the proof, not both");
        } else {
            found = Some(slot);
        }
    }
    found
}

/// A parameter whose type is spelled `Granted<...>` or `Authenticated<...>`.
fn slot_by_name(ty: &Type) -> Option<Slot> {
    match ty {
        Type::Path(path) if path.qself.is_none() => {
            match path.path.segments.last()?.ident.to_string().as_str() {
                "Granted" => Some(Slot::Proof),
                "Authenticated" => Some(Slot::Caller),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A name listed twice is an error on its second occurrence.
fn duplicates(names: &[LitStr], what: &str, errors: &mut Errors) {
    for (i, name) in names.iter().enumerate() {
        if names[..i]
            .iter()
            .any(|earlier| earlier.value() == name.value())
        {
            errors.error(name, format!("{what} `{}` is listed twice", name.value()));
        }
    }
}
