// A handler is called by the framework, which has no `self` to give it.
use authz_core::require;

authz_core::policy! {
    pub mod invoices {
        permissions { "invoices:read" }
        roles { "clerk" = ["invoices:read"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<invoices::Policy, Token>;

struct Invoices;

impl Invoices {
    #[require(permission = "invoices:read")]
    async fn list(&self) -> &'static str {
        "invoices"
    }
}

fn main() {}
