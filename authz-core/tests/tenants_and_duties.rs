//! Issue 14's checks, each performing the attack it stops: a tenant-A caller holding an
//! override reaching a tenant-B resource, a token combining both sides of a separation-of-duties
//! pair, a creator approving their own invoice; and the audit events they write (tenant, route,
//! reasons), with no "unknown permission" noise from OpenID Connect scopes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use authz_core::checks::{HasCreator, HasTenant};
use authz_core::gate::Separation;
use authz_core::testkit::{TestKey, claims_for};
use authz_core::{
    Algorithm, Authenticated, DenyReason, Gate, HasOwner, Refusal, Validator, audit::AUDIT_TARGET,
};
use serde_json::json;

authz_core::policy! {
    /// Invoices of many tenants.
    pub mod invoices {
        permissions {
            /// Read one's own invoices.
            "invoices:read",
            /// Read every invoice of one's tenant.
            "invoices:read_any",
            /// Read invoices of every tenant (support staff).
            "invoices:read_any_tenant",
            /// Create invoices.
            "invoices:create",
            /// Approve invoices.
            "invoices:approve",
        }
        roles {
            /// Reads their own.
            "viewer" = ["invoices:read"],
            /// Reads the tenant's.
            "auditor" = "viewer" + ["invoices:read_any"],
            /// Creates.
            "clerk" = "viewer" + ["invoices:create"],
            /// Approves.
            "accountant" = "viewer" + ["invoices:approve"],
            /// Reads across tenants.
            "support" = ["invoices:read_any_tenant"],
        }
        separation_of_duties {
            ["invoices:create", "invoices:approve"],
        }
    }
}
use invoices::perm;

#[derive(serde::Deserialize, authz_core::Claims)]
#[claims(ignore = ["reports-api"])]
struct Token {
    sub: String,
    #[serde(default)]
    #[claims(roles)]
    roles: Vec<String>,
    #[serde(default)]
    #[claims(scope)]
    scope: String,
    #[claims(tenant)]
    org: Option<String>,
}

#[derive(Debug)]
struct Invoice {
    tenant: &'static str,
    owner: &'static str,
    created_by: &'static str,
}

impl HasOwner for Invoice {
    fn owner(&self) -> &str {
        self.owner
    }
    fn owner_tenant(&self) -> Option<&str> {
        Some(self.tenant)
    }
}
impl HasTenant for Invoice {
    fn tenant(&self) -> &str {
        self.tenant
    }
}
impl HasCreator for Invoice {
    fn creator(&self) -> &str {
        self.created_by
    }
}

