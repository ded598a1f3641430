//! Reads the claims struct: its fields, their `#[claims(...)]` roles, and the names serde
//! gives them (`#[serde(rename)]`, `#[serde(rename_all)]`), which decide which registered claims
//! the struct carries.

use proc_macro2::Span;
use syn::punctuated::Punctuated;
use syn::{Data, DeriveInput, Fields, Ident, Meta, Token, Type};

use crate::errors::Errors;
use crate::names;

/// The keys `#[claims(...)]` accepts on a field.
pub(crate) const SUBJECT: &str = "subject";
pub(crate) const ROLES: &str = "roles";
pub(crate) const SCOPE: &str = "scope";
pub(crate) const PERMISSIONS: &str = "permissions";
pub(crate) const TENANT: &str = "tenant";
/// With `roles`, `scope` or `permissions`: where the names sit inside the field's value.
pub(crate) const AT: &str = "at";
/// With `roles`, `scope` or `permissions`: the provider's names and what each stands for.
pub(crate) const MAP: &str = "map";
const KEYS: [&str; 7] = [SUBJECT, ROLES, SCOPE, PERMISSIONS, TENANT, AT, MAP];

/// The keys `#[claims(...)]` accepts on the struct.
pub(crate) const CRATE: &str = "crate";
pub(crate) const IGNORE: &str = "ignore";
/// The policy a `map` is checked against.
pub(crate) const POLICY: &str = "policy";
const STRUCT_KEYS: [&str; 3] = [CRATE, IGNORE, POLICY];

/// In a `map` entry, the words that say what the policy's name is, when it is not what the
/// field holds (a role for `roles`, a permission for `scope` and `permissions`).
pub(crate) const ROLE_WORD: &str = "role";
pub(crate) const PERMISSION_WORD: &str = "permission";

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Subject,
    Roles,
    Scope,
    Permissions,
    Tenant,
}

pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    /// The name serde reads the field from.
    pub(crate) serde_name: String,
    /// The `#[claims(...)]` key, with the span of the key.
    pub(crate) kind: Option<(Kind, Span)>,
    /// `at = "a.b"`: the path of the names inside the field's value, split at dots.
    pub(crate) at: Option<(Vec<String>, Span)>,
    /// `map = { "Provider.Name" => "policy:name", ... }`, with the span of `map`.
    pub(crate) map: Option<(Vec<MapEntry>, Span)>,
}

/// What a mapped provider name stands for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Permission,
    Role,
}

/// `"Provider.Name" => "policy:name"`, or `=> role "name"` / `=> permission "name"`.
pub(crate) struct MapEntry {
    /// The name as the identity provider sends it.
    pub(crate) provider: syn::LitStr,
    /// `role` or `permission` when written, with its span.
    pub(crate) kind: Option<(Target, Span)>,
    /// The policy's name it stands for.
    pub(crate) target: syn::LitStr,
}

impl syn::parse::Parse for MapEntry {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        let provider: syn::LitStr = input.parse()?;
        input.parse::<Token![=>]>()?;
        let kind = if input.peek(Ident) {
            let word: Ident = input.parse()?;
            let kind = match word.to_string().as_str() {
                ROLE_WORD => Target::Role,
                PERMISSION_WORD => Target::Permission,
                other => {
                    let hint = match names::closest(other, [ROLE_WORD, PERMISSION_WORD]) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => "write `role` or `permission` before the policy's name, or nothing for what the field holds".to_owned(),
                    };
                    return Err(syn::Error::new(
                        word.span(),
                        format!("unknown word `{other}`; {hint}"),
                    ));
                }
            };
            Some((kind, word.span()))
        } else {
            None
        };
        let target = input.parse()?;
        Ok(Self {
            provider,
            kind,
            target,
        })
    }
}

pub(crate) struct Parsed<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) fields: Vec<Field<'a>>,
}

/// The struct's own `#[claims(...)]`: `crate = path` (where generated code finds
/// `authz_core`), `ignore = ["name", ...]` (names that are not permissions or roles, never
/// reported as unknown) and `policy = path` (the policy the fields' `map`s are checked
/// against).
#[derive(Default)]
pub(crate) struct StructAttrs {
    pub(crate) krate: Option<syn::Path>,
    pub(crate) ignore: Vec<syn::LitStr>,
    pub(crate) policy: Option<syn::Path>,
}

