// Handlers as associated functions of an `impl` block, as services group them, with the proof
// and the caller received; routed on the deny-by-default router.
use authz_axum::{Router, get, post};
use authz_core::{Authenticated, Granted, public, require};

authz_core::policy! {
    pub mod invoices {
        permissions { "invoices:read", "invoices:write" }
        roles { "clerk" = ["invoices:read", "invoices:write"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<invoices::Policy, Token>;

struct Invoices;

impl Invoices {
    #[public]
    async fn health() -> &'static str {
        "ok"
    }

    #[require(permission = "invoices:read")]
    pub async fn list(caller: Authenticated<invoices::Policy, Token>) -> String {
        caller.subject().unwrap_or_default().to_owned()
    }

    #[require(permission = "invoices:write")]
    async fn create(_proof: Granted<invoices::perm::InvoicesWrite>) -> &'static str {
        "created"
    }

    fn router() -> Router<authz_axum::Gate> {
        Router::new()
            .route("/health", get(Self::health))
            .route("/invoices", get(Self::list).post(Invoices::create))
    }
}

fn main() {
    let _ = Invoices::router();
    let _ = post(Invoices::create);
}
