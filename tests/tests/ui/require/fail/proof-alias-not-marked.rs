// A proof received through a type alias must be marked `#[proof]`: the macro sees the name
// `CanRead`, not the `Granted<...>` behind it.
use authz_core::{Granted, require};

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
type CanRead = Granted<reports::perm::ReportsRead>;

#[require(permission = "reports:read")]
async fn read(_proof: CanRead) -> &'static str {
    "report"
}

fn main() {}
