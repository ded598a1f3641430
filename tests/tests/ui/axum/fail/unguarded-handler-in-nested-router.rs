// An unguarded handler in a router that is then nested: refused where it is routed, so nesting
// cannot smuggle it in.
use authz_axum::{Router, get};
use authz_core::public;

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

#[public]
async fn health() -> &'static str {
    "ok"
}

async fn export_everything() -> &'static str {
    "all invoices"
}

fn main() {
    let admin: Router<authz_axum::Gate> = Router::new().route("/export", get(export_everything));
    let _app = Router::new().route("/health", get(health)).nest("/admin", admin);
}
