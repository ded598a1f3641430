// Every attribute, generics, and a user's own `Option`/`Result` that must not confuse the
// generated code.
#![allow(dead_code)]
use std::sync::Arc;

type Option<T> = std::result::Result<T, ()>;

#[derive(authz_core::Resource)]
struct Invoice<'a, B> {
    #[resource(owner)]
    owner: Arc<str>,
    #[resource(owner_issuer)]
    owner_iss: std::option::Option<String>,
    #[resource(tenant)]
    tenant: &'a str,
    #[resource(creator)]
    created_by: Box<str>,
    #[resource(creator_issuer)]
    created_iss: String,
    body: B,
}

fn main() {
    use authz_core::HasOwner;
    use authz_core::checks::{HasCreator, HasTenant};
    let invoice = Invoice {
        owner: Arc::from("ann"),
        owner_iss: Some("https://a".into()),
        tenant: "acme",
        created_by: "bob".into(),
        created_iss: "https://a".into(),
        body: (),
    };
    assert_eq!(invoice.owner(), "ann");
    assert_eq!(invoice.owner_issuer(), Some("https://a"));
    assert_eq!(invoice.owner_tenant(), Some("acme"));
    assert_eq!(HasTenant::tenant(&invoice), "acme");
    assert_eq!(invoice.creator(), "bob");
    assert_eq!(invoice.creator_issuer(), Some("https://a"));
}
