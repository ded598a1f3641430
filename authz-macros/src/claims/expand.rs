//! The `Claims` impl. Each field is read through a trait of `authz_core` called at the field's
//! type, so a field of the wrong type fails with that trait's message, pointing at the type.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

use super::check::Model;
use super::parse::{Field, StructAttrs, Target};
use crate::tokens::respan;

pub(crate) fn expand(
    input: &DeriveInput,
    model: &Model<'_>,
    attrs: &StructAttrs,
    krate: &TokenStream,
) -> TokenStream {
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let private = quote!(#krate::__private_0_1);

    let registered = model.registered.iter().map(|claim| {
        let constant = format_ident!("{}", claim.to_ascii_uppercase());
        quote!(.union(#krate::__private_0_1::RegisteredClaims::#constant))
    });

    let subject = read(krate, &model.subject, quote!(subject));
    let tenant = match &model.tenant {
        Some(field) => read(krate, field, quote!(subject)),
        None => quote!(#private::None),
    };
    let ignore = &attrs.ignore;
    let acr = model.acr.as_ref().map(|field| {
        let read = read(krate, field, quote!(subject));
        quote! {
            #[inline]
            fn acr(&self) -> #private::Option<&::core::primitive::str> {
                #read
            }
        }
    });
    let amr = model.amr.as_ref().map(|field| {
        let read = read(krate, field, quote!(permission_names));
        quote! {
            #[inline]
            fn amr(&self) -> #krate::__private_0_1::Names<'_> {
                #read
            }
        }
    });
    let auth_time = model.auth_time.as_ref().map(|field| {
        let read = read(krate, field, quote!(seconds));
        quote! {
            #[inline]
            fn auth_time(&self) -> #private::Option<::core::primitive::u64> {
                #read
            }
        }
    });
    let roles = chain(
        model
            .roles
            .iter()
            .map(|f| read_names(krate, f, quote!(role_names), false)),
    );
    let permissions = chain(
        model
            .scopes
            .iter()
            .map(|f| read_names(krate, f, quote!(scope_names), true))
            .chain(
                model
                    .permissions
                    .iter()
                    .map(|f| read_names(krate, f, quote!(permission_names), false)),
            ),
    );

    let names = attrs
        .policy
        .as_ref()
        .and_then(|policy| mapped_names(krate, model, policy));

    let names_ty = quote!(impl ::core::iter::Iterator<Item = &::core::primitive::str>);
    let (roles_ty, permissions_ty) = (&names_ty, &names_ty);

    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::__private_0_1::Claims for #name #ty_generics #where_clause {
            const REGISTERED: #krate::__private_0_1::RegisteredClaims =
                #krate::__private_0_1::RegisteredClaims::NONE #(#registered)*;

            const IGNORED: &'static [&'static ::core::primitive::str] = &[#(#ignore),*];

            #[inline]
            fn subject(&self) -> #private::Option<&::core::primitive::str> {
                #subject
            }

            #[inline]
            fn tenant(&self) -> #private::Option<&::core::primitive::str> {
                #tenant
            }

            #acr
            #amr
            #auth_time

            #[inline]
            fn role_names(&self) -> #roles_ty {
                #roles
            }

            #[inline]
            fn permission_names(&self) -> #permissions_ty {
                #permissions
            }

            #names
        }
    }
}

