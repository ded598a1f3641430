//! Memory per assignment in the copy of [`PgAssignments`], counted by dhat's global allocator:
//! the heap in use after loading 100,000 assignments (100 tenants of 1,000 members, one role
//! each) from a real PostgreSQL cluster, less the heap in use before, divided by the count.
//! (The load time is the criterion figure `load/1000000` of the `assignments` bench: dhat
//! slows this one.)
//!
//! Run: `cargo bench -p authz-postgres --bench memory`

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use authz_postgres::PgAssignments;
use common::*;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// 100,000 rather than 1,000,000: dhat records a backtrace per allocation, which makes a load of
/// a million rows take minutes. The copy's size is linear in its entries.
const COUNT: usize = 100_000;

fn main() {
    // `cargo test --benches` runs bench binaries with `--test`: nothing to check here.
    if std::env::args().any(|a| a == "--test") {
        return;
    }
    let _profiler = dhat::Profiler::builder().testing().build();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = server().await;
        sql(&server)
            .await
            .batch_execute(&format!(
                "INSERT INTO authz_role_assignments (issuer, subject, tenant, role) \
                 SELECT 'https://id.example', 'user' || i, 'org' || (i % 100), 'viewer' \
                 FROM generate_series(1, {COUNT}) AS i"
            ))
            .await
            .unwrap();
        let before = dhat::HeapStats::get().curr_bytes;
        let started = Instant::now();
        let options = authz_postgres::Options::default().load_timeout(Duration::from_secs(600));
        let store = PgAssignments::<Policy>::connect_with(&server.config(), options)
            .await
            .unwrap();
        let took = started.elapsed();
        assert_eq!(store.members(), COUNT);
        // Let the load's buffers go before counting.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after = dhat::HeapStats::get().curr_bytes;
        println!(
            "memory/{COUNT}: {} bytes in use for {COUNT} assignments: {:.1} bytes each; loaded in {took:?}",
            after - before,
            (after - before) as f64 / COUNT as f64
        );
        drop(store);
        tokio::task::spawn_blocking(move || drop(server)).await.unwrap();
    });
}
