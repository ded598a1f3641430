use super::*;
use crate::Algorithm;
use crate::Issuer;
use crate::testkit::{TestKey, claims_for};
use crate::token::{Validated, Validator};

crate::policy! {
    /// Test policy.
    pub mod pay {
        permissions {
            /// a
            "payments:read",
            /// b
            "payments:initiate",
            /// c
            "payments:approve",
            /// d
            "members:manage",
            /// e
            "members:manage_any_tenant",
        }
        roles {
            /// r
            "reader" = ["payments:read"],
            /// c
            "clerk" = "reader" + ["payments:initiate"],
            /// a
            "approver" = "reader" + ["payments:approve"],
            /// m
            "manager" = "clerk" + ["members:manage"],
            /// s
            "staff" = "reader" + ["members:manage", "members:manage_any_tenant"],
        }
        separation_of_duties {
            ["payments:initiate", "payments:approve"],
        }
    }
}

use pay::{Role, perm};

#[derive(serde::Deserialize, crate::Claims)]
struct Token {
    sub: String,
    #[claims(roles)]
    #[serde(default)]
    roles: Vec<String>,
    #[claims(tenant)]
    #[serde(default)]
    org: Option<String>,
}

type Caller = Authenticated<pay::Policy, Token>;

fn session(sub: &str, roles: &[&str], org: Option<&str>) -> Caller {
    Authenticated::from_verified_claims(Token {
        sub: sub.into(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        org: org.map(str::to_owned),
    })
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn assigned_roles_join_the_credentials_and_apply_only_in_their_tenant() {
    let store = MemoryAssignments::<pay::Policy>::new();
    store.grant(Member::new("", "ann", "acme"), Role::Clerk);
    let ann = session("ann", &["reader"], None);
    assert!(ann.require::<perm::PaymentsInitiate>().is_err());

    let in_acme = block_on(ann.in_tenant(&store, "acme")).unwrap();
    assert!(in_acme.require::<perm::PaymentsInitiate>().is_ok());
    assert!(in_acme.require::<perm::PaymentsRead>().is_ok());
    assert!(in_acme.roles().contains(Role::Clerk));
    assert!(in_acme.roles().contains(Role::Reader), "inherited");
    assert_eq!(in_acme.tenant(), Some("acme"));
    // The original caller is unchanged.
    assert!(ann.require::<perm::PaymentsInitiate>().is_err());
    assert_eq!(ann.tenant(), None);

    // acme's roles do not follow ann into globex, where she has no membership.
    let refused = block_on(ann.in_tenant(&store, "globex")).unwrap_err();
    assert_eq!(refused.http_status(), 404);
    assert_eq!(refused.denied().unwrap().reason(), DenyReason::OtherTenant);
    // Another subject's membership is not ann's, nor another issuer's subject's.
    store.grant(Member::new("https://other", "ann", "globex"), Role::Clerk);
    store.grant(Member::new("", "bob", "globex"), Role::Clerk);
    let refused = block_on(ann.in_tenant(&store, "globex")).unwrap_err();
    assert_eq!(refused.http_status(), 404);
}

#[test]
fn a_credential_bound_to_a_tenant_cannot_be_scoped_to_another() {
    let store = MemoryAssignments::<pay::Policy>::new();
    // Even with a membership in globex, a token naming acme acts in acme only.
    store.grant(Member::new("", "ann", "globex"), Role::Manager);
    store.grant(Member::new("", "ann", "acme"), Role::Reader);
    let ann = session("ann", &[], Some("acme"));
    let refused = block_on(ann.in_tenant(&store, "globex")).unwrap_err();
    assert_eq!(refused.http_status(), 404);
    let own = block_on(ann.in_own_tenant(&store)).unwrap();
    assert_eq!(own.tenant(), Some("acme"));
    assert!(own.require::<perm::PaymentsRead>().is_ok());
    assert!(own.require::<perm::PaymentsInitiate>().is_err());

    let unbound = session("ann", &[], None);
    let refused = block_on(unbound.in_own_tenant(&store)).unwrap_err();
    assert_eq!(refused.denied().unwrap().reason(), DenyReason::OtherTenant);
}

#[test]
fn separation_of_duties_applies_to_the_union_of_token_and_assignments() {
    let store = MemoryAssignments::<pay::Policy>::new();
    store.grant(Member::new("", "ann", "acme"), Role::Approver);
    // The token makes ann a clerk (initiate); acme makes her an approver: both are withheld.
    let ann = session("ann", &["clerk"], None);
    assert!(ann.separated().is_none());
    let joined = block_on(ann.in_tenant(&store, "acme")).unwrap();
    assert_eq!(
        joined.separated(),
        Some(("payments:initiate", "payments:approve"))
    );
    assert!(joined.require::<perm::PaymentsInitiate>().is_err());
    assert!(joined.require::<perm::PaymentsApprove>().is_err());
    assert!(!joined.roles().contains(Role::Clerk));
    assert!(joined.require::<perm::PaymentsRead>().is_ok());

    // A credential that already held both, then gets one of them from the store again: the
    // pair stays withheld (the join starts from the names, not from the withheld result).
    let both = session("ann", &["clerk", "approver"], None);
    assert!(both.separated().is_some());
    let joined = block_on(both.in_tenant(&store, "acme")).unwrap();
    assert!(joined.require::<perm::PaymentsApprove>().is_err());
    assert!(joined.require::<perm::PaymentsInitiate>().is_err());
}

#[test]
fn an_issuers_cap_applies_to_assigned_roles() {
    let key = TestKey::generate(Algorithm::HS256, "k1");
    let validator = Validator::builder()
        .algorithms([Algorithm::HS256])
        .trust(
            Issuer::new("https://customer.example")
                .key(key.verification_key())
                .grants_at_most(["payments:read", "payments:initiate"]),
        )
        .audience("pay")
        .build();
    let Ok(validator) = validator else {
        panic!("validator");
    };
    let token = key.mint(&claims_for("https://customer.example", "pay", "ann"));
    let validated: Validated<Token> = block_on(validator.validate(&token)).unwrap();
    let ann: Caller = validated.into();

    let store = MemoryAssignments::<pay::Policy>::new();
    let member = Member::new("https://customer.example", "ann", "acme");
    store.grant(member, Role::Staff);
    store.grant(member, Role::Clerk);
    let joined = block_on(ann.in_tenant(&store, "acme")).unwrap();
    // Within the cap: granted. Outside it (staff's cross-tenant permission): withheld, and
    // with it the staff role itself.
    assert!(joined.require::<perm::PaymentsInitiate>().is_ok());
    assert!(joined.require::<perm::MembersManageAnyTenant>().is_err());
    assert!(!joined.roles().contains(Role::Staff));
}

#[test]
fn names_the_policy_does_not_know_grant_nothing() {
    let (assigned, unknown) =
        Assigned::<pay::Policy>::from_names(["clerk", "auditor", "Clerk", "approver"]);
    assert_eq!(unknown, 2);
    assert!(assigned.assigned().contains(Role::Clerk));
    assert!(assigned.assigned().contains(Role::Approver));
    assert!(!assigned.assigned().contains(Role::Reader));
    assert!(assigned.roles().contains(Role::Reader));
    let (none, unknown) = Assigned::<pay::Policy>::from_names(["auditor"]);
    assert!(none.is_empty());
    assert_eq!(unknown, 1);
    assert!(
        assigned
            .without(Role::Clerk)
            .permissions()
            .contains(pay::Permission::PaymentsRead)
    );
    assert!(
        !assigned
            .without(Role::Clerk)
            .permissions()
            .contains(pay::Permission::PaymentsInitiate)
    );
}

#[test]
fn a_caller_grants_only_roles_within_its_permissions() {
    let store = MemoryAssignments::<pay::Policy>::new();
    store.grant(Member::new("", "mia", "acme"), Role::Manager);
    let mia = block_on(session("mia", &[], None).in_tenant(&store, "acme")).unwrap();
    let any = perm::MembersManageAnyTenant;

    // A clerk's permissions are all mia's: granted, then unchanged the second time.
    let bob = Member::new("", "bob", "acme");
    assert!(block_on(store.grant_by(&mia, any, bob, Role::Clerk)).unwrap());
    assert!(!block_on(store.grant_by(&mia, any, bob, Role::Clerk)).unwrap());

    // The attack: mia makes bob (or herself) an approver, a permission she lacks.
    let refused = block_on(store.grant_by(&mia, any, bob, Role::Approver)).unwrap_err();
    assert!(
        matches!(&refused, ChangeError::NotHeld { missing } if missing == "payments:approve"),
        "{refused:?}"
    );
    assert_eq!(refused.http_status(), 403);
    let me = Member::new("", "mia", "acme");
    let refused = block_on(store.grant_by(&mia, any, me, Role::Staff)).unwrap_err();
    assert_eq!(refused.http_status(), 403);
    let bob_in_acme = block_on(session("bob", &[], None).in_tenant(&store, "acme")).unwrap();
    assert!(bob_in_acme.require::<perm::PaymentsApprove>().is_err());

    // Nor can she take away a role beyond her permissions.
    store.grant(bob, Role::Staff);
    let refused = block_on(store.revoke_by(&mia, any, bob, Role::Staff)).unwrap_err();
    assert!(matches!(refused, ChangeError::NotHeld { .. }));
    assert!(block_on(store.revoke_by(&mia, any, bob, Role::Clerk)).unwrap());
}

#[test]
fn crossing_tenants_needs_the_permission_that_says_so() {
    let store = MemoryAssignments::<pay::Policy>::new();
    store.grant(Member::new("", "mia", "acme"), Role::Manager);
    let mia = block_on(session("mia", &[], None).in_tenant(&store, "acme")).unwrap();
    let any = perm::MembersManageAnyTenant;
    let in_globex = Member::new("", "bob", "globex");

    let refused = block_on(store.grant_by(&mia, any, in_globex, Role::Reader)).unwrap_err();
    assert!(
        matches!(&refused, ChangeError::OtherTenant(d) if d.reason() == DenyReason::OtherTenant)
    );
    assert_eq!(refused.http_status(), 404);
    assert!(block_on(store.membership(in_globex)).unwrap().is_none());

    // A caller scoped to no tenant at all is in no member's tenant either.
    let unscoped = session("mia", &["manager"], None);
    let refused = block_on(store.grant_by(&unscoped, any, in_globex, Role::Reader)).unwrap_err();
    assert_eq!(refused.http_status(), 404);

    // Staff with the cross-tenant permission may.
    let sam = session("sam", &["staff"], None);
    assert!(block_on(store.grant_by(&sam, any, in_globex, Role::Reader)).unwrap());
}

#[test]
fn own_tenant_only_never_crosses_tenants_whatever_the_caller_holds() {
    let store = MemoryAssignments::<pay::Policy>::new();
    store.grant(Member::new("", "mia", "acme"), Role::Manager);
    let mia = block_on(session("mia", &[], None).in_tenant(&store, "acme")).unwrap();
    let own = OwnTenantOnly::default();
    let in_acme = Member::new("", "bob", "acme");
    assert!(block_on(store.grant_by(&mia, own, in_acme, Role::Reader)).unwrap());

    // Staff, who may cross tenants where the route names the permission, may not here.
    store.grant(Member::new("", "sam", "acme"), Role::Staff);
    let sam = block_on(session("sam", &["staff"], None).in_tenant(&store, "acme")).unwrap();
    let in_globex = Member::new("", "bob", "globex");
    let refused = block_on(store.grant_by(&sam, own, in_globex, Role::Reader)).unwrap_err();
    assert!(
        matches!(&refused, ChangeError::OtherTenant(d) if d.reason() == DenyReason::OtherTenant)
    );
    assert_eq!(refused.http_status(), 404);
    assert!(block_on(store.membership(in_globex)).unwrap().is_none());
}
