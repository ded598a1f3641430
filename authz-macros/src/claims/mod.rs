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
    let model = parse::parse(&input, &mut errors)
        .and_then(|parsed| check::check(parsed, &attrs, &mut errors));
    match model {
        Some(model) if errors.is_empty() => expand::expand(&input, &model, &attrs, &krate),
        _ => {
            let mut out = expand::fallback(&input, &krate);
            out.extend(errors.into_compile_errors());
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    fn expand(input: proc_macro2::TokenStream) -> String {
        super::expand(input).to_string()
    }

    // A map's lookups go through `crate = path` too, so an application that reaches authz-core
    // only through a re-export can map names.
    #[test]
    fn mapped_names_use_the_crate_path() {
        let out = expand(quote! {
            #[claims(policy = reports::Policy, crate = authz_axum::core)]
            struct Token {
                sub: String,
                #[claims(scope, map = { "Reports.Read" => "reports:read" })]
                scp: String,
            }
        });
        assert!(!out.contains("authz_core"), "{out}");
        assert!(out.contains("fn names"), "{out}");
        assert!(
            out.contains("authz_axum :: core :: __private_0_1 :: mapped_permission_index :: < reports :: Policy >"),
            "{out}"
        );
    }

    // The lookup is passed the FNV-1a hash of the policy's name, not the provider's, and the
    // provider's string is the `match` arm.
    #[test]
    fn each_entry_is_an_arm_with_the_policy_names_hash() {
        let out = expand(quote! {
            #[claims(policy = reports::Policy)]
            struct Token {
                sub: String,
                #[claims(roles, map = { "Report Admins" => "editor", "Reports.Read.All" => permission "reports:read" })]
                roles: Vec<String>,
            }
        });
        let editor = format!("{}u64", crate::names::name_hash("editor"));
        let read = format!("{}u64", crate::names::name_hash("reports:read"));
        assert!(
            out.contains(&format!(
                "mapped_role_index :: < reports :: Policy > ({editor} , \"editor\")"
            )),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "mapped_permission_index :: < reports :: Policy > ({read} , \"reports:read\")"
            )),
            "{out}"
        );
        assert!(out.contains("\"Report Admins\" =>"), "{out}");
        assert!(out.contains("\"Reports.Read.All\" =>"), "{out}");
    }

    // Without a map, the derive keeps `Claims::names`' default.
    #[test]
    fn no_map_no_names_method() {
        let out = expand(quote! {
            #[claims(policy = reports::Policy)]
            struct Token {
                sub: String,
                #[claims(roles)]
                roles: Vec<String>,
            }
        });
        assert!(!out.contains("fn names"), "{out}");
    }
}
