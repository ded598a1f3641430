authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write" }
        roles { "viewer" = ["reports:read"], "editor" = "viewer" + ["reports:write"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
#[claims(policy = reports::Policy)]
struct Okta {
    #[claims(subject, map = { "x" => "reports:read" })]
    sub: String,
}

fn main() {}
