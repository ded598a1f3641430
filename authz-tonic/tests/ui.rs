//! Compile-time checks of `#[authz_tonic::service]`: each `.stderr` is the message a user
//! gets. Regenerate with `TRYBUILD=overwrite cargo test -p authz-tonic --test ui` and review
//! the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/service/pass/*.rs");
    t.compile_fail("tests/ui/service/fail/*.rs");
}
