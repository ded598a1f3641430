//! Procedural macros for authz. Use them through `authz-core`, which re-exports them and holds
//! the documentation: `authz_core::policy!`, `#[derive(authz_core::Claims)]`.
//!
//! Each macro goes through the same stages, one file each: `parse` turns tokens into a small
//! model that keeps the user's spans, `check` applies the rules and collects every error it
//! can find in one pass, `expand` generates code that names only `::authz_core::…` paths.

use proc_macro::TokenStream;

mod claims;
mod errors;
mod grpc;
mod names;
mod policy;
mod require;
mod resource;
mod tokens;

/// Declares a policy. Documented at `authz_core::policy!`.
#[proc_macro]
pub fn policy(input: TokenStream) -> TokenStream {
    policy::expand(input.into()).into()
}

/// Implements `authz_core::Claims`. Documented at `authz_core::Claims`.
#[proc_macro_derive(Claims, attributes(claims))]
pub fn derive_claims(input: TokenStream) -> TokenStream {
    claims::expand(input.into()).into()
}

/// Implements `HasOwner`, `checks::HasTenant` and `checks::HasCreator` from field attributes.
/// Documented at `authz_core::Resource`.
#[proc_macro_derive(Resource, attributes(resource))]
pub fn derive_resource(input: TokenStream) -> TokenStream {
    resource::expand(input.into()).into()
}

/// Enforces a rule before an `async fn` handler runs. Documented at `authz_core::require`.
#[proc_macro_attribute]
pub fn require(args: TokenStream, item: TokenStream) -> TokenStream {
    require::require(args.into(), item.into()).into()
}

/// Marks an `async fn` handler as callable by anyone. Documented at `authz_core::public`.
#[proc_macro_attribute]
pub fn public(args: TokenStream, item: TokenStream) -> TokenStream {
    require::public(args.into(), item.into()).into()
}

/// Makes every RPC method of a tonic service's `impl` declare `#[require(...)]` or
/// `#[public]`, and checks each call before the method's body runs. Documented at
/// `authz_tonic::service`.
#[proc_macro_attribute]
pub fn tonic_service(args: TokenStream, item: TokenStream) -> TokenStream {
    grpc::service(args.into(), item.into()).into()
}
