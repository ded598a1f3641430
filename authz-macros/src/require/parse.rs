//! The arguments of `#[require(...)]` and `#[public]`.
//!
//! ```text
//! #[require(permission = "a:b", permission = "c:d", any("e:f", "g:h"), role = "admin", authz = path)]
//! #[require(ExportInvoices)]     a named requirement type (alone or beside the others)
//! #[require(StepUp<perm::DocumentsDelete>)]   a requirement type with generic arguments
//! #[require(permission = "a:b", crate = authz_axum::core)]   where authz-core is reached
//! #[require(permission = "a:b", tenant = "{org}")]     checked in the tenant of path parameter `org`
//! #[require(permission = "a:b", tenant = credential)]  in the tenant the credential names
//! #[require(permission = "a:b", tenant = Org)]         a `TenantSource` type of the application
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
pub(crate) const TENANT: &str = "tenant";

/// The longest path parameter name `tenant = "{...}"` takes (it travels in a type, packed into
/// two `u128`).
const MAX_PARAM_LEN: usize = 32;

/// Where a route's tenant comes from (`tenant = ...`).
pub(crate) enum Tenant {
    /// `"{org}"`: the literal, and the parameter's name.
    Path(LitStr, String),
    /// `credential`.
    Credential(Span),
    /// A `TenantSource` type of the application's.
    Source(Box<Type>),
}

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
    /// Where the route's tenant comes from, when it is checked in one.
    pub(crate) tenant: Option<Tenant>,
}

pub(crate) fn parse_args(kind: Kind, args: TokenStream, errors: &mut Errors) -> Args {
    let mut out = Args {
        permissions: Vec::new(),
        any: Vec::new(),
        roles: Vec::new(),
        named: Vec::new(),
        authz: None,
        krate: None,
        tenant: None,
    };
    let keys: &[&str] = match kind {
        Kind::Require => &[PERMISSION, ANY, ROLE, TENANT, AUTHZ, CRATE],
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
        TENANT => {
            input.parse::<Token![=]>()?;
            let tenant = parse_tenant(input)?;
            if out.tenant.is_some() {
                return Err(syn::Error::new(
                    span,
                    "one `tenant` per `#[require]`: a route acts in one tenant; keep the one its tenant comes from",
                ));
            }
            out.tenant = Some(tenant);
        }
        _ => {
            input.parse::<Token![=]>()?;
            out.krate = Some(input.parse()?);
        }
    }
    Ok(())
}

/// `"{name}"`, `credential`, or a type.
fn parse_tenant(input: ParseStream<'_>) -> syn::Result<Tenant> {
    if input.peek(LitStr) {
        let literal: LitStr = input.parse()?;
        let value = literal.value();
        return match value
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
        {
            Some(name) if is_param_name(name) && name.len() <= MAX_PARAM_LEN => {
                Ok(Tenant::Path(literal.clone(), name.to_owned()))
            }
            Some(name) if is_param_name(name) => Err(syn::Error::new(
                literal.span(),
                format!(
                    "the path parameter `{name}` has {} bytes; a tenant's has at most {MAX_PARAM_LEN} (its name travels in the requirement's type): rename it here and in the route's path (say `{{org}}`), or name it in a `TenantSource` type of your own (`tenant = Org`)",
                    name.len()
                ),
            )),
            Some(name) => Err(syn::Error::new(
                literal.span(),
                format!(
                    "`{name}` is not a path parameter's name: a name starts with a letter or `_` and has only letters, digits and `_`, as in `tenant = \"{{org}}\"` for `/orgs/{{org}}/...`"
                ),
            )),
            None => Err(syn::Error::new(literal.span(), unbraced(&value))),
        };
    }
    let ty: Type = input.parse()?;
    if let Type::Path(path) = &ty
        && path.qself.is_none()
        && path.path.is_ident("credential")
    {
        return Ok(Tenant::Credential(path.span()));
    }
    Ok(Tenant::Source(Box::new(ty)))
}

/// The error for a `tenant = "..."` that is no `{name}`, with the fix for what it looks like.
fn unbraced(value: &str) -> String {
    const OR_CREDENTIAL: &str = "or `tenant = credential` for the tenant the credential names";
    // A whole path (`"/orgs/{org}/notes"`): only its parameter.
    let inner = value
        .split_once('{')
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(name, _)| name)
        .filter(|name| is_param_name(name));
    if let Some(name) = inner {
        return format!(
            "write only the path parameter the tenant comes from: `tenant = \"{{{name}}}\"`; {OR_CREDENTIAL}"
        );
    }
    // A bare name (`"org"`): the braces.
    if is_param_name(value) {
        return format!(
            "write the path parameter in braces, as the route's path writes it: `tenant = \"{{{value}}}\"`; {OR_CREDENTIAL}"
        );
    }
    format!(
        "write the path parameter the tenant comes from as the route writes it: `tenant = \"{{org}}\"` for `/orgs/{{org}}/...`; {OR_CREDENTIAL}"
    )
}

/// A path parameter's name as the routers write it: a letter or `_`, then letters, digits
/// and `_`.
fn is_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
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
