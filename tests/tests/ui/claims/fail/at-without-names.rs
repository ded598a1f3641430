// `at` says where names sit inside a field's value; on the subject it means nothing.
#[derive(authz_core::Claims)]
struct Claims {
    #[claims(subject, at = "id")]
    user: authz_core::claims::Nested,
}

fn main() {}
