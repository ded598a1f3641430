// Extractors beside a caller and a proof received through marked aliases: the check that an
// unmarked alias is refused says nothing about them, in a generic handler too, and adds no
// warning.
#![deny(warnings)]

use authz_axum::{Router, get};
use authz_core::{Authenticated, Granted, require};
use axum::extract::{Path, State};

authz_core::policy! {
    pub mod reports {
        permissions { "reports:read" }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<reports::Policy, Token>;
type Caller = Authenticated<reports::Policy, Token>;
type CanRead = Granted<reports::perm::ReportsRead>;
/// An extractor under an alias: still extracted.
type Id = Path<u32>;

#[derive(Clone)]
struct AppState<T: Clone + Send + Sync + 'static>(T);

#[require(permission = "reports:read")]
async fn read(#[caller] caller: Caller, #[proof] _proof: CanRead, Path(id): Id) -> String {
    format!("{} {id}", caller.subject().unwrap_or_default())
}

#[require(permission = "reports:read")]
async fn generic<T: Clone + Send + Sync + 'static>(
    State(state): State<AppState<T>>,
    #[caller] _caller: Caller,
) -> &'static str {
    let _ = state.0;
    "ok"
}

fn main() {
    let _ = Router::<authz_axum::Gate>::new().route("/reports/{id}", get(read));
    let _ = generic::<u8>;
}
