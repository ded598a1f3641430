#[derive(authz_core::Claims)]
struct Claims {
    user: String,
    #[claims(roles)]
    roles: Vec<String>,
}

fn main() {}
