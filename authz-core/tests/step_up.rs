//! Step-up (RFC 9470) that cannot be skipped (issue 21, finding 2): the gate decides once, at
//! authentication, whether the login meets its policy, and every path that yields or accepts a
//! proof of a `StepUp` requirement reads that decision. Each test performs the audit's attack:
//! a token with `acr: "pwd"` and an hour-old `auth_time` (or one a year in the future) asking
//! for a `Granted<StepUp<R>>` through `require`, `meets`, owner and tenant checks and the API
//! keys' issuance and revocation, against a gate that demands `mfa` within 300 s.

use std::time::Duration;

use authz_core::api_key::{ApiKeys, InMemoryApiKeyStore, IssueError, RevokeError};
use authz_core::checks::HasTenant;
use authz_core::gate::{RefusalKind, StepUpPolicy};
use authz_core::requirement::StepUp;
use authz_core::testkit::{TestKey, claims_for, now};
use authz_core::{Algorithm, Authenticated, DenyReason, Gate, HasOwner, Refusal, Validator};
use serde_json::json;

authz_core::policy! {
    /// Keys and documents.
    pub mod admin {
        permissions {
            /// Read documents.
            "docs:read",
            /// Read every document.
            "docs:read_any",
            /// Read every tenant's documents.
            "docs:read_any_tenant",
            /// Manage anyone's API keys.
            "api_keys:manage_any",
        }
        roles {
            /// Everything.
            "admin" = ["docs:read", "docs:read_any", "docs:read_any_tenant", "api_keys:manage_any"],
        }
    }
}
use admin::perm;

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
    #[serde(default)]
    #[claims(roles)]
    roles: Vec<String>,
    #[claims(tenant)]
    tenant: Option<String>,
    acr: Option<String>,
    auth_time: Option<u64>,
}

type Caller = Authenticated<admin::Policy, Token>;

#[derive(Debug)]
struct Doc;
impl HasOwner for Doc {
    fn owner(&self) -> &str {
        "bob"
    }
}
impl HasTenant for Doc {
    fn tenant(&self) -> &str {
        "globex"
    }
}

const ISS: &str = "https://id.example";
const AUD: &str = "docs";

fn gate(key: &TestKey, step_up: bool) -> Gate {
    let validator = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(key.verification_key())
        .issuer(ISS)
        .audience(AUD)
        .cache(16)
        .build()
        .unwrap();
    let gate = Gate::new(validator).realm("docs");
    if step_up {
        gate.step_up(StepUpPolicy::acr(["mfa"]).max_age(Duration::from_secs(300)))
    } else {
        gate
    }
}

async fn admitted(gate: &Gate, key: &TestKey, acr: &str, auth_time: u64) -> Caller {
    let mut claims = claims_for(ISS, AUD, "ann");
    claims["roles"] = json!(["admin"]);
    claims["tenant"] = json!("acme");
    claims["acr"] = json!(acr);
    claims["auth_time"] = json!(auth_time);
    let header = format!("Bearer {}", key.mint(&claims));
    gate.authenticate::<admin::Policy, Token>([header.as_bytes()], "/docs")
        .await
        .unwrap()
}

