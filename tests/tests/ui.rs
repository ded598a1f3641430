//! Compile-time checks: every mistake the macros catch has a case here whose `.stderr` shows the
//! message a user gets. Regenerate with `TRYBUILD=overwrite cargo test -p authz-tests --test ui`
//! and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/policy/pass/*.rs");
    t.compile_fail("tests/ui/policy/fail/*.rs");
    t.pass("tests/ui/claims/pass/*.rs");
    t.compile_fail("tests/ui/claims/fail/*.rs");
    t.pass("tests/ui/require/pass/*.rs");
    t.compile_fail("tests/ui/require/fail/*.rs");
    t.pass("tests/ui/axum/pass/*.rs");
    t.compile_fail("tests/ui/axum/fail/*.rs");
    t.compile_fail("tests/ui/actix/fail/*.rs");
    t.pass("tests/ui/resource/pass/*.rs");
    t.compile_fail("tests/ui/resource/fail/*.rs");
}
