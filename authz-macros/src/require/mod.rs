//! `#[require(...)]` and `#[public]`: parse, check, expand.

mod check;
mod expand;
mod parse;

use proc_macro2::TokenStream;

pub(crate) fn require(args: TokenStream, item: TokenStream) -> TokenStream {
    guard(parse::Kind::Require, args, item)
}

pub(crate) fn public(args: TokenStream, item: TokenStream) -> TokenStream {
    guard(parse::Kind::Public, args, item)
}

fn guard(kind: parse::Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = crate::errors::Errors::default();
    let function = match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            // Not a function we can rewrite: give the item back untouched beside the error, so
            // the user sees this one error and not a cascade from a vanished item.
            let mut out = item;
            out.extend(error.to_compile_error());
            return out;
        }
    };
    let args = parse::parse_args(kind, args, &mut errors);
    let rule = check::check(kind, &args, &function, &mut errors);
    // With errors, the handler is still emitted with a guard, so that each mistake is
    // reported once, here, and not again by the router that cannot route an unguarded handler.
    let valid = errors.is_empty();
    let mut out = expand::expand(&args, &rule, function, valid);
    out.extend(errors.into_compile_errors());
    out
}
