//! The generated code must not depend on names in the user's scope.
#![allow(dead_code, non_camel_case_types)]

struct Option;
struct Some;
struct None;
struct Result;
struct Ok;
struct Err;
struct str;
struct core;
struct std;
trait Policy {}
trait Permission {}
trait Role {}
trait Display {}
trait FromStr {}

authz_core::policy! {
    /// Shadowed.
    pub mod shadowed {
        permissions { "a:read", "a:write" }
        roles { "r" = ["a:read"], "w" = "r" + ["a:write"] }
    }
}

fn main() {
    assert!(shadowed::Role::W.grants().contains(shadowed::Permission::ARead));
    assert!(matches!(shadowed::Permission::from_name("a:write"), ::core::option::Option::Some(_)));
}
