#[derive(authz_core::Claims)]
struct Claims {
    sub: String,
    #[claims(roles)]
    role: String,
}

fn main() {}
