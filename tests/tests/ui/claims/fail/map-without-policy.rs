authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write" }
        roles { "viewer" = ["reports:read"], "editor" = "viewer" + ["reports:write"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Okta {
    sub: String,
    #[claims(scope, map = { "reports.read" => "reports:read" })]
    scp: authz_core::claims::NameList,
}

fn main() {}
