// A field with `at` holds a JSON value to look inside, not the names themselves.
#[derive(serde::Deserialize, authz_core::Claims)]
struct Claims {
    sub: String,
    #[claims(roles, at = "roles")]
    realm_access: Vec<String>,
}

fn main() {}
