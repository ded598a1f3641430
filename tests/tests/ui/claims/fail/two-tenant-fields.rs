#[derive(authz_core::Claims)]
struct Claims {
    sub: String,
    #[claims(tenant)]
    tid: String,
    #[claims(tenant)]
    org: String,
}

fn main() {}
