authz_core::policy! {
    pub mod reports {
        permissions {
            "reports:read",
            "reports:write",
        }
        roles {
            "viewer" = ["reports:read"],
            "editor" = "veiwer" + ["reports:write"],
        }
    }
}

fn main() {}
