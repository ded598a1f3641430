authz_core::policy! {
    pub mod reports {
        permissions {
            "reports",
        }
    }
}

fn main() {}
