//! Figures of issue 25, against a real PostgreSQL cluster started by the bench
//! (`testing::PgServer`):
//!
//! - `resolve/token_roles`: a validated token whose roles are in the token (`["clerk"]`),
//!   resolved into a caller and checked (`require`): the baseline.
//! - `resolve/stored_roles`: a token that only authenticates, its `clerk` role stored in
//!   PostgreSQL: resolved, scoped to its tenant with `in_tenant` from the warm copy in memory
//!   (10,000 members loaded), and checked. The goal: within 1.5 times the baseline.
//! - `resolve/parts/...`: the two halves of `stored_roles`: the token alone, and the lookup in
//!   the copy alone.
//! - `request/token_roles` and `request/stored_roles`: what a request costs the gate, in
//!   process: the bearer header read, the verified-token cache hit, the caller resolved and
//!   (for the second) scoped to the route's tenant `{org}` through `Gate::assignments`, and
//!   the route's requirement checked with its audit event, as an adapter's guard does it
//!   (`Gate::authenticate` then `Gate::authorize_route`).
//! - `load/1000000`: `PgAssignments::connect` on a table of 1,000,000 assignments, to the end of
//!   the first load.
//! - `propagation/revoke`: from asking one instance to revoke a membership until another
//!   refuses it; the bench also
//!   prints p50 and p99 over every revocation it timed.
//!
//! Run: `cargo bench -p authz-postgres --bench assignments`

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use authz_core::assignments::TenantError;
use authz_core::requirement::{InTenant, TenantFrom, TenantSource};
use authz_core::{Authenticated, Gate};
use authz_postgres::PgAssignments;
use common::*;
use criterion::{Criterion, criterion_group, criterion_main};

/// Polls a future that the warm copy answers at once; never waits.
fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the copy in memory answers without waiting"),
    }
}

/// The organisation of `/orgs/{org}/...`.
struct Org;
impl TenantSource for Org {
    const FROM: TenantFrom = TenantFrom::Path("org");
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(server());
    let config = server.config();
    let tokens = Tokens::new();

    // 10,000 members in 100 tenants, and the caller.
    runtime.block_on(async {
        sql(&server)
            .await
            .batch_execute(
                "INSERT INTO authz_role_assignments (issuer, subject, tenant, role) \
                 SELECT 'https://id.example', 'user' || i, 'org' || (i % 100), 'viewer' \
                 FROM generate_series(1, 10000) AS i; \
                 INSERT INTO authz_role_assignments (issuer, subject, tenant, role) \
                 VALUES ('https://id.example', 'ann', 'acme', 'clerk')",
            )
            .await
            .unwrap();
    });
    let store: PgAssignments<Policy> = runtime.block_on(PgAssignments::connect(&config)).unwrap();
    let token_roles = Arc::new(runtime.block_on(validated(&tokens, &["clerk"])));
    let token_only = Arc::new(runtime.block_on(validated(&tokens, &[])));
    assert!(store.is_current());

    let mut group = c.benchmark_group("resolve");
    group.bench_function("token_roles", |b| {
        b.iter(|| {
            let caller = Caller::from(black_box(&token_roles).clone());
            black_box(caller.require::<perm::InvoicesWrite>().is_ok())
        })
    });
    group.bench_function("stored_roles", |b| {
        b.iter(|| {
            let caller = Caller::from(black_box(&token_only).clone());
            let scoped = now(caller.into_tenant(&store, black_box("acme"))).unwrap();
            black_box(scoped.require::<perm::InvoicesWrite>().is_ok())
        })
    });
    // Its parts: the token without roles alone, and the lookup in the copy alone.
    group.bench_function("parts/token_without_roles", |b| {
        b.iter(|| {
            let caller = Caller::from(black_box(&token_only).clone());
            black_box(caller.require::<perm::InvoicesWrite>().is_ok())
        })
    });
    group.bench_function("parts/lookup", |b| {
        b.iter(|| {
            let found = now(authz_core::assignments::Assignments::membership(
                &store,
                black_box(member("ann", "acme")),
            ));
            black_box(found.unwrap().is_some())
        })
    });
    group.finish();

