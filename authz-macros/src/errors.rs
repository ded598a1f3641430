//! Collects the errors of one macro invocation, so a user who made several mistakes sees all
//! of them at once (the shape of serde_derive's `Ctxt`).

use proc_macro2::TokenStream;

#[derive(Default)]
pub(crate) struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    pub(crate) fn error(
        &mut self,
        span: impl syn::spanned::Spanned,
        message: impl std::fmt::Display,
    ) {
        self.push(syn::Error::new(span.span(), message));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The errors as `compile_error!` invocations, each at its own span.
    pub(crate) fn into_compile_errors(self) -> TokenStream {
        self.errors
            .into_iter()
            .map(|e| e.to_compile_error())
            .collect()
    }
}
