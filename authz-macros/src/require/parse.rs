//! The arguments of `#[require(...)]` and `#[public]`.
//!
//! ```text
//! #[require(permission = "a:b", permission = "c:d", any("e:f", "g:h"), role = "admin", authz = path)]
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

pub(crate) struct Args {
    pub(crate) permissions: Vec<LitStr>,
    /// `any(...)` groups, with the span of each `any`.
    pub(crate) any: Vec<(Span, Vec<LitStr>)>,
    pub(crate) roles: Vec<LitStr>,
    pub(crate) authz: Option<Path>,
}

pub(crate) fn parse_args(kind: Kind, args: TokenStream, errors: &mut Errors) -> Args {
    let mut out = Args {
        permissions: Vec::new(),
        any: Vec::new(),
        roles: Vec::new(),
        authz: None,
    };
    let keys: &[&str] = match kind {
        Kind::Require => &[PERMISSION, ANY, ROLE, AUTHZ],
        Kind::Public => &[AUTHZ],
    };
    let parser = syn::meta::parser(|meta: ParseNestedMeta<'_>| {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
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
