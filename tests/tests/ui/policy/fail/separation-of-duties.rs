authz_core::policy! {
    pub mod payments {
        permissions {
            "payments:read",
            "payments:initiate",
            "payments:approve",
        }
        roles {
            "reader" = ["payments:read"],
            "clerk" = "reader" + ["payments:initiate"],
            "approver" = "reader" + ["payments:approve"],
            // Holds both halves of the pair: one through `clerk`, one directly.
            "treasurer" = "clerk" + ["payments:approve"],
        }
        separation_of_duties {
            ["payments:initiate", "payments:approve"],
        }
    }
}

fn main() {}
