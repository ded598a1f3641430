// An application's own extractor claims to be a guard for `documents:write`, checks nothing,
// and would be printed in the route table as that rule. The seal refuses it.
use authz_actix::{Access, RouteGuard};

authz_core::policy! {
    pub mod documents {
        permissions { "documents:read", "documents:write" }
    }
}

struct LooksLikeAGuard;

impl actix_web::FromRequest for LooksLikeAGuard {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;
    fn from_request(_: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(LooksLikeAGuard))
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

fn routes() -> authz_actix::Routes {
    authz_actix::Routes::new().post("/documents", write)
}

fn main() {}
