authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write" }
        roles { "viewer" = ["reports:read"], "editor" = "viewer" + ["reports:write"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
#[claims(policy = reports::Policy)]
struct Okta {
    sub: String,
    #[claims(scope, map = {
        "reports.read" => "reports:read",
        "reports.write" => "reports:write",
        "reports.read" => "reports:write",
    })]
    scp: authz_core::claims::NameList,
}

fn main() {}
