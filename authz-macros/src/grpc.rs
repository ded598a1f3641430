//! `#[authz_tonic::service]`: on the `impl` of a tonic service trait, every RPC method must
//! carry `#[require(...)]` or `#[public]` (read here, with `#[require]`'s own parser and
//! checks), and each is rewritten to authenticate and authorize the call from its metadata
//! before its body runs. The proof and the caller are extra parameters after the request,
//! which the rewrite removes from the signature (the trait's) and binds at the top of the
//! body.
//!
//! ```text
//! #[authz_tonic::service]                      // above #[tonic::async_trait]
//! #[tonic::async_trait]
//! impl docs_server::Docs for MyDocs {          // `docs_server::SERVICE_NAME` names the routes
//!     #[require(permission = "docs:read")]
//!     async fn read(&self, request: Request<Empty>, caller: Authenticated<..>) -> .. { .. }
//!     #[public]
//!     async fn whoami(&self, request: Request<Empty>, caller: Option<Authenticated<..>>) -> .. { .. }
//!     #[rpc(name = "GetHTTPStatus")]          // when the proto name is not the method's in UpperCamelCase
//!     #[public]
//!     async fn get_http_status(..) -> .. { .. }
//! }
//! ```
//!
//! Generated code names `::authz_tonic::__private` and, for the requirement types,
//! `::authz_core::__private_0_1` (or the `crate = path` of a `#[require]`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{FnArg, ImplItem, ImplItemFn, ItemImpl, LitStr, Meta, Pat, Token, Type};

use crate::errors::Errors;
use crate::require::check::{self, Rule};
use crate::require::expand::requirement;
use crate::require::parse::{self, Kind};
use crate::tokens::core_path;

/// The attribute that gives a method's proto name when it is not the Rust name in
/// UpperCamelCase.
const RPC_ATTR: &str = "rpc";
/// The argument of `#[authz_tonic::service(name = "package.Service")]`.
const NAME: &str = "name";

pub(crate) fn service(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let mut imp = match syn::parse2::<ItemImpl>(item.clone()) {
        Ok(imp) => imp,
        Err(error) => {
            let mut out = item;
            out.extend(error.to_compile_error());
            return out;
        }
    };
    let name = service_args(args, &mut errors);
    let Some(service) = service_name(&imp, name, &mut errors) else {
        let mut out = quote!(#imp);
        out.extend(errors.into_compile_errors());
        return out;
    };

    let (impl_generics, _, where_clause) = imp.generics.split_for_impl();
    let self_ty = &imp.self_ty;
    let private = quote!(::authz_tonic::__private);
    let mut rules = Vec::new();
    let mut rows = Vec::new();
    // Each method's errors, collected apart so that a method with mistakes is told apart.
    let mut method_errors = Vec::new();
    let mut id = 0usize;
    for item in &mut imp.items {
        let ImplItem::Fn(method) = item else {
            continue;
        };
        let mut errors = Errors::default();
        let rewritten = rewrite(method, id, &private, &mut errors);
        method_errors.push(errors.into_compile_errors());
        let Some(rewritten) = rewritten else {
            continue;
        };
        let rpc = &rewritten.rpc;
        let requirement = &rewritten.requirement;
        let adapter = &rewritten.adapter;
        let access = &rewritten.access;
        rules.push(quote! {
            impl #impl_generics #private::MethodRule<#id> for #self_ty #where_clause {
                type Adapter = #adapter;
                type Requirement = #requirement;
                const ROUTE: &'static str = #private::route!(#service, #rpc);
                fn access() -> #private::RouteAccess {
                    #access
                }
            }
        });
        rows.push(quote! {
            table.push(
                #private::RPC,
                <Self as #private::MethodRule<#id>>::ROUTE,
                <Self as #private::MethodRule<#id>>::access(),
            );
        });
        id += 1;
    }
    let mut out = quote! {
        #imp
        #(#rules)*
        impl #impl_generics #private::GuardedService for #self_ty #where_clause {
            const SERVICE: &'static str = #service;
            fn route_table() -> #private::RouteTable {
                #[allow(unused_mut)]
                let mut table = #private::RouteTable::default();
                #(#rows)*
                table
            }
        }
    };
    out.extend(errors.into_compile_errors());
    out.extend(method_errors);
    out
}

/// `name = "package.Service"`, if given.
fn service_args(args: TokenStream, errors: &mut Errors) -> Option<LitStr> {
    let mut name = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident(NAME) {
            name = Some(meta.value()?.parse::<LitStr>()?);
            Ok(())
        } else {
            Err(meta.error(
                "unknown `#[authz_tonic::service]` argument; expected `name = \"package.Service\"`",
            ))
        }
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        errors.push(error);
    }
    name
}

