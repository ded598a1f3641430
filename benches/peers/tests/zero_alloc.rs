//! The authz decision (and claims -> decision) allocates nothing; the engines' allocations per
//! decision are printed for the README. Counted by dhat's global allocator; one test in this
//! binary, so no other test thread allocates while it counts.

use authz_core::testkit::{TestKey, claims_for};
use authz_core::{Algorithm, Authenticated, Validator};
use authz_peers_bench::{
    CASES, Cedar, Token, authz_claims_decide, authz_decide, casbin_decide, casbin_enforcer,
    casbin_request, reports,
};
use std::hint::black_box;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const ROUNDS: u64 = 1000;

fn blocks_during(mut f: impl FnMut()) -> u64 {
    let before = dhat::HeapStats::get().total_blocks;
    f();
    dhat::HeapStats::get().total_blocks - before
}

#[test]
fn authz_decisions_do_not_allocate() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = TestKey::generate(Algorithm::HS256, "k1");
    let validator = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(key.verification_key())
        .issuer("https://id.test")
        .audience("peers")
        .build()
        .unwrap();
    let enforcer = runtime.block_on(casbin_enforcer()).unwrap();
    let cedar = Cedar::new();

    for case in CASES {
        let mut claims = claims_for("https://id.test", "peers", case.sub);
        claims["roles"] = serde_json::json!([case.role]);
        let caller: Authenticated<reports::Policy, Token> = runtime
            .block_on(validator.validate::<Token>(&key.mint(&claims)))
            .unwrap()
            .into();
        let token = case.token();

        let mut answers = 0;
        let authz = blocks_during(|| {
            for _ in 0..ROUNDS {
                answers += u64::from(authz_decide(black_box(&caller), black_box(case.ask)));
                answers += u64::from(authz_claims_decide(black_box(&token), black_box(case.ask)));
            }
        });
        assert_eq!(answers, 2 * ROUNDS * u64::from(case.expected));
        assert_eq!(authz, 0, "authz allocated on {case:?}");

        let request = casbin_request(case.sub, case.role, case.ask);
        let casbin = blocks_during(|| {
            for _ in 0..ROUNDS {
                black_box(casbin_decide(&enforcer, black_box(request)));
            }
        });
        let (request, entities) = cedar.request(case.sub, [case.role], case.ask);
        let cedar_blocks = blocks_during(|| {
            for _ in 0..ROUNDS {
                black_box(cedar.decide(black_box(&request), &entities));
            }
        });
        println!(
            "allocations per decision, {}: authz 0, casbin {}, cedar {}",
            case.name,
            casbin / ROUNDS,
            cedar_blocks / ROUNDS
        );
        // The counter does count.
        assert!(casbin > 0 && cedar_blocks > 0);
    }
}
