//! One resolution at a time, for an instruction count under callgrind (repeatable on a loaded
//! machine, where timings are not). The four ways `benches/assignments.rs` times, against a
//! throwaway PostgreSQL cluster holding 10,000 members and the caller:
//!
//! ```text
//! cargo build --release -p authz-postgres --example resolve_profile
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='resolve_profile::measured*' \
//!     target/release/examples/resolve_profile stored_roles 10000
//! ```
//!
//! Modes: `token_roles`, `stored_roles` (a caller from a validated token, checked; the second
//! scoped to its tenant from the copy first), `request_token`, `request_stored` (the same
//! through a gate with the verified-token cache on, as an adapter's guard calls it). Divide
//! the instructions callgrind counts by the iterations.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use authz_core::Gate;
use authz_core::requirement::{InTenant, TenantFrom, TenantSource};
use authz_postgres::PgAssignments;
use common::*;

/// The organisation of `/orgs/{org}/...`.
struct Org;
impl TenantSource for Org {
    const FROM: TenantFrom = TenantFrom::Path("org");
}

/// Polls a future that the warm copy answers at once.
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

struct Setup {
    store: PgAssignments<Policy>,
    token_roles: Arc<authz_core::token::Validated<Token>>,
    token_only: Arc<authz_core::token::Validated<Token>>,
    gate_plain: Gate,
    gate_stored: Gate,
    with_roles: String,
    without_roles: String,
}

#[inline(never)]
fn measured(setup: &Setup, mode: &str, iterations: u32) -> u32 {
    let mut passed = 0;
    for _ in 0..iterations {
        let ok = match mode {
            "token_roles" => {
                let caller = Caller::from(black_box(&setup.token_roles).clone());
                caller.require::<perm::InvoicesWrite>().is_ok()
            }
            "stored_roles" => {
                let caller = Caller::from(black_box(&setup.token_only).clone());
                let scoped = now(caller.into_tenant(&setup.store, black_box("acme"))).unwrap();
                scoped.require::<perm::InvoicesWrite>().is_ok()
            }
            "request_token" => now(async {
                let caller: Caller = setup
                    .gate_plain
                    .authenticate([setup.with_roles.as_bytes()], "/invoices")
                    .await
                    .unwrap();
                setup
                    .gate_plain
                    .authorize_route::<perm::InvoicesWrite, Token>(caller, |_| None, "/invoices")
                    .await
                    .is_ok()
            }),
            _ => now(async {
                let caller: Caller = setup
                    .gate_stored
                    .authenticate([setup.without_roles.as_bytes()], "/orgs/{org}/invoices")
                    .await
                    .unwrap();
                setup
                    .gate_stored
                    .authorize_route::<InTenant<Org, perm::InvoicesWrite>, Token>(
                        caller,
                        |_| Some("acme"),
                        "/orgs/{org}/invoices",
                    )
                    .await
                    .is_ok()
            }),
        };
        passed += u32::from(black_box(ok));
    }
    passed
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "stored_roles".to_owned());
    let iterations: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(server());
    let tokens = Tokens::new();
    let setup = runtime.block_on(async {
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
        // A long timeout: under valgrind the follower's barriers are slow, and a copy whose
        // trust lapsed would send lookups to the database (what is counted here is the copy).
        let options =
            authz_postgres::Options::default().timeout(std::time::Duration::from_secs(60));
        let store: PgAssignments<Policy> = PgAssignments::connect_with(&server.config(), options)
            .await
            .unwrap();
        let validated = |roles: &'static [&'static str]| {
            let tokens = &tokens;
            async move {
                let caller = tokens.caller("ann", roles, None).await;
                caller.token().unwrap().clone()
            }
        };
        let gate_plain = Gate::new(tokens.validator_with_cache());
        Setup {
            gate_stored: gate_plain.clone().assignments(store.clone()),
            gate_plain,
            store,
            token_roles: Arc::new(validated(&["clerk"]).await),
            token_only: Arc::new(validated(&[]).await),
            with_roles: format!("Bearer {}", tokens.token("ann", &["clerk"], None)),
            without_roles: format!("Bearer {}", tokens.token("ann", &[], None)),
        }
    });
    // Warm: the cache filled, every lazy table built.
    assert_eq!(measured(&setup, &mode, 10), 10);
    let passed = measured(&setup, &mode, iterations);
    assert_eq!(passed, iterations, "every iteration passes its check");
    println!("{mode}: {iterations} iterations");
    drop(setup);
    drop(server);
}
