//! A parameter whose type is the caller or the proof under another name (an alias the macro
//! cannot see through) and that is not marked `#[caller]`/`#[proof]` would be read from the
//! request, and the framework would answer with an extractor error that names neither mark.
//! The macro cannot tell an alias from an extractor by name, so the compiler tells them apart:
//! for each parameter left to the framework, the body asks for a type-level probe whose answer
//! is an error naming the mark when the type is `Authenticated<..>` or `Granted<..>`, and
//! nothing otherwise (autoref specialization: a method on the probe for those two types is
//! found before the fallback on a reference to it). The probe's items are declared once, in
//! `authz_core::__private_0_1::probe`; a body holds only the calls.

use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{FnArg, Pat, Type};

use crate::tokens::respan;

/// The probes for `params` (the parameters the framework extracts), or nothing when there
/// are none. Each error is spanned at the parameter's type.
pub(crate) fn probes<'a>(
    krate: &TokenStream,
    params: impl IntoIterator<Item = &'a FnArg>,
) -> TokenStream {
    let probe = quote!(#krate::__private_0_1::probe);
    let checks: Vec<TokenStream> = params
        .into_iter()
        .filter_map(|param| match param {
            FnArg::Typed(typed) if nameable(&typed.ty) && !destructures(&typed.pat) => {
                Some(&typed.ty)
            }
            _ => None,
        })
        .map(|ty| {
            // The calls spanned at the type too, so that the error has no second label at
            // the attribute.
            let probe = respan(probe.clone(), ty.span());
            quote_spanned! {ty.span()=>
                {
                    let __authz_kind =
                        (&#probe::Probe::<#ty>(::core::marker::PhantomData)).__authz_kind();
                    #probe::extracted_not_caller(&__authz_kind);
                    #probe::extracted_not_proof(&__authz_kind);
                }
            }
        })
        .collect();
    if checks.is_empty() {
        return TokenStream::new();
    }
    // In a block of their own, so that the traits brought into scope cannot meet the body.
    quote! {{
        use #probe::{IsCaller as _, IsOther as _, IsProof as _};
        #(#checks)*
    }}
}

/// Whether the parameter's pattern takes apart a tuple struct, an enum's tuple variant or a
/// tuple (`Path(id)`, `Json(body)`, `(a, b)`): its type is then none of the two the probe looks
/// for, which are structs with named private fields (`Authenticated { .. }`, `Granted { .. }`),
/// so such a pattern on them, through an alias or not, is already an error at the pattern. The
/// usual extractor parameter is written so, and needs no probe.
fn destructures(pat: &Pat) -> bool {
    match pat {
        Pat::TupleStruct(_) | Pat::Tuple(_) => true,
        Pat::Ident(ident) => ident
            .subpat
            .as_ref()
            .is_some_and(|(_, sub)| destructures(sub)),
        Pat::Paren(paren) => destructures(&paren.pat),
        _ => false,
    }
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
