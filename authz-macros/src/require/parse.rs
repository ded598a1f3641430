//! The arguments of `#[require(...)]` and `#[public]`.
//!
//! ```text
//! #[require(permission = "a:b", permission = "c:d", any("e:f", "g:h"), role = "admin", authz = path)]
//! #[require(ExportInvoices)]     a named requirement type (alone or beside the others)
//! #[require(StepUp<perm::DocumentsDelete>)]   a requirement type with generic arguments
//! #[require(permission = "a:b", crate = authz_axum::core)]   where authz-core is reached
//! #[public]  or  #[public(authz = path)]
//! ```

use proc_macro2::{Span, TokenStream};
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Ident, LitStr, Path, Token, Type, token};

use crate::errors::Errors;
use crate::names;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Require,
    Public,
}

pub(crate) const PERMISSION: &str = "permission";
pub(crate) const ANY: &str = "any";
pub(crate) const ROLE: &str = "role";
pub(crate) const AUTHZ: &str = "authz";
pub(crate) const CRATE: &str = "crate";

pub(crate) struct Args {
    pub(crate) permissions: Vec<LitStr>,
    /// `any(...)` groups, with the span of each `any`.
    pub(crate) any: Vec<(Span, Vec<LitStr>)>,
    pub(crate) roles: Vec<LitStr>,
    /// Named requirement types: paths, with generic arguments where they have them
    /// (`StepUp<perm::Delete>`).
    pub(crate) named: Vec<Type>,
    pub(crate) authz: Option<Path>,
    /// The path of `authz_core` (default `::authz_core`).
    pub(crate) krate: Option<Path>,
}

pub(crate) fn parse_args(kind: Kind, args: TokenStream, errors: &mut Errors) -> Args {
    let mut out = Args {
        permissions: Vec::new(),
        any: Vec::new(),
        roles: Vec::new(),
        named: Vec::new(),
        authz: None,
        krate: None,
    };
    let keys: &[&str] = match kind {
        Kind::Require => &[PERMISSION, ANY, ROLE, AUTHZ, CRATE],
        Kind::Public => &[AUTHZ, CRATE],
    };
    let parser = |input: ParseStream<'_>| -> syn::Result<()> {
        while !input.is_empty() {
            parse_one(kind, keys, input, &mut out)?;
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(())
    };
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        errors.push(error);
    }
    out
}

/// One argument: `key = value`, `any(...)`, or (in `#[require]`) a requirement type, which may
/// have generic arguments (`StepUp<perm::Delete>`, `AnyOf<(A, B)>`).
fn parse_one(kind: Kind, keys: &[&str], input: ParseStream<'_>, out: &mut Args) -> syn::Result<()> {
    // `crate` is a keyword: an `Ident` peek does not see it.
    let key = if input.peek(Token![crate]) && input.peek2(Token![=]) {
        Some((CRATE.to_owned(), input.parse::<Token![crate]>()?.span))
    } else if input.peek(Ident) && (input.peek2(Token![=]) || input.peek2(token::Paren)) {
        let ident: Ident = input.parse()?;
        Some((ident.to_string(), ident.span()))
    } else {
        None
    };
    let Some((key, span)) = key else {
        if kind == Kind::Public {
            let path: Path = input.parse()?;
            let name = path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            return Err(unknown(kind, keys, &name, path.span()));
        }
        let ty: Type = input.parse()?;
        // A bare known key (`permission` without `= "..."`) is a mistake, not a type.
        if let Type::Path(path) = &ty
            && let Some(ident) = path.path.get_ident()
            && keys.contains(&ident.to_string().as_str())
        {
            return Err(syn::Error::new(
                ident.span(),
                format!("expected `{ident} = ...`"),
            ));
        }
        out.named.push(ty);
        return Ok(());
    };
    if !keys.contains(&key.as_str()) {
        return Err(unknown(kind, keys, &key, span));
    }
    match key.as_str() {
        ANY => {
            let content;
            syn::parenthesized!(content in input);
            let names = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
            out.any.push((span, names.into_iter().collect()));
        }
        _ if !input.peek(Token![=]) => {
            return Err(syn::Error::new(span, format!("expected `{key} = ...`")));
        }
        PERMISSION => {
            input.parse::<Token![=]>()?;
            out.permissions.push(input.parse()?);
        }
        ROLE => {
            input.parse::<Token![=]>()?;
            out.roles.push(input.parse()?);
        }
        AUTHZ => {
            input.parse::<Token![=]>()?;
            out.authz = Some(input.parse()?);
        }
        _ => {
            input.parse::<Token![=]>()?;
            out.krate = Some(input.parse()?);
        }
    }
    Ok(())
}

/// "unknown argument", with the closest key or the list of keys.
fn unknown(kind: Kind, keys: &[&str], key: &str, span: Span) -> syn::Error {
    let hint = match names::closest(key, keys.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!(
            "expected {}",
            keys.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let what = if kind == Kind::Public {
        "#[public]"
    } else {
        "#[require]"
    };
    syn::Error::new(span, format!("unknown {what} argument `{key}`; {hint}"))
}
