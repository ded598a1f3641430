#[derive(authz_core::Claims)]
enum Claims {
    User { sub: String },
}

fn main() {}
