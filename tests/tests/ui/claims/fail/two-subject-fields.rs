#[derive(authz_core::Claims)]
struct Claims {
    #[claims(subject)]
    sub: String,
    #[claims(subject)]
    user_id: String,
}

fn main() {}
