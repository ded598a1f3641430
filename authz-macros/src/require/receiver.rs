//! A handler written with a `self` receiver is reported once, by the checks. The rewritten
//! handler has no receiver (the framework has no value to call it on), so a body that uses
//! `self` would add a second error, E0424, whose help is to put the receiver back: the wrong
//! fix. As tracing-attributes keeps a body it cannot rewrite precisely, the body is kept here
//! and `self` in it becomes a local of the receiver's type that is never reached, so the body
//! is still type-checked (its own mistakes are reported at its own tokens) and nothing else
//! is said about the receiver.

use proc_macro2::{Delimiter, Group, Ident, TokenStream, TokenTree};
use quote::ToTokens as _;
use syn::{Block, ItemFn, Receiver};

/// The local that stands for `self` in the body of a handler reported for its receiver.
const SELF_LOCAL: &str = "__authz_self";

/// Rewrites `function`'s body so that it no longer names `self`: `self` becomes a local of the
/// receiver's type, bound to a value that is never reached. The function is marked to allow
/// the unreachable code this makes.
pub(crate) fn replace_self(function: &mut ItemFn, receiver: &Receiver) {
    let renamed = rename(function.block.to_token_stream(), false);
    // A body that only parsed with `self` in it (a nested `impl` with its own methods) is
    // kept as it was: the receiver's error is still the first one reported.
    let Ok(mut block) = syn::parse2::<Block>(renamed) else {
        return;
    };
    let mutability = receiver.mutability;
    let ty = &receiver.ty;
    let local = Ident::new(SELF_LOCAL, receiver.self_token.span);
    block.stmts.insert(
        0,
        syn::parse_quote!(let #mutability #local: #ty = ::core::unreachable!();),
    );
    *function.block = block;
    function
        .attrs
        .push(syn::parse_quote!(#[allow(unreachable_code, unused_mut)]));
}

/// The tokens with each `self` that is a value (not a path's `self::`, not a `use` list's
/// `{self, ..}`) replaced by the local, keeping its span.
fn rename(tokens: TokenStream, in_path_list: bool) -> TokenStream {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        let path_before = i >= 2 && is_colon(&tokens[i - 1]) && is_colon(&tokens[i - 2]);
        match token {
            TokenTree::Ident(ident) if ident == "self" => {
                let path_after = tokens.get(i + 1).is_some_and(is_colon);
                if path_after || path_before || in_path_list {
                    out.push(token.clone());
                } else {
                    out.push(TokenTree::Ident(Ident::new(SELF_LOCAL, ident.span())));
                }
            }
            TokenTree::Group(group) => {
                let list = path_before && group.delimiter() == Delimiter::Brace;
                let mut inner = Group::new(group.delimiter(), rename(group.stream(), list));
                inner.set_span(group.span());
                out.push(TokenTree::Group(inner));
            }
            _ => out.push(token.clone()),
        }
    }
    out.into_iter().collect()
}

fn is_colon(token: &TokenTree) -> bool {
    matches!(token, TokenTree::Punct(p) if p.as_char() == ':')
}

#[cfg(test)]
mod tests {
    use quote::quote;

    #[test]
    fn values_are_renamed_paths_are_not() {
        let out = super::rename(
            quote!({
                use self::a::{self, b};
                self.names.join(self::SEP);
                f(self)
            }),
            false,
        )
        .to_string();
        assert_eq!(
            out,
            quote!({
                use self::a::{self, b};
                __authz_self.names.join(self::SEP);
                f(__authz_self)
            })
            .to_string()
        );
    }
}
