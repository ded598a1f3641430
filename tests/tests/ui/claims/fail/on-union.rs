#[derive(authz_core::Claims)]
union Token {
    sub: u64,
}

fn main() {}
