// Two independent mistakes in one policy: exactly two errors.
authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write" }
        roles {
            "viewer" = ["reports:raed"],
            "editor" = "veiwer" + ["reports:write"],
        }
    }
}

fn main() {}
