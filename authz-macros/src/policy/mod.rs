//! `policy!`: parse, check, expand.

mod check;
mod expand;
mod parse;

use proc_macro2::TokenStream;

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<parse::PolicyInput>(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let (model, errors) = check::check(&input);
    let mut out = expand::expand(&input, &model);
    if input.syntax_errors.is_empty() {
        out.extend(errors.into_compile_errors());
    } else {
        // The checks run on what parsed, so a skipped entry would read as a missing one
        // ("unknown permission" where the declaration was malformed): syntax first, as rustc
        // does; the checks speak once it parses.
        out.extend(input.syntax_errors.iter().map(syn::Error::to_compile_error));
    }
    out
}
