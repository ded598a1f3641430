authz_core::policy! {
    pub mod reports {
        permissions { "reports:read" }
        roles { "read-only" = ["reports:read"], "read_only" = ["reports:read"] }
    }
}

fn main() {}
