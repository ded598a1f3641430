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
    out.extend(errors.into_compile_errors());
    out
}