    // The same two callers through a gate, as a request meets them.
    let gate_plain = Gate::new(tokens.validator_with_cache()).realm("invoices");
    let gate_stored = gate_plain.clone().assignments(store.clone());
    let with_roles = format!("Bearer {}", tokens.token("ann", &["clerk"], None));
    let without_roles = format!("Bearer {}", tokens.token("ann", &[], None));
    type InOrg = InTenant<Org, perm::InvoicesWrite>;
    let request = |gate: &Gate, header: &str, scoped: bool| {
        now(async {
            let caller: Caller = gate
                .authenticate([header.as_bytes()], "/orgs/{org}/invoices")
                .await
                .unwrap();
            if scoped {
                gate.authorize_route::<InOrg, Token>(
                    caller,
                    |_| Some("acme"),
                    "/orgs/{org}/invoices",
                )
                .await
                .is_ok()
            } else {
                gate.authorize_route::<perm::InvoicesWrite, Token>(caller, |_| None, "/invoices")
                    .await
                    .is_ok()
            }
        })
    };
    assert!(request(&gate_plain, &with_roles, false));
    assert!(request(&gate_stored, &without_roles, true));
    assert!(
        !request(&gate_stored, &without_roles, false),
        "no roles outside the tenant"
    );
    let mut group = c.benchmark_group("request");
    group.bench_function("token_roles", |b| {
        b.iter(|| black_box(request(&gate_plain, black_box(&with_roles), false)))
    });
    group.bench_function("stored_roles", |b| {
        b.iter(|| black_box(request(&gate_stored, black_box(&without_roles), true)))
    });
    group.finish();

    // 1,000,000 assignments: 1,000 tenants of 1,000 members.
    runtime.block_on(async {
        sql(&server)
            .await
            .batch_execute(
                "TRUNCATE authz_role_assignments; \
                 INSERT INTO authz_role_assignments (issuer, subject, tenant, role) \
                 SELECT 'https://id.example', 'user' || i, 'org' || (i % 1000), \
                        (ARRAY['viewer', 'clerk', 'admin'])[1 + i % 3] \
                 FROM generate_series(1, 1000000) AS i",
            )
            .await
            .unwrap();
    });
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("1000000", |b| {
        b.to_async(&runtime).iter(|| async {
            let store = PgAssignments::<Policy>::connect(&config).await.unwrap();
            assert_eq!(store.members(), 1_000_000);
            store
        })
    });
    group.finish();
    runtime.block_on(async {
        sql(&server)
            .await
            .batch_execute("TRUNCATE authz_role_assignments")
            .await
            .unwrap();
    });

    // Two instances, one database; timeouts for a loaded machine (what is measured is the
    // push, not the bound).
    let slow = authz_postgres::Options::default().timeout(Duration::from_secs(3));
    let (a, b) = runtime.block_on(async {
        (
            PgAssignments::<Policy>::connect_with(&config, slow.clone())
                .await
                .unwrap(),
            PgAssignments::<Policy>::connect_with(&config, slow.clone())
                .await
                .unwrap(),
        )
    });
    let ann = runtime.block_on(tokens.caller("ann", &[], None));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let mut group = c.benchmark_group("propagation");
    group.sample_size(20);
    group.bench_function("revoke", |bench| {
        bench.to_async(&runtime).iter_custom(|iterations| {
            let (a, b, ann, samples) = (&a, &b, &ann, samples.clone());
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    a.grant(member("ann", "acme"), Role::Viewer).await.unwrap();
                    while ann.in_tenant(b, "acme").await.is_err() {
                        tokio::task::yield_now().await;
                    }
                    // From the moment A is asked to revoke (its DELETE and its own re-read
                    // included) until B refuses.
                    let started = Instant::now();
                    a.revoke(member("ann", "acme"), Role::Viewer).await.unwrap();
                    while !matches!(ann.in_tenant(b, "acme").await, Err(TenantError::Denied(_))) {
                        tokio::task::yield_now().await;
                    }
                    let took = started.elapsed();
                    samples.lock().unwrap().push(took);
                    total += took;
                }
                total
            }
        })
    });
    group.finish();
    let mut samples = samples.lock().unwrap().clone();
    samples.sort();
    if !samples.is_empty() {
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        println!(
            "propagation/revoke: {} revocations, p50 {:?}, p99 {:?}, max {:?}",
            samples.len(),
            at(0.50),
            at(0.99),
            samples[samples.len() - 1]
        );
    }
    drop((a, b, store));
    drop(server);
}

async fn validated(tokens: &Tokens, roles: &[&str]) -> authz_core::token::Validated<Token> {
    let caller: Authenticated<Policy, Token> = tokens.caller("ann", roles, None).await;
    caller.token().unwrap().clone()
}

criterion_group!(benches, bench);
criterion_main!(benches);
