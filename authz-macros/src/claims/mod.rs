//! `#[derive(Claims)]`: parse, check, expand.

mod check;
mod expand;
mod parse;

use proc_macro2::TokenStream;

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = crate::errors::Errors::default();
    let attrs = parse::struct_attrs(&input, &mut errors);
    let krate = crate::tokens::core_path(attrs.krate.as_ref());
    let model =
        parse::parse(&input, &mut errors).and_then(|parsed| check::check(parsed, &mut errors));
    match model {
        Some(model) if errors.is_empty() => expand::expand(&input, &model, &attrs, &krate),
        _ => {
            let mut out = expand::fallback(&input, &krate);
            out.extend(errors.into_compile_errors());
            out
        }
    }
}
