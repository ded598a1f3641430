authz_core::policy! {
    pub mod reports {
        // Both would be the type `perm::ReportsReadAll`.
        permissions { "reports:read_all", "reports:read-all" }
    }
}

fn main() {}
