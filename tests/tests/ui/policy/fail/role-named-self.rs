authz_core::policy! {
    pub mod reports {
        permissions { "reports:read" }
        roles { "self" = ["reports:read"] }
    }
}

fn main() {}
