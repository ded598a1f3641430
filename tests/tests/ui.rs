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

/// The compiler's messages that the adapters' docs quote are the ones the `.stderr` files
/// hold (gutter, line numbers and paths aside), so that a change of wording shows here.
#[test]
fn the_quoted_errors_are_what_the_compiler_prints() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    for (doc, stderr) in [
        (
            "authz-axum/src/routing.rs",
            "tests/tests/ui/axum/fail/unprotected-route.stderr",
        ),
        (
            "authz-actix/src/routing.rs",
            "tests/tests/ui/actix/fail/unguarded-handler.stderr",
        ),
    ] {
        let doc = std::fs::read_to_string(format!("{root}/{doc}")).expect(doc);
        let printed = std::fs::read_to_string(format!("{root}/{stderr}")).expect(stderr);
        let quote: Vec<String> = doc
            .lines()
            .filter_map(|line| line.strip_prefix("//!"))
            .skip_while(|line| !line.trim_start().starts_with("error[E0277]"))
            .take_while(|line| line.trim() != "```")
            .map(normalize)
            .filter(|line| !line.is_empty())
            .collect();
        assert!(
            quote.len() >= 3,
            "no quoted error found in the docs of {stderr}"
        );
        let printed: Vec<String> = printed.lines().map(normalize).collect();
        let mut rest = printed.iter();
        for line in &quote {
            assert!(
                rest.any(|printed| printed == line),
                "the docs quote {line:?}, which {stderr} does not hold (in this order)"
            );
        }
    }
}

/// A line of compiler output without its gutter (line number and `|`).
fn normalize(line: &str) -> String {
    let line = line.trim_start();
    let line = line.trim_start_matches(|c: char| c.is_ascii_digit());
    let line = line.trim_start();
    line.strip_prefix('|').unwrap_or(line).trim().to_owned()
}
