// A service composed the way real ones are: nested and merged routers, a guarded fallback, a
// layer, a route layer, state, and a service behind an explicit guard. Everything compiles
// because every handler declares who may call it.

use authz_axum::{Gate, Public, Require, Router, get};
use authz_core::{Granted, public, require};
use axum::extract::{Request, State};
use axum::response::Response;

authz_core::policy! {
    pub mod invoices {
        permissions { "invoices:read", "invoices:write", "invoices:admin" }
        roles { "clerk" = ["invoices:read", "invoices:write"], "admin" = "clerk" + ["invoices:admin"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<invoices::Policy, Token>;

#[derive(Clone)]
struct AppState {
    authz: Gate,
    name: &'static str,
}

impl axum::extract::FromRef<AppState> for Gate {
    fn from_ref(state: &AppState) -> Self {
        state.authz.clone()
    }
}

#[require(permission = "invoices:read")]
async fn list(State(state): State<AppState>) -> &'static str {
    state.name
}

#[require(permission = "invoices:write")]
async fn create(_proof: Granted<invoices::perm::InvoicesWrite>) -> &'static str {
    "created"
}

#[require(role = "admin")]
async fn audit() -> &'static str {
    "audit"
}

#[public]
async fn health() -> &'static str {
    "ok"
}

#[public]
async fn not_found() -> (axum::http::StatusCode, &'static str) {
    (axum::http::StatusCode::NOT_FOUND, "no such page")
}

async fn stamp(response: Response) -> Response {
    response
}

fn app(authz: Gate) -> axum::Router {
    let admin = Router::new()
        .route("/audit", get(audit))
        .route_service::<Require<Authz, invoices::perm::InvoicesAdmin>>(
            "/metrics",
            tower::service_fn(|_: Request| async { Ok::<_, std::convert::Infallible>("0") }),
        );
    let api = Router::new()
        .route("/invoices", get(list).post(create))
        .nest("/admin", admin);
    let router: Router<AppState> = Router::new()
        .route("/health", get(health))
        .merge(api)
        .nest_service::<Public<Authz>>(
            "/static",
            tower::service_fn(|_: Request| async { Ok::<_, std::convert::Infallible>("file") }),
        )
        .fallback(not_found)
        .route_layer(axum::middleware::map_response(stamp))
        .layer(axum::middleware::map_response(stamp));
    router
        .with_state(AppState { authz, name: "invoices" })
        .into_axum()
}

fn main() {
    let _ = app;
}
