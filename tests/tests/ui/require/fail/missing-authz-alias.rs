authz_core::policy! {
    pub mod reports {
        permissions { "reports:read" }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

// No `type Authz = ...;` in scope.
#[authz_core::require(permission = "reports:read")]
async fn read() {}

fn main() {}
