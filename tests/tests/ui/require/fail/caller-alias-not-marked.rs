// A caller received through a type alias must be marked `#[caller]`: the macro sees the name
// `Caller`, not the type behind it, so without the mark the parameter stays a request extractor.
// Routed, the handler also gets axum's own error (the parameter is no extractor), after ours.
use authz_axum::{Router, get};
use authz_core::{Authenticated, require};

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

#[require(permission = "reports:read")]
async fn read(caller: Caller) -> String {
    caller.subject().unwrap_or_default().to_owned()
}

fn router() -> Router<authz_axum::Gate> {
    Router::new().route("/reports", get(read))
}

fn main() {}
