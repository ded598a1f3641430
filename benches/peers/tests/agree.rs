//! The three engines give the same answer on every case, in both forms (decision alone and
//! claims -> decision). Without this, the benchmark could compare engines answering different
//! questions.

use authz_core::testkit::{TestKey, claims_for};
use authz_core::{Algorithm, Authenticated, Validator};
use authz_peers_bench::{
    CASES, Cedar, MORE_CASES, Token, authz_claims_decide, authz_decide, casbin_claims_decide,
    casbin_decide, casbin_enforcer, casbin_request,
};

#[tokio::test]
async fn engines_agree() {
    let enforcer = casbin_enforcer().await.unwrap();
    let cedar = Cedar::new();
    let key = TestKey::generate(Algorithm::HS256, "k1");
    let validator = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(key.verification_key())
        .issuer("https://id.test")
        .audience("peers")
        .build()
        .unwrap();

    for case in CASES.iter().chain(&MORE_CASES) {
        let mut claims = claims_for("https://id.test", "peers", case.sub);
        claims["roles"] = serde_json::json!([case.role]);
        let validated = validator
            .validate::<Token>(&key.mint(&claims))
            .await
            .unwrap();
        let caller: Authenticated<authz_peers_bench::reports::Policy, Token> = validated.into();
        let token = case.token();
        let (request, entities) = cedar.request(case.sub, [case.role], case.ask);
        let answers = [
            ("authz", authz_decide(&caller, case.ask)),
            ("authz claims", authz_claims_decide(&token, case.ask)),
            (
                "casbin",
                casbin_decide(&enforcer, casbin_request(case.sub, case.role, case.ask)),
            ),
            (
                "casbin claims",
                casbin_claims_decide(&enforcer, &token, case.ask),
            ),
            ("cedar", cedar.decide(&request, &entities)),
            ("cedar claims", cedar.claims_decide(&token, case.ask)),
        ];
        for (engine, answer) in answers {
            assert_eq!(answer, case.expected, "{engine} on {case:?}");
        }
    }
}