/// `Claims::names`, when a field has a `map`: each field's names in the order `role_names`
/// and `permission_names` give them, the mapped field's through a `match` on the provider's
/// string. Each arm's index in the policy is a constant argument, `Index::<{ lookup }>`, so
/// the compiler looks the policy's name up when it checks the crate, and an undeclared name is
/// an error on that string, with the policy's suggestion.
fn mapped_names(krate: &TokenStream, model: &Model<'_>, policy: &syn::Path) -> Option<TokenStream> {
    if ![&model.roles, &model.scopes, &model.permissions]
        .into_iter()
        .flatten()
        .any(|field| field.map.is_some())
    {
        return None;
    }
    let private = quote!(#krate::__private_0_1);
    let param = quote!(__AuthzPolicy);
    let field_names = |field: &Field<'_>, method: TokenStream, split: bool, kind: Target| {
        let read = read_names(krate, field, method, split);
        let as_written = match kind {
            Target::Role => quote!(#private::Name::Role),
            Target::Permission => quote!(#private::Name::Permission),
        };
        let Some((entries, _)) = &field.map else {
            return quote!(::core::iter::Iterator::map(#read, #as_written));
        };
        let arms = entries.iter().map(|entry| {
            let (provider, target) = (&entry.provider, &entry.target);
            let (index, mapped) = match entry.kind.map_or(kind, |(kind, _)| kind) {
                Target::Permission => (quote!(mapped_permission_index), quote!(mapped_permission)),
                Target::Role => (quote!(mapped_role_index), quote!(mapped_role)),
            };
            let hash = Literal::u64_suffixed(crate::names::name_hash(&target.value()));
            // Every token of the lookup carries the policy name's span: a failed const
            // evaluation is reported there.
            let lookup = respan(
                quote!(#private::#index::<#policy>(#hash, #target)),
                target.span(),
            );
            quote! {
                #provider => #private::#mapped::<#param, #policy>(
                    #private::Index::<{ #lookup }>::VALUE,
                    __authz_name,
                ),
            }
        });
        quote! {
            ::core::iter::Iterator::map(#read, |__authz_name| match __authz_name {
                #(#arms)*
                _ => #as_written(__authz_name),
            })
        }
    };
    let mut parts = model
        .roles
        .iter()
        .map(|f| field_names(f, quote!(role_names), false, Target::Role))
        .chain(
            model
                .scopes
                .iter()
                .map(|f| field_names(f, quote!(scope_names), true, Target::Permission)),
        )
        .chain(
            model
                .permissions
                .iter()
                .map(|f| field_names(f, quote!(permission_names), false, Target::Permission)),
        );
    let first = parts.next()?;
    let chained = parts.fold(
        first,
        |acc, next| quote!(::core::iter::Iterator::chain(#acc, #next)),
    );
    Some(quote! {
        #[inline]
        fn names<#param: #private::Policy>(
            &self,
        ) -> impl ::core::iter::Iterator<Item = #private::Name<'_, #param>> {
            #chained
        }
    })
}

/// `__private_0_1::method::<FieldType>(&self.field)`, spanned at the field's type. The helper is
/// generic with the field trait as its bound and returns a concrete type, so a field of the
/// wrong type gives exactly one error, the trait's own message, on the type.
fn read(krate: &TokenStream, field: &Field<'_>, method: TokenStream) -> TokenStream {
    let (ident, ty) = (field.ident, field.ty);
    let krate = respan(krate.clone(), ty.span());
    quote_spanned!(ty.span()=> #krate::__private_0_1::#method::<#ty>(&self.#ident))
}

/// A names field: read through its trait, or, with `at = "a.b"`, through
/// `__private_0_1::names_at` with the path (the field then holds a JSON value).
fn read_names(
    krate: &TokenStream,
    field: &Field<'_>,
    method: TokenStream,
    split: bool,
) -> TokenStream {
    let Some((path, _)) = &field.at else {
        return read(krate, field, method);
    };
    let (ident, ty) = (field.ident, field.ty);
    let krate = respan(krate.clone(), ty.span());
    quote_spanned!(ty.span()=>
        #krate::__private_0_1::names_at::<#ty>(&self.#ident, &[#(#path),*], #split)
    )
}

fn chain(mut parts: impl Iterator<Item = TokenStream>) -> TokenStream {
    let Some(first) = parts.next() else {
        return quote!(::core::iter::empty::<&::core::primitive::str>());
    };
    parts.fold(
        first,
        |acc, next| quote!(::core::iter::Iterator::chain(#acc, #next)),
    )
}

/// Emitted when the input has errors, so that uses of the type report nothing more than
/// "this derive failed" (the errors themselves are emitted beside it).
pub(crate) fn fallback(input: &DeriveInput, krate: &TokenStream) -> TokenStream {
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        impl #impl_generics #krate::__private_0_1::Claims for #name #ty_generics #where_clause {
            const REGISTERED: #krate::__private_0_1::RegisteredClaims = #krate::__private_0_1::RegisteredClaims::NONE;
            fn subject(&self) -> ::core::option::Option<&::core::primitive::str> {
                ::core::unreachable!()
            }
            fn role_names(&self) -> impl ::core::iter::Iterator<Item = &::core::primitive::str> {
                ::core::iter::empty()
            }
            fn permission_names(&self) -> impl ::core::iter::Iterator<Item = &::core::primitive::str> {
                ::core::iter::empty()
            }
        }
    }
}
