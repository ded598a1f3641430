// A handler is called by the framework, which has no `self` to give it: one error, even when the
// body uses `self` (no second error suggesting to add the receiver back).
use authz_core::require;

authz_core::policy! {
    pub mod invoices {
        permissions { "invoices:read" }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<invoices::Policy, Token>;

struct Invoices {
    names: Vec<String>,
}

impl Invoices {
    #[require(permission = "invoices:read")]
    async fn list(&self) -> String {
        self.names.join(",")
    }
}

fn main() {}
