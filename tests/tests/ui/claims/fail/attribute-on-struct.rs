#[derive(serde::Deserialize, authz_core::Claims)]
#[claims(subject)]
struct Token {
    sub: String,
}

fn main() {}
