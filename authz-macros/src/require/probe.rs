//! A parameter whose type is the caller or the proof under another name (an alias the macro
//! cannot see through) and that is not marked `#[caller]`/`#[proof]` would be read from the
//! request, and the framework would answer with an extractor error that names neither mark.
//! The macro cannot tell an alias from an extractor by name, so the compiler tells them apart:
//! for each parameter left to the framework, the body asks for a type-level probe whose answer
//! is an error naming the mark when the type is `Authenticated<..>` or `Granted<..>`, and
//! nothing otherwise (autoref specialization: a method on the probe for those two types is
//! found before the fallback on a reference to it).

use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{FnArg, Type};

/// The probes for `params` (the parameters the framework extracts), or nothing when there
/// are none. Each error is spanned at the parameter's type.
pub(crate) fn probes<'a>(
    krate: &TokenStream,
    params: impl IntoIterator<Item = &'a FnArg>,
) -> TokenStream {
    let checks: Vec<TokenStream> = params
        .into_iter()
        .filter_map(|param| match param {
            FnArg::Typed(typed) if nameable(&typed.ty) => Some(&typed.ty),
            _ => None,
        })
        .map(|ty| {
            quote_spanned! {ty.span()=>
                {
                    let __authz_kind =
                        (&__AuthzProbe::<#ty>(::core::marker::PhantomData)).__authz_kind();
                    extracted_not_caller(&__authz_kind);
                    extracted_not_proof(&__authz_kind);
                }
            }
        })
        .collect();
    if checks.is_empty() {
        return TokenStream::new();
    }
    // In a block of their own, so that the items cannot meet the body's. Their names are
    // plain words because the compiler prints them beside the message.
    quote! {{
        #[allow(dead_code)]
        struct __AuthzProbe<T: ?::core::marker::Sized>(::core::marker::PhantomData<T>);
        #[allow(dead_code)]
        struct UnmarkedCaller;
        #[allow(dead_code)]
        struct UnmarkedProof;
        #[allow(dead_code)]
        struct ExtractedParam;
        #[diagnostic::on_unimplemented(
            message = "this parameter is the caller: mark it `#[caller]`",
            label = "an `Authenticated<..>` under another name: write `#[caller]` before the parameter",
            note = "`#[require]` sees the name of a type, not the type an alias stands for; unmarked, the parameter would be read from the request"
        )]
        trait ExtractedNotCaller {}
        #[diagnostic::on_unimplemented(
            message = "this parameter is the proof: mark it `#[proof]`",
            label = "a `Granted<..>` under another name: write `#[proof]` before the parameter",
            note = "`#[require]` sees the name of a type, not the type an alias stands for; unmarked, the parameter would be read from the request"
        )]
        trait ExtractedNotProof {}
        #[diagnostic::do_not_recommend]
        impl ExtractedNotCaller for ExtractedParam {}
        #[diagnostic::do_not_recommend]
        impl ExtractedNotCaller for UnmarkedProof {}
        #[diagnostic::do_not_recommend]
        impl ExtractedNotProof for ExtractedParam {}
        #[diagnostic::do_not_recommend]
        impl ExtractedNotProof for UnmarkedCaller {}
        #[allow(dead_code)]
        trait __AuthzIsCaller {
            fn __authz_kind(&self) -> UnmarkedCaller {
                UnmarkedCaller
            }
        }
        impl<P, C> __AuthzIsCaller for __AuthzProbe<#krate::Authenticated<P, C>> {}
        #[allow(dead_code)]
        trait __AuthzIsProof {
            fn __authz_kind(&self) -> UnmarkedProof {
                UnmarkedProof
            }
        }
        impl<R> __AuthzIsProof for __AuthzProbe<#krate::Granted<R>> {}
        #[allow(dead_code)]
        trait __AuthzIsOther {
            fn __authz_kind(&self) -> ExtractedParam {
                ExtractedParam
            }
        }
        impl<T: ?::core::marker::Sized> __AuthzIsOther for &__AuthzProbe<T> {}
        fn extracted_not_caller<K: ExtractedNotCaller>(_: &K) {}
        fn extracted_not_proof<K: ExtractedNotProof>(_: &K) {}
        #(#checks)*
    }}
}

/// Whether the type can be written in the body: not with `impl Trait` in it.
fn nameable(ty: &Type) -> bool {
    fn has_impl(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|token| match token {
            TokenTree::Ident(ident) => ident == "impl",
            TokenTree::Group(group) => has_impl(group.stream()),
            _ => false,
        })
    }
    !has_impl(quote!(#ty))
}
