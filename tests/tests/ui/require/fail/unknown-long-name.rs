// A name that shares its first 32 bytes and its length with a declared one is still unknown.
authz_core::policy! {
    pub mod long {
        permissions { "a-permission-name-over-32-bytes:read" }
        roles { "a-role-name-that-runs-past-32-bytes:one" = ["a-permission-name-over-32-bytes:read"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<long::Policy, Token>;

#[authz_core::require(permission = "a-permission-name-over-32-bytes:reed")]
async fn read() {}

#[authz_core::require(role = "a-role-name-that-runs-past-32-bytes:on3")]
async fn one() {}

fn main() {}
