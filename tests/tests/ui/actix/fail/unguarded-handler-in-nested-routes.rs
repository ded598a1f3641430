// A nested group of routes is held to the same rule: its unguarded handler is refused where
// it is added, before the group is nested.
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

#[authz_core::require(permission = "reports:read")]
async fn read() -> &'static str {
    "a report"
}

async fn export() -> &'static str {
    "every report"
}

fn routes() -> authz_actix::Routes {
    let admin = authz_actix::Routes::new().get("/export", export);
    authz_actix::Routes::new()
        .get("/reports/{id}", read)
        .nest("/admin", admin)
}

fn main() {}
