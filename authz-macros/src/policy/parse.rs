//! The syntax of `policy!`, kept close to the tokens so errors can point at them.
//!
//! ```text
//! #![crate = path]?                                       // where `authz_core` is reached
//! #[attr]* vis mod name {
//!     permissions { (#[doc]* "resource:action"),* }
//!     roles { (#[doc]* "role" = term (+ term)*),* }          // optional
//!     separation_of_duties { (["perm", "perm"]),* }          // optional
//! }
//! term = "parent-role" | [ "permission", ... ]
//! ```

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Token, Visibility, braced, bracketed};

pub(crate) mod kw {
    syn::custom_keyword!(permissions);
    syn::custom_keyword!(roles);
    syn::custom_keyword!(separation_of_duties);
}

pub(crate) struct PolicyInput {
    /// `#![crate = path]`: the path of `authz_core` for the generated code.
    pub(crate) krate: Option<syn::Path>,
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) name: Ident,
    pub(crate) permissions_kw: kw::permissions,
    pub(crate) permissions: Vec<PermissionDecl>,
    pub(crate) roles: Vec<RoleDecl>,
    pub(crate) separated: Vec<SeparatedDecl>,
    /// Syntax errors inside the lists. The entries around a malformed one still parse, so
    /// the module is generated with them and uses of the well-formed names keep compiling:
    /// one mistake gives one error.
    pub(crate) syntax_errors: Vec<syn::Error>,
}

pub(crate) struct PermissionDecl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: LitStr,
}

pub(crate) struct RoleDecl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: LitStr,
    pub(crate) terms: Vec<Term>,
}

pub(crate) enum Term {
    /// A parent role, by name.
    Parent(LitStr),
    /// Permissions granted directly.
    Grants(Vec<LitStr>),
}

pub(crate) struct SeparatedDecl {
    pub(crate) bracket: proc_macro2::Span,
    pub(crate) names: Vec<LitStr>,
}

impl Parse for PolicyInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut krate = None;
        for attr in input.call(Attribute::parse_inner)? {
            match &attr.meta {
                syn::Meta::NameValue(pair) if pair.path.is_ident("crate") => {
                    krate = Some(syn::parse2::<syn::Path>(quote::ToTokens::to_token_stream(
                        &pair.value,
                    ))?);
                }
                _ => {
                    return Err(syn::Error::new_spanned(
                        attr,
                        "the one inner attribute `policy!` takes is `#![crate = path]`, the path of `authz_core`",
                    ));
                }
            }
        }
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<Token![mod]>()?;
        let name: Ident = input.parse()?;
        let body;
        braced!(body in input);

        let permissions_kw: kw::permissions = body.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected `permissions { ... }` first in the policy",
            )
        })?;
        let mut syntax_errors = Vec::new();
        let content;
        braced!(content in body);
        let permissions = parse_list(&content, &mut syntax_errors);

        let mut roles = Vec::new();
        if body.peek(kw::roles) {
            body.parse::<kw::roles>()?;
            let content;
            braced!(content in body);
            roles = parse_list(&content, &mut syntax_errors);
        }

        let mut separated = Vec::new();
        if body.peek(kw::separation_of_duties) {
            body.parse::<kw::separation_of_duties>()?;
            let content;
            braced!(content in body);
            separated = parse_list(&content, &mut syntax_errors);
        }

        if !body.is_empty() {
            syntax_errors.push(body.error(
                "expected `roles { ... }` or `separation_of_duties { ... }` (in that order) after `permissions { ... }`",
            ));
            skip_rest(&body);
        }
        Ok(Self {
            krate,
            attrs,
            vis,
            name,
            permissions_kw,
            permissions,
            roles,
            separated,
            syntax_errors,
        })
    }
}

/// A comma-separated list that recovers from a malformed entry: the error is recorded, the
/// entry's tokens are skipped up to the next comma, and the entries after it still parse.
fn parse_list<T: Parse>(content: ParseStream<'_>, errors: &mut Vec<syn::Error>) -> Vec<T> {
    let mut entries = Vec::new();
    while !content.is_empty() {
        match content.parse::<T>() {
            Ok(entry) => entries.push(entry),
            Err(error) => {
                errors.push(error);
                skip_until_comma(content);
            }
        }
        if content.is_empty() {
            break;
        }
        if let Err(error) = content.parse::<Token![,]>() {
            errors.push(syn::Error::new(
                error.span(),
                "expected `,` between entries",
            ));
            skip_until_comma(content);
            // The comma itself, if one was found.
            let _ = content.parse::<Option<Token![,]>>();
        }
    }
    entries
}

fn skip_until_comma(content: ParseStream<'_>) {
    while !content.is_empty() && !content.peek(Token![,]) {
        if content.parse::<proc_macro2::TokenTree>().is_err() {
            break;
        }
    }
}

fn skip_rest(content: ParseStream<'_>) {
    while !content.is_empty() {
        if content.parse::<proc_macro2::TokenTree>().is_err() {
            break;
        }
    }
}

impl Parse for PermissionDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let name = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a permission name in quotes, like \"reports:read\"",
            )
        })?;
        Ok(Self { attrs, name })
    }
}

impl Parse for RoleDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let name = input.parse().map_err(|e| {
            syn::Error::new(e.span(), "expected a role name in quotes, like \"viewer\"")
        })?;
        input.parse::<Token![=]>()?;
        let mut terms = vec![input.parse()?];
        while input.peek(Token![+]) {
            input.parse::<Token![+]>()?;
            terms.push(input.parse()?);
        }
        Ok(Self { attrs, name, terms })
    }
}

impl Parse for Term {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(syn::token::Bracket) {
            let content;
            bracketed!(content in input);
            let names = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
            Ok(Term::Grants(names.into_iter().collect()))
        } else if input.peek(LitStr) {
            Ok(Term::Parent(input.parse()?))
        } else {
            Err(input.error(
                "expected a parent role in quotes, like \"viewer\", or a list of permissions, like [\"reports:read\"]",
            ))
        }
    }
}

impl Parse for SeparatedDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let content;
        let bracket = bracketed!(content in input);
        let names = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
        Ok(Self {
            bracket: bracket.span.join(),
            names: names.into_iter().collect(),
        })
    }
}
