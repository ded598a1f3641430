//! `#[require(...)]` and `#[public]`: parse, check, expand.

pub(crate) mod check;
pub(crate) mod expand;
pub(crate) mod parse;
mod probe;
mod receiver;

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

#[cfg(test)]
mod tests {
    use quote::quote;

    fn expand(args: proc_macro2::TokenStream) -> String {
        super::require(
            args,
            quote!(
                async fn read() {}
            ),
        )
        .to_string()
    }

    // An application that reaches authz-core only through a re-export (`authz_axum::core`)
    // names it with `crate = path`; every generated path must then go through it, or the
    // handler would not compile without a direct dependency on authz-core.
    #[test]
    fn crate_path_is_used_for_every_generated_path() {
        let out = expand(quote!(
            permission = "reports:read",
            crate = authz_axum::core
        ));
        assert!(!out.contains("authz_core"), "{out}");
        assert!(
            out.contains("authz_axum :: core :: __private_0_1 :: Adapter"),
            "{out}"
        );
        assert!(out.contains("authz_axum :: core :: __private_0_1"), "{out}");

        let default = expand(quote!(permission = "reports:read"));
        assert!(
            default.contains(":: authz_core :: __private_0_1 :: Adapter"),
            "{default}"
        );
    }

    // A parameter that destructures a tuple struct cannot be the caller or the proof (braced
    // structs with private fields), so it gets no probe; any other extracted parameter does.
    #[test]
    fn probes_only_parameters_that_could_be_the_caller_or_the_proof() {
        let probed = |item: proc_macro2::TokenStream| {
            super::require(quote!(permission = "reports:read"), item)
                .to_string()
                .contains("Probe")
        };
        assert!(!probed(quote!(
            async fn read(Path(id): Path<u32>) {}
        )));
        assert!(!probed(quote!(
            async fn read((a, b): (u32, u32)) {}
        )));
        assert!(probed(quote!(
            async fn read(body: String) {}
        )));
        assert!(probed(quote!(
            async fn read(Path(id): Path<u32>, caller: Caller) {}
        )));
    }

    #[test]
    fn authz_path_names_the_adapter() {
        let out = expand(quote!(permission = "reports:read", authz = app::Authz));
        assert!(
            out.contains("< app :: Authz as :: authz_core :: __private_0_1 :: Adapter >"),
            "{out}"
        );
        assert!(!out.contains("< Authz as"), "{out}");
    }
}
