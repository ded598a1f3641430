authz_core::policy! {
    pub mod reports {
        permissions {
            "reports:read",
            "reports:write",
        }
        roles {
            "viewer" = ["reports:read"],
            "editor" = "viewer" + ["reports:wrte"],
        }
    }
}

fn main() {}
