//! The rewritten handler must not depend on names in the user's scope.
#![allow(dead_code, non_camel_case_types)]

use authz_core::require;

struct Option;
struct Result;
struct Req;
struct Guard;
struct core;
trait Adapter {}

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

#[require(permission = "reports:read")]
async fn read() -> &'static str {
    "ok"
}

fn main() {
    let _ = authz_axum::Router::<authz_axum::Gate>::new().route("/", authz_axum::get(read));
}
