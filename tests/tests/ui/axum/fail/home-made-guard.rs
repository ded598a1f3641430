// An application's own extractor claims to be a guard for `documents:write`, checks nothing,
// and would be printed in the route table as that rule. The seal refuses it.
use authz_axum::{Access, RouteGuard};

authz_core::policy! {
    pub mod documents {
        permissions { "documents:read", "documents:write" }
    }
}

struct LooksLikeAGuard;

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for LooksLikeAGuard {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        _: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(LooksLikeAGuard)
    }
}

impl RouteGuard for LooksLikeAGuard {
    fn access() -> Access {
        Access::Rule(authz_core::Rule::Permission("documents:write"))
    }
}

async fn write(_: LooksLikeAGuard) -> &'static str {
    "written"
}

fn app() -> authz_axum::Router {
    authz_axum::Router::new().route("/documents", authz_axum::post(write))
}

fn main() {}
