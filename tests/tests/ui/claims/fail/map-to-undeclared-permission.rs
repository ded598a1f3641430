authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write" }
        roles { "viewer" = ["reports:read"], "editor" = "viewer" + ["reports:write"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
#[claims(policy = reports::Policy)]
struct Entra {
    sub: String,
    #[claims(scope, map = { "Reports.Read" => "reports:raed", "Reports.Write" => "reports:write" })]
    scp: authz_core::claims::NameList,
}

fn main() {}
