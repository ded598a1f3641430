//! The arguments of `#[require(...)]` and `#[public]`.
//!
//! ```text
//! #[require(permission = "a:b", permission = "c:d", any("e:f", "g:h"), role = "admin", authz = path)]
//! #[require(ExportInvoices)]     a named requirement type (alone or beside the others)
//! #[require(permission = "a:b", crate = authz_axum::core)]   where authz-core is reached
//! #[public]  or  #[public(authz = path)]
//! ```

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{LitStr, Path, Token};

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
    /// Named requirement types, written as bare paths.
    pub(crate) named: Vec<Path>,
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
    let parser = syn::meta::parser(|meta: ParseNestedMeta<'_>| {
        // `crate` is a keyword: `get_ident` does not see it.
        let key = if meta.path.is_ident("crate") {
            CRATE.to_owned()
        } else {
            meta.path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default()
        };
        // A bare path is a named requirement type.
        if kind == Kind::Require
            && (meta.input.is_empty() || meta.input.peek(Token![,]))
            && !keys.contains(&key.as_str())
        {
            out.named.push(meta.path.clone());
            return Ok(());
        }
        if !keys.contains(&key.as_str()) {
            let hint = match names::closest(&key, keys.iter().copied()) {
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
            return Err(meta.error(format!("unknown {what} argument `{key}`; {hint}")));
        }
        match key.as_str() {
            PERMISSION => out.permissions.push(meta.value()?.parse()?),
            ROLE => out.roles.push(meta.value()?.parse()?),
            AUTHZ => out.authz = Some(meta.value()?.parse()?),
            CRATE => out.krate = Some(meta.value()?.parse()?),
            _ => {
                let span = meta
                    .path
                    .get_ident()
                    .map_or_else(Span::call_site, syn::Ident::span);
                let content;
                syn::parenthesized!(content in meta.input);
                let names = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
                out.any.push((span, names.into_iter().collect()));
            }
        }
        Ok(())
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        errors.push(error);
    }
    out
}
