// A handler that does not say who may call it: the deny-by-default `Routes` refuses it.
authz_core::policy! {
    pub mod reports {
        permissions { "reports:read" }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_actix::Authz<reports::Policy, Token>;

async fn list() -> &'static str {
    "every report"
}

#[authz_core::public]
async fn health() -> &'static str {
    "ok"
}

fn routes() -> authz_actix::Routes {
    authz_actix::Routes::new()
        .get("/health", health)
        .get("/reports", list)
}

fn main() {}
