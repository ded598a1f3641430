//! The generated `names` must not depend on names in the user's scope, and a generic claims
//! struct may have a map.
#![allow(dead_code, non_camel_case_types)]

use authz_core::Claims as _;

authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write" }
        roles { "viewer" = ["reports:read"], "editor" = "viewer" + ["reports:write"] }
    }
}

struct Option;
struct Some;
struct None;
struct Iterator;
struct Name;
struct Policy;
struct Index;
struct str;
struct core;
trait Claims {}

// Not `serde::Deserialize`: serde's derive itself needs the primitive `str` in scope.
#[derive(authz_core::Claims)]
#[claims(policy = reports::Policy)]
struct Token<T> {
    sub: String,
    #[claims(roles, map = { "Report Admins" => "editor", "Reports.Read.All" => permission "reports:read" })]
    roles: authz_core::claims::NameList,
    #[claims(scope, map = { "reports-api/admin" => role "editor" })]
    scope: authz_core::claims::NameList,
    #[claims(permissions, map = { "read:reports" => "reports:read" })]
    permissions: Vec<String>,
    extra: T,
}

fn main() {
    let token = Token {
        sub: String::from("a"),
        roles: authz_core::claims::NameList::from("Reports.Read.All"),
        scope: authz_core::claims::NameList::EMPTY,
        permissions: vec![String::from("read:reports")],
        extra: 1u8,
    };
    let resolved = token.resolve::<reports::Policy>();
    assert_eq!(resolved.permissions.to_string(), "reports:read");
    assert_eq!(
        (resolved.unknown_roles, resolved.unknown_permissions),
        (0, 0)
    );
}
