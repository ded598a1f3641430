authz_core::policy! {
    pub mod reports {
        permissions { "reports:read" }
        roles { "1st line support" = ["reports:read"] }
    }
}

fn main() {}