/// The expression of the service's full name: `name = ".."`, or the `SERVICE_NAME` constant
/// tonic generates beside the trait (`docs_server::Docs` -> `docs_server::SERVICE_NAME`).
fn service_name(imp: &ItemImpl, name: Option<LitStr>, errors: &mut Errors) -> Option<TokenStream> {
    let Some((_, trait_path, _)) = &imp.trait_ else {
        errors.error(
            &imp.self_ty,
            "`#[authz_tonic::service]` goes on the `impl` of a tonic service trait, as in `impl docs_server::Docs for MyDocs`",
        );
        return None;
    };
    if let Some(name) = name {
        return Some(quote!(#name));
    }
    if trait_path.segments.len() < 2 {
        errors.error(
            trait_path,
            "name the service trait through the module tonic generated it in (`docs_server::Docs`), whose `SERVICE_NAME` gives the full method names (`/package.Service/Method`), or write `#[authz_tonic::service(name = \"package.Service\")]`",
        );
        return Some(quote!(""));
    }
    let mut module = trait_path.clone();
    module.segments.pop();
    let module = module.segments.pairs().map(|pair| pair.into_value());
    let leading = trait_path.leading_colon;
    Some(quote_spanned!(trait_path.span()=> #leading #(#module ::)* SERVICE_NAME))
}

/// What a rewritten method contributes to the service's rules.
struct Rewritten {
    /// The proto method name.
    rpc: LitStr,
    /// The adapter (the `Authz` alias; `()` for a public method without a caller).
    adapter: TokenStream,
    /// The requirement type (`()` for a public method).
    requirement: TokenStream,
    /// The `Access` expression.
    access: TokenStream,
}

/// How an extra parameter is filled.
enum Source {
    Granted,
    Caller,
    OptionalCaller,
    /// A mistake already reported: bound to a value never reached, so that the body still
    /// type-checks without a second error.
    Reported,
}

/// Reads the method's rule and rewrites it; `None` (and an error) when it declares none.
/// `errors` are this method's own.
fn rewrite(
    method: &mut ImplItemFn,
    id: usize,
    private: &TokenStream,
    errors: &mut Errors,
) -> Option<Rewritten> {
    let (rule_attrs, others): (Vec<_>, Vec<_>) = std::mem::take(&mut method.attrs)
        .into_iter()
        .partition(|attr| rule_kind(attr).is_some());
    let (rpc_attrs, others): (Vec<_>, Vec<_>) = others
        .into_iter()
        .partition(|attr| attr.path().is_ident(RPC_ATTR));
    method.attrs = others;
    let ident = &method.sig.ident;
    let Some(rule_attr) = rule_attrs.first() else {
        errors.error(
            ident,
            format!(
                "the RPC method `{ident}` does not declare who may call it: add `#[require(...)]` or `#[public]`"
            ),
        );
        return None;
    };
    for extra in &rule_attrs[1..] {
        errors.error(
            extra,
            "one rule per method: `#[require(...)]` (with every part the method needs) or `#[public]`",
        );
    }
    let kind = rule_kind(rule_attr)?;
    let tokens = match &rule_attr.meta {
        Meta::Path(_) => TokenStream::new(),
        Meta::List(list) => list.tokens.clone(),
        Meta::NameValue(value) => {
            errors.error(value, "write `#[require(...)]` or `#[public]`");
            TokenStream::new()
        }
    };
    let args = parse::parse_args(kind, tokens, errors);
    if let Some(tenant) = &args.tenant {
        let span = match tenant {
            parse::Tenant::Path(literal, _) => literal.span(),
            parse::Tenant::Credential(span) => *span,
            parse::Tenant::Source(ty) => syn::spanned::Spanned::span(ty),
        };
        errors.push(syn::Error::new(
            span,
            "an RPC method declares no tenant (gRPC has no path parameters): scope the caller in the body with `caller.in_tenant(&store, tenant).await?`",
        ));
    }
    let rpc = rpc_name(method, &rpc_attrs, errors);

    if method.sig.asyncness.is_none() {
        errors.error(
            method.sig.fn_token,
            "RPC methods are `async fn`: put `#[authz_tonic::service]` above `#[tonic::async_trait]`, which rewrites them",
        );
    }
    // The receiver, the request, then the extra parameters the attribute fills in.
    let mut inputs = std::mem::take(&mut method.sig.inputs).into_iter();
    let receiver = inputs.next();
    let request = inputs.next();
    let extras: Punctuated<FnArg, Token![,]> = inputs.collect();
    let (Some(FnArg::Receiver(receiver)), Some(FnArg::Typed(mut request))) = (receiver, request)
    else {
        errors.error(
            &method.sig,
            "an RPC method takes `&self` and the request, as the service trait declares it",
        );
        return None;
    };

    // `#[require]`'s checks, on a function of the extra parameters alone.
    let mut synthetic: syn::ItemFn = syn::parse_quote!(
        async fn rpc() {}
    );
    synthetic.sig.ident = method.sig.ident.clone();
    synthetic.sig.inputs = extras.clone();
    let rule = check::check(kind, &args, &synthetic, errors);
    let sources = sources(kind, &rule, &extras, errors);
    let valid = errors.is_empty();

    let krate = core_path(args.krate.as_ref());
    // Named once, in the method's rule, at the rule's span: a missing alias is one error
    // there.
    let authz = match &args.authz {
        Some(path) => quote!(#path),
        None => quote_spanned!(rule_attr.path().span()=> Authz),
    };
    let public = kind == Kind::Public || (!valid && rule.is_empty());
    let rule_here = quote!(<Self as #private::MethodRule<#id>>);
    let wants_caller = sources
        .iter()
        .any(|(_, s)| matches!(s, Source::OptionalCaller));
    let adapter_ty = if public && !wants_caller {
        quote!(())
    } else {
        authz.clone()
    };
    let (requirement_ty, access) = if public {
        (quote!(()), quote!(#private::RouteAccess::Public))
    } else {
        let adapter = quote!(<#rule_here::Adapter as #krate::__private_0_1::Adapter>);
        let requirement_ty = requirement(&rule, &krate, &quote!(#adapter::Policy));
        // Through the impl's associated type, so that each name is looked up (and a wrong
        // one reported) once.
        let access = quote!(#private::RouteAccess::Rule(
            <<Self as #private::MethodRule<#id>>::Requirement
                as #krate::__private_0_1::Requirement>::RULE
        ));
        (requirement_ty, access)
    };

    // The request is taken under a name of the attribute's, read for its metadata, then
    // handed to the user's pattern.
    let request_pat = std::mem::replace(
        &mut request.pat,
        Box::new(syn::parse_quote!(__authz_request)),
    );
    let request_ty = request.ty.clone();
    let gate = quote!(#private::gate(&*self));
    let fail = quote! {
        ::core::result::Result::Err(__authz_status) => {
            return ::core::result::Result::Err(::core::convert::From::from(__authz_status));
        }
    };
    let check = if !public {
        quote! {
            let (__authz_caller, __authz_granted) = match #private::authorize::<
                #rule_here::Adapter,
                #rule_here::Requirement,
            >(#gate, __authz_metadata, #rule_here::ROUTE).await {
                ::core::result::Result::Ok(__authz_guard) => {
                    #krate::__private_0_1::Guard::into_parts(__authz_guard)
                }
                #fail
            };
        }
    } else if wants_caller {
        quote! {
            let __authz_caller = match #private::optional_caller::<#rule_here::Adapter>(
                #gate, __authz_metadata, #rule_here::ROUTE,
            ).await {
                ::core::result::Result::Ok(__authz_caller) => __authz_caller,
                #fail
            };
        }
    } else {
        quote!(let _ = __authz_metadata;)
    };
    let mut bindings = Vec::new();
    let mut unreachable = false;
    let mut used = (false, false);
    for (param, source) in &sources {
        let FnArg::Typed(typed) = param else {
            continue;
        };
        let (pat, ty) = (&typed.pat, &typed.ty);
        let value = match source {
            // At the parameter's type: a proof of another requirement than the rule's is a
            // type mismatch reported there.
            Source::Granted if !public => {
                used.0 = true;
                quote_spanned!(ty.span()=> __authz_granted)
            }
            Source::Caller if !public => {
                used.1 = true;
                quote_spanned!(ty.span()=> __authz_caller)
            }
            Source::OptionalCaller if public => quote_spanned!(ty.span()=> __authz_caller),
            _ => {
                unreachable = true;
                quote!(::core::unreachable!())
            }
        };
        bindings.push(quote!(let #pat: #ty = #value;));
    }
    let unused = (!public).then(|| {
        let granted = (!used.0).then(|| quote!(let _ = __authz_granted;));
        let caller = (!used.1).then(|| quote!(let _ = __authz_caller;));
        quote!(#granted #caller)
    });
    if unreachable {
        method
            .attrs
            .push(syn::parse_quote!(#[allow(unreachable_code, unused_variables)]));
    }
    let body = &method.block.stmts;
    method.block = syn::parse_quote!({
        let __authz_metadata = #private::metadata(&__authz_request);
        #check
        #unused
        let #request_pat: #request_ty = __authz_request;
        #(#bindings)*
        #(#body)*
    });
    let mut new_inputs: Punctuated<FnArg, Token![,]> = Punctuated::new();
    new_inputs.push(FnArg::Receiver(receiver));
    new_inputs.push(FnArg::Typed(request));
    method.sig.inputs = new_inputs;

    Some(Rewritten {
        rpc,
        adapter: adapter_ty,
        requirement: requirement_ty,
        access,
    })
}

/// `#[require(...)]`/`#[public]` by the last segment of their path (`require`,
/// `authz_core::require`), which the attribute reads in place of the macros.
fn rule_kind(attr: &syn::Attribute) -> Option<Kind> {
    match attr.path().segments.last()?.ident.to_string().as_str() {
        "require" => Some(Kind::Require),
        "public" => Some(Kind::Public),
        _ => None,
    }
}

/// How each extra parameter is filled: the slots `#[require]`'s checks found, and in a
/// `#[public]` method one `Option<..>`, the optional caller.
fn sources(
    kind: Kind,
    rule: &Rule,
    extras: &Punctuated<FnArg, Token![,]>,
    errors: &mut Errors,
) -> Vec<(FnArg, Source)> {
    let mut out = Vec::new();
    let mut optional = false;
    for (index, param) in extras.iter().enumerate() {
        let source = if Some(index) == rule.granted_param {
            Source::Granted
        } else if Some(index) == rule.caller_param {
            Source::Caller
        } else if rule.slot_params.contains(&index) {
            Source::Reported
        } else if let FnArg::Typed(typed) = param
            && kind == Kind::Public
            && !optional
            && is_option(&typed.ty)
        {
            if matches!(&*typed.pat, Pat::Ident(_) | Pat::Wild(_)) {
                optional = true;
                Source::OptionalCaller
            } else {
                errors.error(&typed.pat, "bind the caller to a name");
                Source::Reported
            }
        } else {
            errors.error(
                param,
                "an RPC method receives the request and, after it, only the proof (`Granted<..>`) and the caller (`Authenticated<..>`; `Option<Authenticated<..>>` in a `#[public]` method); mark an alias of them `#[proof]` or `#[caller]`",
            );
            Source::Reported
        };
        let mut param = param.clone();
        if let FnArg::Typed(typed) = &mut param {
            typed.attrs.clear();
        }
        out.push((param, source));
    }
    out
}

fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

/// The method's proto name: `#[rpc(name = "..")]`, or the Rust name in UpperCamelCase (the
/// reverse of tonic's snake_case, exact for names in the protobuf style).
fn rpc_name(method: &ImplItemFn, attrs: &[syn::Attribute], errors: &mut Errors) -> LitStr {
    for attr in attrs {
        let mut name = None;
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(NAME) {
                name = Some(meta.value()?.parse::<LitStr>()?);
                Ok(())
            } else {
                Err(meta.error("expected `#[rpc(name = \"MethodName\")]`"))
            }
        });
        match (result, name) {
            (Err(error), _) => errors.push(error),
            (Ok(()), Some(name)) => return name,
            (Ok(()), None) => errors.error(attr, "expected `#[rpc(name = \"MethodName\")]`"),
        }
    }
    let ident = method.sig.ident.to_string();
    let ident = ident.trim_start_matches("r#");
    let mut camel = String::with_capacity(ident.len());
    for word in ident.split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            camel.push(first.to_ascii_uppercase());
            camel.extend(chars);
        }
    }
    LitStr::new(&camel, method.sig.ident.span())
}

#[cfg(test)]
mod tests {
    use quote::quote;

    fn expand(item: proc_macro2::TokenStream) -> String {
        super::service(proc_macro2::TokenStream::new(), item).to_string()
    }

    #[test]
    fn a_method_without_a_rule_is_named_in_the_error() {
        let out = expand(quote! {
            impl docs_server::Docs for MyDocs {
                async fn read(&self, request: Request<Empty>) -> Result<Response<Text>, Status> {
                    todo!()
                }
            }
        });
        assert!(
            out.contains("the RPC method `read` does not declare who may call it"),
            "{out}"
        );
    }

    #[test]
    fn routes_use_the_generated_service_name_and_camel_case_methods() {
        let out = expand(quote! {
            impl docs_server::Docs for MyDocs {
                #[require(permission = "docs:read")]
                async fn say_hello(&self, request: Request<Empty>) -> Result<Response<Text>, Status> {
                    todo!()
                }
                #[rpc(name = "GetHTTPStatus")]
                #[public]
                async fn get_http_status(&self, request: Request<Empty>) -> Result<Response<Text>, Status> {
                    todo!()
                }
            }
        });
        assert!(out.contains("docs_server :: SERVICE_NAME"), "{out}");
        assert!(out.contains("\"SayHello\""), "{out}");
        assert!(out.contains("\"GetHTTPStatus\""), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn a_bare_trait_name_asks_for_the_module_or_a_name() {
        let out = expand(quote! {
            impl Docs for MyDocs {}
        });
        assert!(
            out.contains("name the service trait through the module"),
            "{out}"
        );
    }
}
