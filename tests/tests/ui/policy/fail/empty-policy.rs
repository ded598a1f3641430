authz_core::policy! {
    pub mod reports {
        permissions {}
    }
}

fn main() {}
