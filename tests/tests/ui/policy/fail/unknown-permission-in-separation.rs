authz_core::policy! {
    pub mod payments {
        permissions {
            "payments:initiate",
            "payments:approve",
        }
        separation_of_duties {
            ["payments:initiate", "payments:aprove"],
        }
    }
}

fn main() {}
