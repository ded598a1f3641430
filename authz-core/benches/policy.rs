//! Policy hot paths: `contains` on a permission set, and resolving claims (4 role names and a
//! 3-name scope string) to their effective permission set. A hand-written `u64` AND in the same
//! run is the floor to compare against.
//!
//! Run: `cargo bench -p authz-core --bench policy`

use std::hint::black_box;

use authz_core::{Claims, PermissionSet};
use criterion::{Criterion, criterion_group, criterion_main};

authz_core::policy! {
    /// The reports policy of the example application.
    pub mod reports {
        permissions { "reports:read", "reports:write", "reports:delete", "reports:read_any" }
        roles {
            "viewer" = ["reports:read"],
            "editor" = "viewer" + ["reports:write"],
            "admin" = "editor" + ["reports:delete", "reports:read_any"],
        }
    }
}

#[derive(Claims)]
struct Token {
    sub: String,
    #[claims(roles)]
    roles: Vec<String>,
    #[claims(scope)]
    scope: Option<String>,
}

fn policy(c: &mut Criterion) {
    let mut group = c.benchmark_group("policy");

    let set: PermissionSet<reports::Policy> = reports::Role::Editor.grants();
    group.bench_function("baseline/u64_and", |b| {
        let (held, needed) = (black_box(0b0011u64), black_box(0b0010u64));
        b.iter(|| black_box(held) & black_box(needed) == black_box(needed))
    });
    group.bench_function("contains", |b| {
        b.iter(|| black_box(set).contains(black_box(reports::Permission::ReportsWrite)))
    });
    // What `#[require]` does: the needed set is a constant of the handler.
    const NEEDED: PermissionSet<reports::Policy> = reports::Permission::ReportsRead
        .set()
        .union(reports::Permission::ReportsWrite.set());
    group.bench_function("is_superset", |b| {
        b.iter(|| black_box(set).is_superset(NEEDED))
    });

    let token = Token {
        sub: "alice".into(),
        roles: ["viewer", "editor", "auditor", "admin"]
            .map(String::from)
            .to_vec(),
        scope: Some("reports:read reports:write openid".into()),
    };
    group.bench_function("resolve/4_roles_3_scopes", |b| {
        b.iter(|| black_box(&token).resolve::<reports::Policy>())
    });
    group.finish();
}

criterion_group!(benches, policy);
criterion_main!(benches);
