authz_core::policy! {
    pub mod reports {
        permissions {
            "reports:read",
            "reports:write",
            "reports:read",
        }
    }
}

fn main() {}
