authz_core::policy! {
    pub mod reports {
        permissions {
            "Reports:Read",
        }
    }
}

fn main() {}
