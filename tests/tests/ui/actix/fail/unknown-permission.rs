// A misspelt permission on an actix handler: the error is on the string, with the closest name.
authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write" }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_actix::Authz<reports::Policy, Token>;

#[authz_core::require(permission = "reports:wirte")]
async fn write() -> &'static str {
    "written"
}

fn routes() -> authz_actix::Routes {
    authz_actix::Routes::new().post("/reports", write)
}

fn main() {}