fn caller(sub: &str, org: Option<&str>, roles: &[&str]) -> Authenticated<invoices::Policy, Token> {
    Authenticated::from_verified_claims(Token {
        sub: sub.into(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        scope: String::new(),
        org: org.map(str::to_owned),
    })
}

const B_INVOICE: Invoice = Invoice {
    tenant: "globex",
    owner: "bob",
    created_by: "bob",
};

#[test]
fn an_override_never_crosses_tenants() {
    // The attack: an auditor of tenant acme (who may read every acme invoice) asks for an
    // invoice of tenant globex.
    let auditor = caller("ann", Some("acme"), &["auditor"]);
    let denied = auditor
        .check_owner(B_INVOICE, perm::InvoicesReadAny)
        .unwrap_err();
    assert_eq!(denied.reason(), DenyReason::OtherTenant);
    // Concealed by default (issue 23 item 4): it answers as a missing resource would, byte
    // for byte, so ids in other tenants cannot be probed.
    assert!(denied.is_concealed());
    let refusal = Refusal::from(denied);
    assert_eq!(refusal.status(), 404);
    assert_eq!(refusal.challenge(), None);
    assert_eq!(
        refusal.problem_json(),
        Refusal::from(authz_core::Denied::not_found()).problem_json()
    );
    // Revealed by choice: 403 naming the reason, and no `insufficient_scope` challenge, since
    // no permission would help.
    let refusal = Refusal::from(
        auditor
            .check_owner(B_INVOICE, perm::InvoicesReadAny)
            .unwrap_err()
            .reveal(),
    );
    assert_eq!(refusal.status(), 403);
    assert_eq!(refusal.challenge(), None);
    assert!(refusal.problem_json().contains("another tenant"));

    // Within its tenant the override works as before.
    let acme = Invoice {
        tenant: "acme",
        owner: "carl",
        created_by: "carl",
    };
    assert!(auditor.check_owner(acme, perm::InvoicesReadAny).is_ok());
    // The owner themself, moved to another tenant, is refused too.
    let bob_elsewhere = caller("bob", Some("acme"), &["viewer"]);
    assert!(
        bob_elsewhere
            .check_owner(B_INVOICE, perm::InvoicesRead)
            .is_err()
    );
    // A caller with no tenant belongs to none.
    let nobody = caller("bob", None, &["auditor"]);
    assert!(
        nobody
            .check_owner(B_INVOICE, perm::InvoicesReadAny)
            .is_err()
    );
}

#[test]
fn tenant_checks_cross_only_with_a_permission_that_says_so() {
    let auditor = caller("ann", Some("acme"), &["auditor"]);
    assert_eq!(
        auditor.check_tenant(B_INVOICE).unwrap_err().reason(),
        DenyReason::OtherTenant
    );
    assert!(
        auditor
            .check_tenant_or(B_INVOICE, perm::InvoicesReadAnyTenant)
            .is_err()
    );
    let support = caller("sam", Some("acme"), &["support"]);
    let crossed = support
        .check_tenant_or(B_INVOICE, perm::InvoicesReadAnyTenant)
        .unwrap();
    assert_eq!(crossed.tenant, "globex");
    let insider = caller("gil", Some("globex"), &["viewer"]);
    assert!(insider.check_tenant(B_INVOICE).is_ok());
}

#[test]
fn the_creator_may_not_approve() {
    let bob = caller("bob", Some("globex"), &["accountant"]);
    let denied = bob.check_four_eyes(B_INVOICE).unwrap_err();
    assert_eq!(denied.reason(), DenyReason::SameCreator);
    assert_eq!(Refusal::from(denied).status(), 403);
    let gil = caller("gil", Some("globex"), &["accountant"]);
    assert_eq!(gil.check_four_eyes(B_INVOICE).unwrap().created_by, "bob");
}

/// An invoice that records its creator's issuer, as a multi-issuer service does.
#[derive(Debug)]
struct IssuedInvoice {
    created_by: &'static str,
}
impl HasCreator for IssuedInvoice {
    fn creator(&self) -> &str {
        self.created_by
    }
    fn creator_issuer(&self) -> Option<&str> {
        Some("https://id.example")
    }
}

#[tokio::test]
async fn four_eyes_holds_for_a_caller_without_an_issuer() {
    // Issue 21, finding 3: carol created an invoice with her token, minted herself an API key,
    // and approved her own invoice with it (a key has no issuer, so "not the creator" followed).
    use authz_core::api_key::{ApiKeys, InMemoryApiKeyStore};
    let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "inv").unwrap();
    let issued = keys
        .issue::<invoices::Policy>("carol", ["invoices:approve"], None)
        .await
        .unwrap();
    let carol_by_key: Authenticated<invoices::Policy, Token> =
        Authenticated::from_api_key(keys.verify(issued.raw()).await.unwrap());
    let invoice = IssuedInvoice {
        created_by: "carol",
    };
    let denied = carol_by_key.check_four_eyes(invoice).unwrap_err();
    assert_eq!(denied.reason(), DenyReason::SameCreator);
    // Verified claims have no issuer either.
    let carol = caller("carol", None, &["accountant"]);
    let denied = carol
        .check_four_eyes(IssuedInvoice {
            created_by: "carol",
        })
        .unwrap_err();
    assert_eq!(denied.reason(), DenyReason::SameCreator);
    // Someone else's key approves.
    let dave = keys
        .issue::<invoices::Policy>("dave", ["invoices:approve"], None)
        .await
        .unwrap();
    let dave: Authenticated<invoices::Policy, Token> =
        Authenticated::from_api_key(keys.verify(dave.raw()).await.unwrap());
    assert!(
        dave.check_four_eyes(IssuedInvoice {
            created_by: "carol"
        })
        .is_ok()
    );
}

#[test]
fn application_rules_give_the_same_proof_and_refusal() {
    let gil = caller("gil", Some("globex"), &["accountant"]);
    let ok = gil
        .check_that(B_INVOICE, "under the approval limit", |_, _| true)
        .unwrap();
    assert_eq!(ok.owner, "bob");
    let denied = gil
        .check_that(B_INVOICE, "under the approval limit", |_, _| false)
        .unwrap_err();
    assert_eq!(denied.reason(), DenyReason::Check);
    assert_eq!(denied.rule().to_string(), "check(under the approval limit)");
    assert_eq!(Refusal::from(denied).status(), 403);
}

