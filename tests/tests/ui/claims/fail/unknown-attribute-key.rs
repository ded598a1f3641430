#[derive(authz_core::Claims)]
struct Claims {
    sub: String,
    #[claims(role)]
    roles: Vec<String>,
}

fn main() {}
