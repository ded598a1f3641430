authz_core::policy! {
    pub mod payments {
        permissions { "payments:initiate", "payments:approve", "payments:audit" }
        separation_of_duties {
            ["payments:initiate", "payments:approve", "payments:audit"],
        }
    }
}

fn main() {}
