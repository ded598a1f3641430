authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write" }
        roles { "viewer" = ["reports:read"], "editor" = "viewer" + ["reports:write"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
#[claims(policy = reports::Policy)]
struct Cognito {
    sub: String,
    #[claims(scope, map = { "reports-api/admin" => "editor" })]
    scope: authz_core::claims::NameList,
}

fn main() {}
