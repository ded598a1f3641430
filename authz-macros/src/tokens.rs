//! Token helpers shared by the macros: the path of `authz_core`, and re-spanning generated
//! tokens onto the user's.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::quote;

/// The path generated code names `authz_core` by: `crate = path` when given (an application
/// that reaches it through a re-export, `authz_axum::core`), else `::authz_core`.
pub(crate) fn core_path(krate: Option<&syn::Path>) -> TokenStream {
    match krate {
        Some(path) => quote!(#path),
        None => quote!(::authz_core),
    }
}

/// The tokens with every span set to `span`, groups included.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}
