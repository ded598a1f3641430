//! Policy hot paths: `contains` on a permission set, and resolving claims (4 role names and a
//! 3-name scope string) to their effective permission set. A hand-written `u64` AND in the same
//! run is the floor to compare against.
//!
//! `resolve/mapped/provider_names` resolves a token spelled as an identity provider spells it
//! (groups `Report Viewers`, scopes `Reports.Read`) through `map`s of the derive; issue 22 asks
//! it to cost at most 1.2 times the same token in the policy's own names, read by a struct
//! without maps (`resolve/mapped/plain_policy_names`) or by the mapped struct, where the names
//! miss the `match` first (`resolve/mapped/policy_names`). Criterion measures them one after
//! the other; the bench also prints the ratio of the first two measured in alternating batches
//! (`interleaved_ratio`), which a shared machine's changing load cannot skew.
//!
//! Run: `cargo bench -p authz-core --bench policy`

use std::hint::black_box;

use authz_core::claims::NameList;
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

/// The same shape as `Token`, with maps for a provider's names of every role and permission.
#[derive(Claims)]
#[claims(policy = reports::Policy)]
struct Mapped {
    sub: String,
    #[claims(
        roles,
        map = {
            "Report Viewers" => "viewer",
            "Report Editors" => "editor",
            "Report Admins" => "admin",
        },
    )]
    roles: NameList,
    #[claims(
        scope,
        map = {
            "Reports.Read" => "reports:read",
            "Reports.Write" => "reports:write",
            "Reports.Delete" => "reports:delete",
            "Reports.ReadAll" => "reports:read_any",
        },
    )]
    scope: NameList,
}

/// `Mapped` without its maps: the same token in the policy's own names, read with no `match`.
#[derive(Claims)]
struct Plain {
    sub: String,
    #[claims(roles)]
    roles: NameList,
    #[claims(scope)]
    scope: NameList,
}

/// The cost of `provider` over `plain`, measured in alternating batches and printed: criterion
/// runs one benchmark after the other, and on a shared machine the load changes between them
/// by more than the difference measured; batches taken in turn see the same load. Prints the
/// median ratio of 400 pairs of batches and its quartiles.
fn interleaved_ratio(provider: &Mapped, plain: &Plain) {
    use std::time::Instant;
    const BATCH: u32 = 2000;
    let time = |claims: &dyn Fn() -> authz_core::claims::Resolution<reports::Policy>| {
        let start = Instant::now();
        for _ in 0..BATCH {
            black_box(claims());
        }
        start.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..400)
        .map(|_| {
            let mapped = time(&|| black_box(provider).resolve::<reports::Policy>());
            let direct = time(&|| black_box(plain).resolve::<reports::Policy>());
            mapped / direct
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    eprintln!(
        "resolve/mapped: provider_names / plain_policy_names, interleaved: median {:.3} (quartiles {:.3}, {:.3})",
        ratios[200], ratios[100], ratios[300]
    );
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

    let provider = Mapped {
        sub: "alice".into(),
        roles: [
            "Report Viewers",
            "Report Editors",
            "auditor",
            "Report Admins",
        ]
        .into(),
        scope: "Reports.Read Reports.Write openid".into(),
    };
    let policy_names = Mapped {
        sub: "alice".into(),
        roles: ["viewer", "editor", "auditor", "admin"].into(),
        scope: "reports:read reports:write openid".into(),
    };
    let plain = Plain {
        sub: "alice".into(),
        roles: ["viewer", "editor", "auditor", "admin"].into(),
        scope: "reports:read reports:write openid".into(),
    };
    for other in [
        policy_names.resolve::<reports::Policy>(),
        plain.resolve::<reports::Policy>(),
    ] {
        let mapped = provider.resolve::<reports::Policy>();
        assert_eq!(
            (mapped.permissions, mapped.roles, mapped.unknown_roles),
            (other.permissions, other.roles, other.unknown_roles)
        );
    }
    interleaved_ratio(&provider, &plain);
    group.bench_function("resolve/mapped/plain_policy_names", |b| {
        b.iter(|| black_box(&plain).resolve::<reports::Policy>())
    });
    group.bench_function("resolve/mapped/provider_names", |b| {
        b.iter(|| black_box(&provider).resolve::<reports::Policy>())
    });
    group.bench_function("resolve/mapped/policy_names", |b| {
        b.iter(|| black_box(&policy_names).resolve::<reports::Policy>())
    });
    group.finish();
}

criterion_group!(benches, policy);
criterion_main!(benches);