#[test]
fn a_refused_role_requirement_says_missing_role() {
    let viewer = caller("ann", Some("acme"), &["viewer"]);
    let denied = viewer.require::<invoices::role::Accountant>().unwrap_err();
    assert_eq!(denied.reason(), DenyReason::MissingRole);
    let denied = viewer.require::<perm::InvoicesApprove>().unwrap_err();
    assert_eq!(denied.reason(), DenyReason::MissingPermission);
}

#[test]
fn separation_of_duties_holds_for_the_set_a_credential_combines() {
    // Each role alone is fine (the policy checks that at compile time); together they hold
    // both sides of the pair.
    let both = caller("mallory", Some("acme"), &["clerk", "accountant"]);
    assert_eq!(
        both.separated(),
        Some(("invoices:create", "invoices:approve"))
    );
    // Whatever an adapter does, neither side of the pair is usable.
    assert!(both.require::<perm::InvoicesApprove>().is_err());
    assert!(both.require::<perm::InvoicesCreate>().is_err());
    assert!(both.require::<perm::InvoicesRead>().is_ok());
    let clerk = caller("carl", Some("acme"), &["clerk"]);
    assert_eq!(clerk.separated(), None);
    assert!(clerk.require::<perm::InvoicesCreate>().is_ok());
}

/// Audit events as (event, decision, reason, tenant, route, first, second).
type Seen = BTreeMap<&'static str, String>;

struct Capture(Arc<Mutex<Vec<Seen>>>);

