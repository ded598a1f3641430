//! Resolving claims to a permission set allocates nothing: counted by dhat's global allocator.
//! The count is process-wide, so this binary has no test harness (`harness = false`): libtest's
//! main thread allocates as it tracks a test it has just started, and on a loaded machine it did
//! so inside the counted window (4 blocks, once, in CI).

use authz_core::Claims;
use authz_core::claims::NameList;
use authz_examples::reports;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

#[derive(Claims)]
struct Token {
    sub: String,
    #[claims(roles)]
    roles: Vec<String>,
    #[claims(scope)]
    scope: Option<String>,
}

/// The same names as an identity provider spells them, through maps.
#[derive(Claims)]
#[claims(policy = reports::Policy)]
struct Provider {
    sub: String,
    #[claims(roles, map = { "Report Viewers" => "viewer", "Report Admins" => "admin" })]
    groups: NameList,
    #[claims(
        scope,
        map = { "Reports.Read" => "reports:read", "reports-api/admin" => role "admin" },
    )]
    scope: NameList,
}

fn main() {
    resolution_and_checks_do_not_allocate();
    println!("test resolution_and_checks_do_not_allocate ... ok");
}

fn resolution_and_checks_do_not_allocate() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let token = Token {
        sub: "alice".into(),
        roles: ["viewer", "editor", "auditor", "admin"]
            .map(String::from)
            .to_vec(),
        scope: Some("reports:read reports:write openid".into()),
    };
    let probe = std::hint::black_box(&token);
    let provider = Provider {
        sub: "bob".into(),
        groups: ["Report Viewers", "Everyone", "Report Admins"].into(),
        scope: "Reports.Read reports-api/admin openid".into(),
    };
    let mapped = std::hint::black_box(&provider);

    let before = dhat::HeapStats::get();
    let mut granted = 0;
    for _ in 0..1000 {
        let resolved = probe.resolve::<reports::Policy>();
        granted += resolved.permissions.len() + resolved.unknown_roles as usize;
        granted += usize::from(
            resolved
                .permissions
                .contains(reports::Permission::ReportsDelete),
        );
        granted += probe.unknown_names::<reports::Policy>().count();
        granted += usize::from(probe.subject() == Some("alice"));

        let resolved = mapped.resolve::<reports::Policy>();
        granted += resolved.permissions.len() + resolved.unknown_roles as usize;
        granted += mapped.unknown_names::<reports::Policy>().count();
    }
    let after = dhat::HeapStats::get();

    // Admin's permissions + 1 unknown role + delete + 1 unknown name + subject, each round
    // (`openid` is an OpenID Connect scope, not an unknown name); then, through the maps,
    // admin's permissions + `Everyone` unknown, counted and listed.
    let per_round = reports::Role::Admin.grants().len() + 1 + 1 + 1 + 1;
    let per_round = per_round + reports::Role::Admin.grants().len() + 1 + 1;
    assert_eq!(granted, 1000 * per_round);
    assert_eq!(
        after.total_blocks - before.total_blocks,
        0,
        "resolution allocated"
    );

    // The counter does count: one String is one block.
    let s = std::hint::black_box(String::from("x"));
    assert_eq!(dhat::HeapStats::get().total_blocks - after.total_blocks, 1);
    drop(s);
}
