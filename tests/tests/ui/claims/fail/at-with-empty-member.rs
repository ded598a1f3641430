#[derive(serde::Deserialize, authz_core::Claims)]
struct Claims {
    sub: String,
    #[claims(roles, at = "reports-api..roles")]
    resource_access: Option<authz_core::claims::Nested>,
}

fn main() {}
