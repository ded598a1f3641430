//! Scoping a caller to its tenant from the warm copy in memory, and checking it, allocates
//! nothing, called directly or through a gate that holds the store (as a route declared in a
//! tenant does): counted by dhat's global allocator. The count is process-wide, so this binary has
//! no test harness (`harness = false`), as `tests/zero_alloc.rs` of the workspace.

mod common;

use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use authz_core::requirement::{InTenant, TenantFrom, TenantSource};
use authz_postgres::PgAssignments;
use common::*;

/// The organisation of `/orgs/{org}/...`.
struct Org;
impl TenantSource for Org {
    const FROM: TenantFrom = TenantFrom::Path("org");
}
type InOrg = InTenant<Org, perm::InvoicesWrite>;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

fn main() {
    scoping_a_caller_from_the_copy_does_not_allocate();
    println!("test scoping_a_caller_from_the_copy_does_not_allocate ... ok");
}

fn scoping_a_caller_from_the_copy_does_not_allocate() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(server());
    let tokens = Tokens::new();
    let store: PgAssignments<Policy> = runtime.block_on(async {
        let store = store(&server).await;
        store
            .grant(member("ann", "acme"), Role::Clerk)
            .await
            .unwrap();
        store
    });
    let caller = runtime.block_on(tokens.caller("ann", &[], None));
    let validated = Arc::new(caller.token().unwrap().clone());
    // The copy is trusted once the first barrier is back.
    runtime.block_on(until(
        std::time::Duration::from_secs(2),
        "current",
        || async { store.is_current() },
    ));

    let before = dhat::HeapStats::get();
    let mut granted = 0;
    for _ in 0..1000 {
        let caller = Caller::from(std::hint::black_box(&validated).clone());
        let mut scoping = pin!(caller.in_tenant(&store, "acme"));
        let Poll::Ready(scoped) = scoping
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        else {
            panic!("the copy answers without waiting");
        };
        granted += usize::from(scoped.unwrap().require::<perm::InvoicesWrite>().is_ok());
    }
    let after = dhat::HeapStats::get();
    assert_eq!(granted, 1000);
    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);

    // The same through a gate holding the store behind its one pointer, as a guard calls it.
    let gate = authz_core::Gate::new(tokens.validator_with_cache()).assignments(store.clone());
    let before = dhat::HeapStats::get();
    let mut granted = 0;
    for _ in 0..1000 {
        let caller = Caller::from(std::hint::black_box(&validated).clone());
        let mut checking = pin!(gate.authorize_route::<InOrg, Token>(
            caller,
            |_| Some("acme"),
            "/orgs/{org}/invoices"
        ));
        let Poll::Ready(checked) = checking
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        else {
            panic!("the copy answers without waiting");
        };
        let (scoped, _proof) = checked.unwrap();
        granted += usize::from(scoped.tenant() == Some("acme"));
    }
    let after = dhat::HeapStats::get();
    assert_eq!(granted, 1000);
    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);
    drop(gate);
    drop(store);
    drop(server);
}
