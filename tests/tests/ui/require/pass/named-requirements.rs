// A composite requirement declared once, as a named type, and used in all four places: in
// `#[require(...)]`, as the handler's `Granted<Name>`, in `Require<Authz, Name>`, and in a domain
// function's signature. Also: a caller received through a type alias (`#[caller]`), a proof
// whose requirement is left to inference (`Granted<_>`), a role's named requirement, a generic
// handler, and proofs weakened to what they imply.
use authz_axum::{Require, Router, get, post};
use authz_core::{AllOf, AnyOf, Authenticated, Granted, require};
use axum::extract::State;

authz_core::policy! {
    pub mod invoices {
        permissions { "invoices:read", "invoices:export", "invoices:approve", "invoices:void" }
        roles {
            "clerk" = ["invoices:read", "invoices:export"],
            "controller" = "clerk" + ["invoices:approve"],
        }
    }
}
use invoices::{perm, role};

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
    #[claims(roles)]
    roles: Vec<String>,
}

type Authz = authz_axum::Authz<invoices::Policy, Token>;
type Caller = Authenticated<invoices::Policy, Token>;

/// Read and export invoices.
type ExportInvoices = AllOf<(perm::InvoicesRead, perm::InvoicesExport)>;
/// Approve, or void, as a controller.
type Settle = AllOf<(role::Controller, AnyOf<(perm::InvoicesApprove, perm::InvoicesVoid)>)>;

/// Domain code that only a caller meeting `ExportInvoices` can reach.
fn export_csv(_: &Granted<ExportInvoices>) -> &'static str {
    "id,amount"
}

/// Domain code that needs only the read permission.
fn read(_: &Granted<perm::InvoicesRead>) -> &'static str {
    "invoice"
}

#[require(ExportInvoices)]
async fn export(proof: Granted<ExportInvoices>) -> &'static str {
    let _ = read(&proof.weaken());
    export_csv(&proof)
}

#[require(ExportInvoices, permission = "invoices:approve")]
async fn export_and_approve(proof: Granted<_>, #[caller] who: Caller) -> String {
    let exported: Granted<ExportInvoices> = proof.weaken();
    format!("{} {}", who.subject().unwrap_or_default(), export_csv(&exported))
}

#[require(role = "controller")]
async fn settle_all(proof: Granted<role::Controller>) -> &'static str {
    // A role's proof implies the permissions it grants, inherited ones included.
    let exported: Granted<ExportInvoices> = proof.weaken();
    let _: Granted<role::Clerk> = proof.weaken();
    export_csv(&exported)
}

#[require(Settle)]
async fn settle(#[proof] proof: Granted<Settle>) -> String {
    proof.rule().to_string()
}

// The extractor form of the same named requirement.
async fn export_by_extractor(guard: Require<Authz, ExportInvoices>) -> &'static str {
    export_csv(guard.granted())
}

#[derive(Clone)]
struct AppState<T: Clone + Send + Sync + 'static>(T);

#[require(permission = "invoices:read")]
async fn generic<T: Clone + Send + Sync + 'static>(State(state): State<AppState<T>>) -> &'static str {
    let _ = state.0;
    "generic"
}

fn main() {
    let router: Router<authz_axum::Gate> = Router::new()
        .route("/export", get(export))
        .route("/export-approve", post(export_and_approve))
        .route("/settle-all", post(settle_all))
        .route("/settle", post(settle))
        .route("/export2", get(export_by_extractor));
    let table = router.route_table().to_string();
    assert!(table.contains("permission(invoices:read) and permission(invoices:export)"), "{table}");
    assert!(table.contains("role(controller) and any(invoices:approve, invoices:void)"), "{table}");
    let _ = generic::<u8>;
}
