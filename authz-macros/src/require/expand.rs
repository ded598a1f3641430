//! The rewritten handler: a guard extractor becomes its first parameter, so the framework
//! runs the check before the body; the body receives the proof and the caller if it declared
//! them. The rest of the signature and the body keep the user's tokens and spans.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{FnArg, ItemFn, LitStr, Token};

use super::check::{CALLER_ATTR, PROOF_ATTR, Rule};
use super::parse::{Args, Kind, Tenant};
use super::{probe, receiver};
use crate::tokens::{core_path, respan};

/// The handler with its guard. `valid` is false when errors were reported: the handler is
/// then still guarded (by what parsed, or as public when nothing did), so that routing it
/// adds no error of its own.
pub(crate) fn expand(args: &Args, rule: &Rule, mut function: ItemFn, valid: bool) -> TokenStream {
    let krate = core_path(args.krate.as_ref());
    let authz = match &args.authz {
        Some(path) => quote!(#path),
        None => quote!(Authz),
    };
    // The adapter is named in the signature itself, not through an item beside the handler,
    // so that the handler may be an associated function in an `impl` block (where an item
    // beside it would be an inherent associated type).
    let adapter = quote!(<#authz as #krate::__private_0_1::Adapter>);

    let public = rule.kind == Kind::Public || (!valid && rule.is_empty());
    // Tokens, not a `FnArg` parsed back from them: the compiler parses them once, and a
    // macro compiled without optimizations (as proc macros are in a dev build) spends much of
    // its time in syn's parser.
    let guard_param = if public {
        quote!(__authz_public: #adapter::Public)
    } else {
        let requirement = requirement(rule, &krate, &quote!(#adapter::Policy));
        let requirement = in_tenant(args.tenant.as_ref(), requirement, &krate);
        quote!(__authz_guard: #adapter::Guard<#requirement>)
    };

    // Parameters that receive the proof or caller leave the extractor list and are bound from
    // the guard at the top of the body instead.
    let mut bindings = Vec::new();
    let mut inputs: Punctuated<FnArg, Token![,]> = Punctuated::new();
    let mut receiver = None;
    // The parameters the framework extracts, to be checked for an unmarked caller or proof.
    let mut extracted = Vec::new();
    for (index, mut input) in std::mem::take(&mut function.sig.inputs)
        .into_iter()
        .enumerate()
    {
        match &mut input {
            FnArg::Typed(typed) => typed
                .attrs
                .retain(|a| !a.path().is_ident(CALLER_ATTR) && !a.path().is_ident(PROOF_ATTR)),
            // Reported by the checks; dropped so that it is not reported again, and the body's
            // `self` replaced (below) so that its absence is not reported either.
            FnArg::Receiver(r) => {
                receiver = Some(r.clone());
                continue;
            }
        }
        let source = if Some(index) == rule.granted_param && !public {
            // A proof in a tenant gives the body the proof of the requirement it declared,
            // spanned at the parameter's type so that one it does not imply is reported there.
            match (&args.tenant, &input) {
                (Some(_), FnArg::Typed(typed)) => {
                    quote_spanned!(typed.ty.span()=> __authz_granted.weaken())
                }
                _ => quote!(__authz_granted),
            }
        } else if Some(index) == rule.caller_param && !public {
            quote!(__authz_caller)
        } else {
            if !rule.slot_params.contains(&index) {
                extracted.push(input.clone());
            }
            inputs.push(input);
            continue;
        };
        if let FnArg::Typed(typed) = input {
            let (attrs, pat, ty) = (&typed.attrs, &typed.pat, &typed.ty);
            bindings.push(quote!(#(#attrs)* let #pat: #ty = #source;));
        }
    }
    // An alias of the caller or the proof among the extracted parameters is reported as such.
    let probes = if public {
        TokenStream::new()
    } else {
        probe::probes(&krate, &extracted)
    };
    if let Some(receiver) = &receiver {
        receiver::replace_self(&mut function, receiver);
    }

    // The signature with the guard first, written out as tokens (see `guard_param`).
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = &function;
    let syn::Signature {
        constness,
        asyncness,
        unsafety,
        abi,
        fn_token,
        ident,
        generics,
        paren_token,
        variadic,
        output,
        ..
    } = sig;
    let where_clause = &generics.where_clause;
    let mut params = TokenStream::new();
    paren_token.surround(&mut params, |params| {
        params.extend(guard_param);
        for input in &inputs {
            params.extend(quote!(, #input));
        }
        if let Some(variadic) = variadic {
            params.extend(quote!(, #variadic));
        }
    });
    let signature = quote! {
        #constness #asyncness #unsafety #abi #fn_token #ident #generics #params #output
        #where_clause
    };

    if public {
        return quote!(#(#attrs)* #vis #signature #block);
    }
    // The body's statements, not its block: a block inside the new one would make a
    // one-expression body (`{ format!(...) }`) warn as "unnecessary braces" on the user's
    // code.
    let body = &block.stmts;
    // The guard is taken apart only for a body that asks for the proof or the caller: the
    // call costs the compiler a trait method's resolution in every handler.
    let parts = match (rule.granted_param, rule.caller_param) {
        (None, None) => TokenStream::new(),
        (granted, caller) => {
            let unused_granted = granted.is_none().then(|| quote!(let _ = __authz_granted;));
            let unused_caller = caller.is_none().then(|| quote!(let _ = __authz_caller;));
            quote! {
                let (__authz_caller, __authz_granted) =
                    #krate::__private_0_1::Guard::into_parts(__authz_guard);
                #unused_granted
                #unused_caller
            }
        }
    };
    quote! {
        #(#attrs)* #vis #signature {
            #parts
            #probes
            #(#bindings)*
            #(#body)*
        }
    }
}

/// The requirement checked in the route's tenant, when one is declared: `InTenant<T, R>`, the
/// source `T` spanned at the user's `tenant = ...`.
fn in_tenant(
    tenant: Option<&Tenant>,
    requirement: TokenStream,
    krate: &TokenStream,
) -> TokenStream {
    let private = quote!(#krate::__private_0_1);
    let source = match tenant {
        None => return requirement,
        Some(Tenant::Path(literal, name)) => {
            let mut bytes = [0u8; 32];
            bytes[..name.len()].copy_from_slice(name.as_bytes());
            let (low, high) = bytes.split_at(16);
            let low =
                Literal::u128_suffixed(u128::from_le_bytes(low.try_into().unwrap_or_default()));
            let high =
                Literal::u128_suffixed(u128::from_le_bytes(high.try_into().unwrap_or_default()));
            quote_spanned!(literal.span()=> #private::PathParam<#low, #high>)
        }
        Some(Tenant::Credential(span)) => quote_spanned!(*span=> #private::CredentialTenant),
        Some(Tenant::Source(ty)) => quote!(#ty),
    };
    quote!(#private::InTenant<#source, #requirement>)
}

/// The requirement type: a part alone, or `AllOf` of the parts (each permission, the `any`
/// group, the role, each named requirement). Each name is looked up in the policy by a const
/// evaluation spanned at its string literal, so an unknown name is an error under it.
pub(crate) fn requirement(rule: &Rule, krate: &TokenStream, policy: &TokenStream) -> TokenStream {
    let private = quote!(#krate::__private_0_1);
    // Every token of a lookup carries the literal's span: the compiler reports a failed const
    // evaluation at the call's span, which is then the user's string.
    let permission = |name: &LitStr| {
        let hash = Literal::u64_suffixed(crate::names::name_hash(&name.value()));
        let key = crate::names::name_key(&name.value());
        let lookup = respan(
            quote!(#private::permission_index::<#policy>(#hash, #key, #name)),
            name.span(),
        );
        quote_spanned! {name.span()=>
            <#policy as #private::PermissionAt<{ #lookup }>>::Requirement
        }
    };
    let mut parts: Vec<TokenStream> = rule.all.iter().map(permission).collect();
    // After an error, an `any` of one name or of too many stays well-formed for the types.
    match rule.any.as_slice() {
        [] => {}
        [one] => parts.push(permission(one)),
        many => {
            let alternatives = many.iter().take(8).map(permission);
            parts.push(quote!(#krate::__private_0_1::AnyOf<(#(#alternatives,)*)>));
        }
    }
    if let Some(role) = &rule.role {
        let hash = Literal::u64_suffixed(crate::names::name_hash(&role.value()));
        let key = crate::names::name_key(&role.value());
        let lookup = respan(
            quote!(#private::role_index::<#policy>(#hash, #key, #role)),
            role.span(),
        );
        parts.push(quote_spanned! {role.span()=>
            <#policy as #private::RoleAt<{ #lookup }>>::Requirement
        });
    }
    parts.extend(rule.named.iter().map(|path| quote!(#path)));
    parts.truncate(8);
    match parts.as_slice() {
        [one] => one.clone(),
        _ => quote!(#krate::__private_0_1::AllOf<(#(#parts,)*)>),
    }
}