pub(crate) fn struct_attrs(input: &DeriveInput, errors: &mut Errors) -> StructAttrs {
    let mut out = StructAttrs::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("claims")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                out.krate = Some(meta.value()?.parse()?);
                Ok(())
            } else if meta.path.is_ident(IGNORE) {
                let value = meta.value()?;
                let content;
                syn::bracketed!(content in value);
                let names = Punctuated::<syn::LitStr, Token![,]>::parse_terminated(&content)?;
                out.ignore.extend(names);
                Ok(())
            } else if meta.path.is_ident(POLICY) {
                out.policy = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                let key = meta.path.get_ident().map(Ident::to_string).unwrap_or_default();
                let hint = match names::closest(&key, STRUCT_KEYS) {
                    Some(close) if !KEYS.contains(&key.as_str()) => {
                        format!("did you mean `{close}`? ")
                    }
                    _ => String::new(),
                };
                Err(meta.error(format!(
                    "{hint}on the struct, `#[claims(...)]` takes `crate = path`, `ignore = [\"name\", ...]` and `policy = path::Policy`; the other keys go on fields",
                )))
            }
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    out
}

pub(crate) fn parse<'a>(input: &'a DeriveInput, errors: &mut Errors) -> Option<Parsed<'a>> {
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => fields,
            Fields::Unnamed(fields) => {
                errors.error(
                    fields,
                    "`Claims` can only be derived for a struct with named fields; a tuple struct has no field names to read claims from",
                );
                return None;
            }
            Fields::Unit => {
                errors.error(
                    &input.ident,
                    "`Claims` needs a struct with named fields, at least `sub`",
                );
                return None;
            }
        },
        Data::Enum(data) => {
            errors.error(
                data.enum_token,
                "`Claims` can only be derived for a struct with named fields, not an enum",
            );
            return None;
        }
        Data::Union(data) => {
            errors.error(
                data.union_token,
                "`Claims` can only be derived for a struct with named fields, not a union",
            );
            return None;
        }
    };

    let rename_all = serde_rename_all(&input.attrs);
    let mut out = Vec::new();
    for field in &fields.named {
        let Some(ident) = &field.ident else { continue };
        let mut kind: Option<(Kind, Span)> = None;
        let mut at: Option<(Vec<String>, Span)> = None;
        let mut map: Option<(Vec<MapEntry>, Span)> = None;
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("claims")) {
            let result = attr.parse_nested_meta(|meta| {
                let key = meta.path.get_ident().map(Ident::to_string).unwrap_or_default();
                let this = match key.as_str() {
                    SUBJECT => Kind::Subject,
                    ROLES => Kind::Roles,
                    SCOPE => Kind::Scope,
                    PERMISSIONS => Kind::Permissions,
                    TENANT => Kind::Tenant,
                    AT => {
                        let path: syn::LitStr = meta.value()?.parse()?;
                        let segments: Vec<String> =
                            path.value().split('.').map(str::to_owned).collect();
                        if segments.iter().any(String::is_empty) {
                            return Err(syn::Error::new(
                                path.span(),
                                "`at` is a path of member names separated by dots, like \"reports-api.roles\" (no empty member)",
                            ));
                        }
                        at = Some((segments, path.span()));
                        return Ok(());
                    }
                    MAP => {
                        let span = syn::spanned::Spanned::span(&meta.path);
                        let value = meta.value()?;
                        let content;
                        syn::braced!(content in value);
                        let entries = Punctuated::<MapEntry, Token![,]>::parse_terminated(&content)?;
                        if map.is_some() {
                            return Err(syn::Error::new(
                                span,
                                "one `map` per field: list every provider name in it",
                            ));
                        }
                        map = Some((entries.into_iter().collect(), span));
                        return Ok(());
                    }
                    _ => {
                        let hint = match names::closest(&key, KEYS) {
                            Some(close) => format!("did you mean `{close}`?"),
                            None => "expected one of `subject`, `roles`, `scope`, `permissions`, `tenant`, `at`, `map`"
                                .to_owned(),
                        };
                        return Err(meta.error(format!("unknown claims attribute `{key}`; {hint}")));
                    }
                };
                if kind.is_some() {
                    return Err(meta.error(
                        "a field can have one `#[claims(...)]` role: subject, roles, scope, permissions or tenant",
                    ));
                }
                kind = Some((this, syn::spanned::Spanned::span(&meta.path)));
                Ok(())
            });
            if let Err(error) = result {
                errors.push(error);
            }
        }
        if let Some((_, span)) = &at
            && !matches!(
                kind,
                Some((Kind::Roles | Kind::Scope | Kind::Permissions, _))
            )
        {
            errors.error(
                *span,
                "`at` says where names sit inside the field's value: use it with `roles`, `scope` or `permissions`",
            );
        }
        if let Some((_, span)) = &map
            && !matches!(
                kind,
                Some((Kind::Roles | Kind::Scope | Kind::Permissions, _))
            )
        {
            errors.error(
                *span,
                "`map` translates the names a field holds: use it with `roles`, `scope` or `permissions`",
            );
        }
        let unraw = syn::ext::IdentExt::unraw(ident).to_string();
        let serde_name = serde_rename(&field.attrs)
            .unwrap_or_else(|| rename_all.map_or_else(|| unraw.clone(), |rule| rule.apply(&unraw)));
        out.push(Field {
            ident,
            ty: &field.ty,
            serde_name,
            kind,
            at,
            map,
        });
    }
    Some(Parsed {
        ident: &input.ident,
        fields: out,
    })
}

