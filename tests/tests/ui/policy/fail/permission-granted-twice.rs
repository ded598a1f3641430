authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write" }
        roles {
            "editor" = ["reports:read", "reports:write", "reports:read"],
        }
    }
}

fn main() {}
