// Permission and role names longer than 32 bytes: the lookups compare a name's first 32 bytes
// as integers and the rest byte by byte, so names that share their first 32 bytes and their
// length must still each find their own type (a wrong one would not match the proof's type).
use authz_axum::{Router, get};
use authz_core::{Granted, require};

authz_core::policy! {
    pub mod long {
        permissions {
            "a-permission-name-over-32-bytes:read",
            "a-permission-name-over-32-bytes:rite",
        }
        roles {
            "a-role-name-that-runs-past-32-bytes:one" = ["a-permission-name-over-32-bytes:read"],
            "a-role-name-that-runs-past-32-bytes:two" = ["a-permission-name-over-32-bytes:rite"],
        }
    }
}
use long::{perm, role};

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
    #[claims(roles)]
    roles: Vec<String>,
}

type Authz = authz_axum::Authz<long::Policy, Token>;

#[require(permission = "a-permission-name-over-32-bytes:read")]
async fn read(_: Granted<perm::APermissionNameOver32BytesRead>) {}

#[require(permission = "a-permission-name-over-32-bytes:rite")]
async fn write(_: Granted<perm::APermissionNameOver32BytesRite>) {}

#[require(role = "a-role-name-that-runs-past-32-bytes:one")]
async fn one(_: Granted<role::ARoleNameThatRunsPast32BytesOne>) {}

#[require(role = "a-role-name-that-runs-past-32-bytes:two")]
async fn two(_: Granted<role::ARoleNameThatRunsPast32BytesTwo>) {}

fn main() {
    let _: axum::Router<authz_axum::Gate> = Router::new()
        .route("/read", get(read))
        .route("/write", get(write))
        .route("/one", get(one))
        .route("/two", get(two))
        .into_axum();
}
