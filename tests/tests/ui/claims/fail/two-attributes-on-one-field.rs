#[derive(authz_core::Claims)]
struct Claims {
    sub: String,
    #[claims(roles, permissions)]
    names: Vec<String>,
}

fn main() {}