impl tracing::Subscriber for Capture {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == AUDIT_TARGET
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Fields(Seen);
        impl tracing::field::Visit for Fields {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.0.insert(field.name(), value.to_owned());
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.insert(field.name(), format!("{value:?}"));
            }
        }
        let mut fields = Fields(BTreeMap::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

fn gate(key: &TestKey) -> Gate {
    let validator = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(key.verification_key())
        .issuer("https://id.example")
        .audience("invoices")
        .build()
        .unwrap();
    Gate::new(validator).realm("invoices")
}

fn header(key: &TestKey, extra: serde_json::Value) -> String {
    let mut claims = claims_for("https://id.example", "invoices", "mallory");
    for (name, value) in extra.as_object().unwrap() {
        claims[name] = value.clone();
    }
    format!("Bearer {}", key.mint(&claims))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_gate_refuses_a_token_combining_separated_duties_and_audits_it() {
    let key = TestKey::generate(Algorithm::HS256, "k");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let _guard = tracing::subscriber::set_default(Capture(seen.clone()));
    let token = header(
        &key,
        json!({ "roles": ["clerk", "accountant"], "org": "acme" }),
    );
    let refusal =
        runtime()
            .block_on(gate(&key).authenticate::<invoices::Policy, Token>(
                [token.as_bytes()],
                "/invoices/{id}/approve",
            ))
            .unwrap_err();
    assert_eq!(refusal.status(), 403);
    assert!(
        refusal.problem_json().contains("duties"),
        "{}",
        refusal.problem_json()
    );
    let seen = seen.lock().unwrap();
    let event = seen
        .iter()
        .find(|e| e.get("event").map(String::as_str) == Some("separation_of_duties"))
        .expect("a separation_of_duties event");
    assert_eq!(event["decision"], "deny");
    assert_eq!(event["first"], "invoices:create");
    assert_eq!(event["second"], "invoices:approve");
    assert_eq!(event["tenant"], "\"acme\"");
    assert_eq!(event["route"], "/invoices/{id}/approve");
}

#[test]
fn a_gate_told_to_drop_lets_the_caller_in_without_the_pair_and_audits_it() {
    let key = TestKey::generate(Algorithm::HS256, "k");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let _guard = tracing::subscriber::set_default(Capture(seen.clone()));
    let token = header(
        &key,
        json!({ "roles": ["clerk", "accountant"], "org": "acme" }),
    );
    let gate = gate(&key).separation_of_duties(Separation::Drop);
    let caller = runtime()
        .block_on(gate.authenticate::<invoices::Policy, Token>([token.as_bytes()], "/invoices"))
        .unwrap();
    assert!(caller.require::<perm::InvoicesRead>().is_ok());
    assert!(caller.require::<perm::InvoicesApprove>().is_err());
    assert!(caller.require::<perm::InvoicesCreate>().is_err());
    // Issue 21, finding 4: the roles that grant either side go with the pair, so no role
    // requirement passes on them and no proof weakens to a separated permission.
    for denied in [
        caller.require::<invoices::role::Accountant>().unwrap_err(),
        caller.require::<invoices::role::Clerk>().unwrap_err(),
    ] {
        assert_eq!(denied.reason(), DenyReason::MissingRole);
    }
    assert!(!caller.roles().contains(invoices::Role::Accountant));
    // The role they inherit, which grants neither side, stays.
    assert!(caller.require::<invoices::role::Viewer>().is_ok());
    let seen = seen.lock().unwrap();
    let event = seen
        .iter()
        .find(|e| e.get("event").map(String::as_str) == Some("separation_of_duties"))
        .expect("a separation_of_duties event");
    assert_eq!(event["decision"], "drop");
}

#[test]
fn checks_in_handlers_are_audited_with_tenant_and_route_and_scopes_make_no_noise() {
    let key = TestKey::generate(Algorithm::HS256, "k");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let _guard = tracing::subscriber::set_default(Capture(seen.clone()));
    // An OpenID Connect token: `openid profile email` and the `ignore`d name are not
    // permissions, and not reported as unknown; `invoices:teleport` is.
    let token = header(
        &key,
        json!({
            "roles": ["auditor"],
            "org": "acme",
            "scope": "openid profile email offline_access reports-api invoices:read",
        }),
    );
    let gate = gate(&key);
    let caller = runtime()
        .block_on(
            gate.authenticate::<invoices::Policy, Token>([token.as_bytes()], "/invoices/{id}"),
        )
        .unwrap();
    assert_eq!(caller.unknown_counts(), (0, 0));
    assert_eq!(caller.tenant(), Some("acme"));
    assert!(
        caller
            .check_owner(B_INVOICE, perm::InvoicesReadAny)
            .is_err()
    );
    let seen = seen.lock().unwrap();
    let event = seen
        .iter()
        .find(|e| e.get("event").map(String::as_str) == Some("owner_check"))
        .expect("an owner_check event");
    assert_eq!(event["decision"], "deny");
    assert_eq!(event["reason"], "another tenant");
    assert_eq!(event["tenant"], "\"acme\"");
    assert_eq!(event["route"], "/invoices/{id}");
    drop(seen);

    let noisy = header(
        &key,
        json!({ "roles": ["auditor"], "org": "acme", "scope": "openid invoices:teleport" }),
    );
    let caller = runtime()
        .block_on(gate.authenticate::<invoices::Policy, Token>([noisy.as_bytes()], "/x"))
        .unwrap();
    assert_eq!(caller.unknown_counts(), (0, 1));
}

#[test]
fn an_absent_resource_and_a_concealed_refusal_answer_alike() {
    let auditor = caller("ann", Some("acme"), &["auditor"]);
    let concealed = Refusal::from(
        auditor
            .check_owner(B_INVOICE, perm::InvoicesReadAny)
            .unwrap_err()
            .conceal(),
    );
    let absent = Refusal::from(authz_core::Denied::not_found());
    assert_eq!(absent.status(), 404);
    assert_eq!(
        (absent.status(), absent.challenge(), absent.problem_json()),
        (
            concealed.status(),
            concealed.challenge(),
            concealed.problem_json()
        )
    );
    assert_eq!(
        absent.headers().collect::<Vec<_>>(),
        concealed.headers().collect::<Vec<_>>()
    );
}

#[test]
fn proofs_chain_so_a_domain_function_can_demand_several() {
    use authz_core::checks::{FourEyes, InTenant};
    /// Approving needs both: within the caller's tenant, and not by its creator.
    fn approve(invoice: &FourEyes<InTenant<Invoice>>) -> &'static str {
        invoice.owner
    }
    let gil = caller("gil", Some("globex"), &["accountant"]);
    let in_tenant = gil.check_tenant(B_INVOICE).unwrap();
    let checked = gil.check_four_eyes(in_tenant).unwrap();
    assert_eq!(approve(&checked), "bob");
    // The creator is still refused through the chained proof.
    let bob = caller("bob", Some("globex"), &["accountant"]);
    let in_tenant = bob.check_tenant(B_INVOICE).unwrap();
    assert_eq!(
        bob.check_four_eyes(in_tenant).unwrap_err().reason(),
        DenyReason::SameCreator
    );
}
