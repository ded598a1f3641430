//! `#[derive(Resource)]`: a resource names its owner, tenant and creator by field attributes,
//! and gets `HasOwner`, `checks::HasTenant` and `checks::HasCreator`. Parse (the fields each
//! attribute marks), check (each at most once, issuers only beside what they qualify), expand.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;

use crate::errors::Errors;

/// The field attribute keys, in the order the errors name them.
const KEYS: [&str; 5] = [
    "owner",
    "owner_issuer",
    "tenant",
    "creator",
    "creator_issuer",
];

/// The fields marked by each key, with the span of the key.
#[derive(Default)]
struct Marks {
    fields: [Option<(syn::Member, Span, Span)>; 5],
}

impl Marks {
    /// The field `key` marks, with the span of its type.
    fn get(&self, key: &str) -> Option<(&syn::Member, Span)> {
        let index = KEYS.iter().position(|k| *k == key)?;
        self.fields[index]
            .as_ref()
            .map(|(member, _, ty)| (member, *ty))
    }
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let krate = crate_path(&input.attrs, &mut errors);
    let marks = parse_fields(&input, &mut errors);
    check(&input, &marks, &mut errors);
    if !errors.is_empty() {
        return errors.into_compile_errors();
    }
    generate(&input, &marks, krate.as_ref())
}

/// `#[resource(crate = path)]` on the struct, for an application that reaches `authz_core`
/// through a re-export.
fn crate_path(attrs: &[syn::Attribute], errors: &mut Errors) -> Option<syn::Path> {
    let mut krate = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("resource")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                krate = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta.error("unknown `resource` attribute on the struct: the struct takes `crate = path`; mark fields with `#[resource(owner)]`, `tenant`, `creator`, `owner_issuer` or `creator_issuer`"))
            }
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    krate
}

fn parse_fields(input: &syn::DeriveInput, errors: &mut Errors) -> Marks {
    let mut marks = Marks::default();
    let syn::Data::Struct(data) = &input.data else {
        errors.error(
            input.ident.span(),
            "`#[derive(Resource)]` takes a struct whose fields name the owner, tenant or creator",
        );
        return marks;
    };
    for (index, field) in data.fields.iter().enumerate() {
        let member = match &field.ident {
            Some(ident) => syn::Member::Named(ident.clone()),
            None => syn::Member::Unnamed(syn::Index::from(index)),
        };
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("resource")) {
            let result = attr.parse_nested_meta(|meta| {
                let Some(key) = KEYS.iter().position(|k| meta.path.is_ident(k)) else {
                    return Err(meta.error(format!(
                        "unknown `resource` attribute: expected one of {}",
                        KEYS.map(|k| format!("`{k}`")).join(", ")
                    )));
                };
                let span = meta.path.span();
                if marks.fields[key].is_some() {
                    return Err(meta.error(format!(
                        "`{}` marks one field only: another field is already the {}",
                        KEYS[key],
                        KEYS[key].replace('_', " ")
                    )));
                }
                marks.fields[key] = Some((member.clone(), span, field.ty.span()));
                Ok(())
            });
            if let Err(error) = result {
                errors.push(error);
            }
        }
    }
    marks
}

fn check(input: &syn::DeriveInput, marks: &Marks, errors: &mut Errors) {
    for (issuer, of) in [("owner_issuer", "owner"), ("creator_issuer", "creator")] {
        let index = KEYS.iter().position(|k| *k == issuer).unwrap_or(0);
        if let Some((_, span, _)) = &marks.fields[index]
            && marks.get(of).is_none()
        {
            errors.push(syn::Error::new(
                *span,
                format!("`{issuer}` qualifies the {of}: mark the {of}'s field with `#[resource({of})]` too"),
            ));
        }
    }
    // Only when nothing else is wrong: a misspelt key already says what the field lacks.
    if errors.is_empty()
        && matches!(input.data, syn::Data::Struct(_))
        && marks.fields.iter().all(Option::is_none)
    {
        errors.error(
            input.ident.span(),
            "`#[derive(Resource)]` needs at least one field marked `#[resource(owner)]`, `#[resource(tenant)]` or `#[resource(creator)]`",
        );
    }
}

fn generate(input: &syn::DeriveInput, marks: &Marks, krate: Option<&syn::Path>) -> TokenStream {
    let core = crate::tokens::core_path(krate);
    let private = quote!(#core::__private_0_1);
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // Spanned at the field's type, so that a type that cannot hold the text is reported there.
    let text = |(member, ty): (&syn::Member, Span)| quote::quote_spanned!(ty=> #private::FieldStr::field_str(&self.#member));
    let optional = |(member, ty): (&syn::Member, Span)| quote::quote_spanned!(ty=> #private::FieldOptStr::field_opt_str(&self.#member));
    let mut out = TokenStream::new();
    let tenant = marks.get("tenant").map(text);
    if let Some(owner) = marks.get("owner") {
        let owner = text(owner);
        let issuer = marks.get("owner_issuer").map(|m| {
            let issuer = optional(m);
            quote!(fn owner_issuer(&self) -> #private::Option<&str> { #issuer })
        });
        let owner_tenant = tenant.as_ref().map(
            |t| quote!(fn owner_tenant(&self) -> #private::Option<&str> { #private::Some(#t) }),
        );
        out.extend(quote! {
            impl #impl_generics #core::HasOwner for #name #ty_generics #where_clause {
                fn owner(&self) -> &str { #owner }
                #issuer
                #owner_tenant
            }
        });
    }
    if let Some(tenant) = &tenant {
        out.extend(quote! {
            impl #impl_generics #core::checks::HasTenant for #name #ty_generics #where_clause {
                fn tenant(&self) -> &str { #tenant }
            }
        });
    }
    if let Some(creator) = marks.get("creator") {
        let creator = text(creator);
        let issuer = marks.get("creator_issuer").map(|m| {
            let issuer = optional(m);
            quote!(fn creator_issuer(&self) -> #private::Option<&str> { #issuer })
        });
        out.extend(quote! {
            impl #impl_generics #core::checks::HasCreator for #name #ty_generics #where_clause {
                fn creator(&self) -> &str { #creator }
                #issuer
            }
        });
    }
    out
}
