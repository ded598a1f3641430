authz_core::policy! {
    pub mod reports {
        permissions {
            "reports:read",
        }
        roles {
            "viewer" = "viewer" + ["reports:read"],
        }
    }
}

fn main() {}
