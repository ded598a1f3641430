//! The generated impl must not depend on names in the user's scope.
#![allow(dead_code, non_camel_case_types)]

struct Option;
struct Some;
struct None;
struct Result;
struct Iterator;
struct str;
struct core;
trait Claims {}
trait SubjectField {}

#[derive(authz_core::Claims)]
struct Token {
    sub: String,
    #[claims(roles)]
    roles: Vec<String>,
}

fn main() {
    let t = Token { sub: String::from("a"), roles: Vec::new() };
    assert_eq!(authz_core::Claims::subject(&t), ::std::option::Option::Some("a"));
}
