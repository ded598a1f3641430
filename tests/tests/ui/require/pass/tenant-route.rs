// A route declared in the tenant of its path parameter: the handler asks for the proof of the
// permission it declared (not of `InTenant<..>`) and hands it to domain code that knows
// nothing of tenants; the caller it receives is the one scoped to the route's tenant.
use authz_axum::{Router, get};
use authz_core::{Authenticated, Granted, require};

authz_core::policy! {
    pub mod invoices {
        permissions { "invoices:read", "invoices:write" }
        roles { "clerk" = ["invoices:read", "invoices:write"] }
    }
}
use invoices::perm;

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<invoices::Policy, Token>;
type Caller = Authenticated<invoices::Policy, Token>;

/// Domain code that only a caller allowed to read invoices can reach.
fn list_invoices(_: &Granted<perm::InvoicesRead>, tenant: &str) -> String {
    format!("invoices of {tenant}")
}

#[require(permission = "invoices:read", tenant = "{org}")]
async fn list(#[caller] caller: Caller, proof: Granted<perm::InvoicesRead>) -> String {
    list_invoices(&proof, caller.tenant().unwrap_or_default())
}

fn main() {
    let router: Router<authz_axum::Gate> = Router::new().route("/orgs/{org}/invoices", get(list));
    let table = router.route_table().to_string();
    assert!(table.contains("permission(invoices:read) in tenant {org}"), "{table}");
    let _ = router.into_axum();
}
