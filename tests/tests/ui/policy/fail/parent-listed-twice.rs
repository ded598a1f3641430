authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write" }
        roles {
            "viewer" = ["reports:read"],
            "editor" = "viewer" + "viewer" + ["reports:write"],
        }
    }
}

fn main() {}
