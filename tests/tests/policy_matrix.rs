//! The reports policy as code and as the reviewed Markdown matrix must agree. After a deliberate
//! policy change, regenerate the file with `AUTHZ_UPDATE_MATRIX=1 cargo test -p authz-tests
//! --test policy_matrix` and commit the diff with the change.

use authz_core::{Policy as _, matrix::render_markdown};
use authz_examples::{POLICY_MARKDOWN, reports};

#[test]
fn checked_in_matrix_matches_the_policy() {
    let rendered = render_markdown::<reports::Policy>();
    if std::env::var_os("AUTHZ_UPDATE_MATRIX").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/policy.md");
        std::fs::write(path, &rendered).expect("write examples/policy.md");
        return;
    }
    assert!(
        rendered == POLICY_MARKDOWN,
        "examples/policy.md is out of date with the policy in examples/src/lib.rs.\n\
         Regenerate it with AUTHZ_UPDATE_MATRIX=1 and review the diff.\n\nrendered:\n{rendered}"
    );
}

#[test]
fn matrix_marks_inherited_grants_with_their_origin() {
    let rendered = render_markdown::<reports::Policy>();
    assert!(
        rendered.contains(
            "| `admin` | inherited (`viewer`) | inherited (`editor`) | granted | granted |"
        )
    );
    assert!(rendered.contains("- `admin` inherits `editor`"));
}

#[test]
fn every_role_holds_its_parents_grants_and_no_more() {
    for &role in reports::Policy::ROLES {
        let expected = role
            .parents()
            .iter()
            .fold(role.direct_grants(), |acc, parent| acc | parent.grants());
        assert_eq!(role.grants(), expected, "role {role}");
    }
    assert_eq!(
        reports::Role::Admin.grants(),
        authz_core::PermissionSet::all()
    );
}
