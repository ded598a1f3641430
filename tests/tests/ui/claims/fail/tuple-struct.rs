#[derive(authz_core::Claims)]
struct Claims(String, Vec<String>);

fn main() {}
