authz_core::policy! {
    pub mod reports {
        permissions {
            "reports:read",
            "reports:write",
            "reports:delete",
        }
        roles {
            "viewer" = "admin" + ["reports:read"],
            "editor" = "viewer" + ["reports:write"],
            "admin" = "editor" + ["reports:delete"],
        }
    }
}

fn main() {}
