//! The `Claims` impl. Each field is read through a trait of `authz_core` called at the field's
//! type, so a field of the wrong type fails with that trait's message, pointing at the type.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

use super::check::Model;
use super::parse::Field;
use crate::tokens::respan;

pub(crate) fn expand(input: &DeriveInput, model: &Model<'_>, krate: &TokenStream) -> TokenStream {
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let private = quote!(#krate::__private_0_1);

    let registered = model.registered.iter().map(|claim| {
        let constant = format_ident!("{}", claim.to_ascii_uppercase());
        quote!(.union(#krate::__private_0_1::RegisteredClaims::#constant))
    });

    let subject = read(krate, &model.subject, quote!(subject));
    let roles = chain(
        model
            .roles
            .iter()
            .map(|f| read(krate, f, quote!(role_names))),
    );
    let permissions = chain(
        model
            .scopes
            .iter()
            .map(|f| read(krate, f, quote!(scope_names)))
            .chain(
                model
                    .permissions
                    .iter()
                    .map(|f| read(krate, f, quote!(permission_names))),
            ),
    );

    let names_ty = quote!(impl ::core::iter::Iterator<Item = &::core::primitive::str>);
    let (roles_ty, permissions_ty) = (&names_ty, &names_ty);

    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::__private_0_1::Claims for #name #ty_generics #where_clause {
            const REGISTERED: #krate::__private_0_1::RegisteredClaims =
                #krate::__private_0_1::RegisteredClaims::NONE #(#registered)*;

            #[inline]
            fn subject(&self) -> #private::Option<&::core::primitive::str> {
                #subject
            }

            #[inline]
            fn role_names(&self) -> #roles_ty {
                #roles
            }

            #[inline]
            fn permission_names(&self) -> #permissions_ty {
                #permissions
            }
        }
    }
}

/// `__private_0_1::method::<FieldType>(&self.field)`, spanned at the field's type. The helper is
/// generic with the field trait as its bound and returns a concrete type, so a field of the
/// wrong type gives exactly one error, the trait's own message, on the type.
fn read(krate: &TokenStream, field: &Field<'_>, method: TokenStream) -> TokenStream {
    let (ident, ty) = (field.ident, field.ty);
    let krate = respan(krate.clone(), ty.span());
    quote_spanned!(ty.span()=> #krate::__private_0_1::#method::<#ty>(&self.#ident))
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
