#[derive(authz_core::Claims)]
struct Claims {
    sub: String,
    #[claims(scope)]
    scope: Vec<String>,
}

fn main() {}