fn assert_step_up_refusal(denied: authz_core::Denied, why: &str) {
    assert_eq!(denied.reason(), DenyReason::StepUp, "{why}");
    let refusal = Refusal::from(denied);
    assert_eq!(refusal.status(), 401, "{why}");
    assert_eq!(
        refusal.error_code(),
        Some("insufficient_user_authentication")
    );
    let challenge = refusal.challenge().unwrap();
    assert!(challenge.contains(r#"acr_values="mfa""#), "{challenge}");
    assert!(challenge.contains("max_age=300"), "{challenge}");
}

#[tokio::test]
async fn no_path_hands_out_a_step_up_proof_for_a_weak_login() {
    let key = TestKey::generate(Algorithm::HS256, "k");
    let gate = gate(&key, true);
    let weak = admitted(&gate, &key, "pwd", now() - 3600).await;

    // The rule alone would pass: the caller holds every permission.
    assert!(weak.meets::<perm::DocsReadAny>());
    assert!(!weak.meets::<StepUp<perm::DocsReadAny>>());
    assert_step_up_refusal(
        weak.require::<StepUp<perm::DocsReadAny>>().unwrap_err(),
        "require",
    );
    assert!(matches!(
        gate.authorize::<StepUp<perm::DocsReadAny>, _>(&weak, "/docs")
            .unwrap_err()
            .kind(),
        RefusalKind::StepUp { .. }
    ));
    // An override behind a step-up does not let the weak login past the owner check...
    let denied = weak
        .check_owner(Doc, StepUp::<perm::DocsReadAny>::default())
        .unwrap_err();
    assert_eq!(denied.reason(), DenyReason::NotOwner);
    // ...nor across tenants.
    let denied = weak
        .check_tenant_or(Doc, StepUp::<perm::DocsReadAnyTenant>::default())
        .unwrap_err();
    assert_eq!(denied.reason(), DenyReason::OtherTenant);

    // API keys: issuing for a service account or revoking another subject's key behind a
    // step-up requirement.
    let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "adm")
        .unwrap()
        .service_accounts(["svc-backup"]);
    let error = keys
        .issue_by(
            &weak,
            StepUp::<perm::ApiKeysManageAny>::default(),
            "svc-backup",
            ["docs:read"],
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, IssueError::OtherSubject(denied) if denied.reason() == DenyReason::StepUp),
        "{error}"
    );
    let bobs = keys
        .issue::<admin::Policy>("bob", ["docs:read"], None)
        .await
        .unwrap();
    let error = keys
        .revoke_by(
            &weak,
            StepUp::<perm::ApiKeysManageAny>::default(),
            bobs.id(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, RevokeError::OtherSubject(denied) if denied.reason() == DenyReason::StepUp),
        "{error}"
    );
    assert!(keys.verify(bobs.raw()).await.is_ok(), "bob's key survived");
}

#[tokio::test]
async fn a_login_in_the_future_is_not_a_recent_login() {
    let key = TestKey::generate(Algorithm::HS256, "k");
    let gate = gate(&key, true);
    let future = admitted(&gate, &key, "mfa", now() + 365 * 86_400).await;
    let denied = future.require::<StepUp<perm::DocsRead>>().unwrap_err();
    let refusal = Refusal::from(denied);
    assert_eq!(
        refusal.description(),
        "the time of the login (auth_time) is in the future"
    );
    // A genuine fresh multi-factor login passes every path.
    let fresh = admitted(&gate, &key, "mfa", now() - 10).await;
    assert!(fresh.require::<StepUp<perm::DocsReadAny>>().is_ok());
    assert!(
        fresh
            .check_owner(Doc, StepUp::<perm::DocsReadAny>::default())
            .is_ok()
    );
    assert!(
        gate.authorize::<StepUp<perm::DocsRead>, _>(&fresh, "/docs")
            .is_ok()
    );
}

#[tokio::test]
async fn a_step_up_rule_without_a_policy_fails_closed_with_a_clear_error() {
    let key = TestKey::generate(Algorithm::HS256, "k");
    let gate = gate(&key, false);
    let caller = admitted(&gate, &key, "mfa", now()).await;
    assert!(caller.require::<perm::DocsRead>().is_ok());
    let refusal = gate
        .authorize::<StepUp<perm::DocsRead>, _>(&caller, "/docs")
        .unwrap_err();
    assert!(matches!(refusal.kind(), RefusalKind::StepUpNotConfigured));
    assert_eq!(refusal.status(), 500);
    assert!(refusal.challenge().is_none());
    assert!(
        refusal.to_string().contains("Gate::step_up"),
        "the message names the fix: {refusal}"
    );
    // Claims verified by the application were never assessed by a gate: no step-up proof.
    let claims = Token {
        sub: "ann".into(),
        roles: vec!["admin".into()],
        tenant: None,
        acr: Some("mfa".into()),
        auth_time: Some(now()),
    };
    let caller = Caller::from_verified_claims(claims);
    assert_eq!(
        caller
            .require::<StepUp<perm::DocsRead>>()
            .unwrap_err()
            .reason(),
        DenyReason::StepUp
    );
}
