//! The rewritten handler: a guard extractor becomes its first parameter, so axum runs the check
//! before the body; the body receives the proof and the caller if it declared them. The rest
//! of the signature and the body keep the user's tokens and spans.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::{FnArg, ItemFn, LitStr, Token};

use super::check::Rule;
use super::parse::{Args, Kind};

pub(crate) fn expand(args: &Args, rule: &Rule, mut function: ItemFn) -> TokenStream {
    let authz = match &args.authz {
        Some(path) => quote!(#path),
        None => quote!(Authz),
    };
    // The adapter is named in the signature itself, not through an item beside the handler,
    // so that the handler may be an associated function in an `impl` block (where an item
    // beside it would be an inherent associated type).
    let adapter = quote!(<#authz as ::authz_core::Adapter>);

    let guard_param: FnArg = match rule.kind {
        Kind::Public => syn::parse_quote!(__authz_public: #adapter::Public),
        Kind::Require => {
            let policy = quote!(#adapter::Policy);
            let all = bits(&rule.all, &policy, quote!(permission_bit));
            let any = bits(&rule.any, &policy, quote!(permission_bit));
            let roles = bits(rule.role.as_slice(), &policy, quote!(role_bit));
            syn::parse_quote! {
                __authz_guard: #adapter::Guard<::authz_core::Req<#policy, { #all }, { #any }, { #roles }>>
            }
        }
    };

    // Parameters that receive the proof or caller leave the extractor list and are bound from
    // the guard at the top of the body instead.
    let mut bindings = Vec::new();
    let mut inputs: Punctuated<FnArg, Token![,]> = Punctuated::new();
    inputs.push(guard_param);
    for (index, input) in std::mem::take(&mut function.sig.inputs)
        .into_iter()
        .enumerate()
    {
        let source = if Some(index) == rule.granted_param {
            quote!(__authz_granted)
        } else if Some(index) == rule.caller_param {
            quote!(__authz_caller)
        } else {
            inputs.push(input);
            continue;
        };
        if let FnArg::Typed(typed) = input {
            let (attrs, pat, ty) = (&typed.attrs, &typed.pat, &typed.ty);
            bindings.push(quote!(#(#attrs)* let #pat: #ty = #source;));
        }
    }
    function.sig.inputs = inputs;

    if rule.kind == Kind::Require {
        let body = &function.block;
        let unused_granted = rule
            .granted_param
            .is_none()
            .then(|| quote!(let _ = __authz_granted;));
        let unused_caller = rule
            .caller_param
            .is_none()
            .then(|| quote!(let _ = __authz_caller;));
        function.block = syn::parse_quote!({
            let (__authz_caller, __authz_granted) =
                ::authz_core::__private::Guard::into_parts(__authz_guard);
            #unused_granted
            #unused_caller
            #(#bindings)*
            #body
        });
    }
    quote!(#function)
}

/// `{ bit(P, "a") | bit(P, "b") }`, each lookup spanned at its string literal, so an unknown
/// name is a compile error under that literal.
fn bits(names: &[LitStr], policy: &TokenStream, lookup: TokenStream) -> TokenStream {
    if names.is_empty() {
        return quote!(0u128);
    }
    let lookups = names.iter().map(
        |name| quote_spanned!(name.span()=> ::authz_core::__private::#lookup::<#policy>(#name)),
    );
    quote!(#(#lookups)|*)
}