/// The value of `key = "..."` or of `key(deserialize = "...")` in `#[serde(...)]` attributes.
fn serde_value(attrs: &[syn::Attribute], key: &str) -> Option<String> {
    let string = |expr: &syn::Expr| match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        _ => None,
    };
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        // Anything serde accepts parses as a list of `Meta`; what does not is serde's to report.
        let Ok(metas) = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
        else {
            continue;
        };
        for meta in metas {
            match meta {
                Meta::NameValue(nv) if nv.path.is_ident(key) => return string(&nv.value),
                Meta::List(list) if list.path.is_ident(key) => {
                    let Ok(inner) =
                        list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
                    else {
                        continue;
                    };
                    for meta in inner {
                        if let Meta::NameValue(nv) = meta
                            && nv.path.is_ident("deserialize")
                        {
                            return string(&nv.value);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    None
}

fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    serde_value(attrs, "rename")
}

fn serde_rename_all(attrs: &[syn::Attribute]) -> Option<RenameRule> {
    serde_value(attrs, "rename_all").and_then(|rule| RenameRule::from_str(&rule))
}

/// serde's `rename_all` rules, applied to a snake_case field name.
#[derive(Clone, Copy)]
enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

impl RenameRule {
    fn from_str(rule: &str) -> Option<Self> {
        Some(match rule {
            "lowercase" => Self::Lower,
            "UPPERCASE" => Self::Upper,
            "PascalCase" => Self::Pascal,
            "camelCase" => Self::Camel,
            "snake_case" => Self::Snake,
            "SCREAMING_SNAKE_CASE" => Self::ScreamingSnake,
            "kebab-case" => Self::Kebab,
            "SCREAMING-KEBAB-CASE" => Self::ScreamingKebab,
            _ => return None,
        })
    }

    fn apply(self, field: &str) -> String {
        match self {
            Self::Lower | Self::Snake => field.to_owned(),
            Self::Upper | Self::ScreamingSnake => field.to_ascii_uppercase(),
            Self::Kebab => field.replace('_', "-"),
            Self::ScreamingKebab => field.to_ascii_uppercase().replace('_', "-"),
            Self::Pascal | Self::Camel => {
                let mut out = String::new();
                let mut upper = matches!(self, Self::Pascal);
                for c in field.chars() {
                    if c == '_' {
                        upper = true;
                    } else if upper {
                        out.push(c.to_ascii_uppercase());
                        upper = false;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_rules_match_serde() {
        let cases = [
            ("lowercase", "user_id", "user_id"),
            ("UPPERCASE", "exp", "EXP"),
            ("PascalCase", "user_id", "UserId"),
            ("camelCase", "user_id", "userId"),
            ("SCREAMING_SNAKE_CASE", "user_id", "USER_ID"),
            ("kebab-case", "user_id", "user-id"),
            ("SCREAMING-KEBAB-CASE", "user_id", "USER-ID"),
        ];
        for (rule, field, expected) in cases {
            assert_eq!(
                RenameRule::from_str(rule)
                    .map(|r| r.apply(field))
                    .as_deref(),
                Some(expected)
            );
        }
    }

    #[test]
    fn serde_names() {
        let input: DeriveInput = syn::parse_quote! {
            #[serde(deny_unknown_fields, rename_all = "camelCase")]
            struct C {
                #[serde(default, rename = "sub")]
                user: String,
                #[serde(rename(serialize = "x", deserialize = "exp"))]
                expires: u64,
                issued_at: u64,
                r#type: String,
            }
        };
        let mut errors = Errors::default();
        let parsed = parse(&input, &mut errors).map(|p| {
            p.fields
                .into_iter()
                .map(|f| f.serde_name)
                .collect::<Vec<_>>()
        });
        assert!(errors.is_empty());
        assert_eq!(
            parsed,
            Some(vec![
                "sub".into(),
                "exp".into(),
                "issuedAt".into(),
                "type".into()
            ])
        );
    }
}
