authz_core::policy! {
    pub mod reports {
        permissions {
            "reports:read",
        }
        roles {
            "viewer" = ["reports:read"],
            "viewer" = ["reports:read"],
        }
    }
}

fn main() {}
