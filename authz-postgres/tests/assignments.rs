//! Roles from PostgreSQL joined to tokens and API keys, names the policy does not know, and
//! input that cannot name a member. Each test runs its own PostgreSQL cluster.

mod common;

use authz_core::DenyReason;
use authz_core::api_key::{ApiKeys, InMemoryApiKeyStore};
use authz_core::assignments::{Assignments, ChangeError, Member};
use common::*;

#[tokio::test]
async fn roles_from_the_database_join_a_tokens_and_an_api_keys() {
    let server = server().await;
    let store = store(&server).await;
    let tokens = Tokens::new();
    store
        .grant(member("ann", "acme"), Role::Clerk)
        .await
        .unwrap();

    // The token carries no roles: nothing but what acme assigns.
    let ann = tokens.caller("ann", &[], None).await;
    assert!(ann.require::<perm::InvoicesRead>().is_err());
    let in_acme = ann.in_tenant(&store, "acme").await.unwrap();
    assert!(in_acme.require::<perm::InvoicesWrite>().is_ok());
    assert!(in_acme.require::<perm::InvoicesRead>().is_ok(), "inherited");
    assert!(in_acme.require::<perm::MembersManage>().is_err());
    assert_eq!(in_acme.tenant(), Some("acme"));

    // Not a member of globex: refused as another tenant's resource is.
    let refused = ann.in_tenant(&store, "globex").await.unwrap_err();
    assert_eq!(refused.http_status(), 404);
    assert_eq!(refused.denied().unwrap().reason(), DenyReason::OtherTenant);

    // The same subject of another issuer is another member.
    store
        .grant(
            Member::new("https://other.example", "bob", "acme"),
            Role::Admin,
        )
        .await
        .unwrap();
    let bob = tokens.caller("bob", &[], None).await;
    assert_eq!(
        bob.in_tenant(&store, "acme")
            .await
            .unwrap_err()
            .http_status(),
        404
    );

    // A token bound to globex by its tenant claim cannot use ann's acme membership.
    let ann_of_globex = tokens.caller("ann", &[], Some("globex")).await;
    assert_eq!(
        ann_of_globex
            .in_tenant(&store, "acme")
            .await
            .unwrap_err()
            .http_status(),
        404
    );

    // An API key acts as its subject, a member under the empty issuer.
    let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "inv").unwrap();
    let issued = keys
        .issue::<Policy>("ci-bot", Vec::<&str>::new(), None)
        .await
        .unwrap();
    let bot = Caller::from_api_key(keys.verify(issued.raw()).await.unwrap());
    assert_eq!(
        bot.in_tenant(&store, "acme")
            .await
            .unwrap_err()
            .http_status(),
        404
    );
    store
        .grant(Member::new("", "ci-bot", "acme"), Role::Viewer)
        .await
        .unwrap();
    let bot_in_acme = bot.in_tenant(&store, "acme").await.unwrap();
    assert!(bot_in_acme.require::<perm::InvoicesRead>().is_ok());
    assert!(bot_in_acme.require::<perm::InvoicesWrite>().is_err());
}

#[tokio::test]
async fn separation_of_duties_holds_across_token_and_database() {
    let server = server().await;
    let store = store(&server).await;
    let tokens = Tokens::new();
    store
        .grant(member("ann", "acme"), Role::Approver)
        .await
        .unwrap();
    // The token makes ann a clerk (write); acme makes her an approver: both are withheld.
    let ann = tokens.caller("ann", &["clerk"], None).await;
    let joined = ann.in_tenant(&store, "acme").await.unwrap();
    assert_eq!(
        joined.separated(),
        Some(("invoices:write", "invoices:approve"))
    );
    assert!(joined.require::<perm::InvoicesApprove>().is_err());
    assert!(joined.require::<perm::InvoicesWrite>().is_err());
    assert!(joined.require::<perm::InvoicesRead>().is_ok());
}

#[tokio::test]
async fn names_the_policy_does_not_know_grant_nothing_and_are_counted() {
    let server = server().await;
    let sql = sql(&server).await;
    // Rows written by another deployment's policy (or by hand): `auditor` is not ours.
    sql.batch_execute(
        "INSERT INTO authz_role_assignments (issuer, subject, tenant, role) VALUES \
         ('https://id.example', 'ann', 'acme', 'auditor'), \
         ('https://id.example', 'ann', 'acme', 'viewer'), \
         ('https://id.example', 'eve', 'acme', 'Admin')",
    )
    .await
    .unwrap();
    let store = store(&server).await;
    assert_eq!(store.unknown_roles(), 2);
    let tokens = Tokens::new();
    let ann = tokens.caller("ann", &[], None).await;
    assert!(reads(&store, &ann, "acme").await.unwrap());
    let joined = ann.in_tenant(&store, "acme").await.unwrap();
    assert!(joined.require::<perm::InvoicesWrite>().is_err());
    // eve's only name is unknown (names are case-sensitive): no membership, not an error.
    let eve = tokens.caller("eve", &[], None).await;
    assert_eq!(
        eve.in_tenant(&store, "acme")
            .await
            .unwrap_err()
            .http_status(),
        404
    );

    // One written while the service runs is counted when the channel brings it: ann's rows
    // are read again, `auditor` and `superuser` both unknown.
    sql.batch_execute(
        "INSERT INTO authz_role_assignments (issuer, subject, tenant, role) VALUES \
         ('https://id.example', 'ann', 'acme', 'superuser')",
    )
    .await
    .unwrap();
    until(std::time::Duration::from_secs(2), "counted", || async {
        store.unknown_roles() == 4
    })
    .await;
    assert!(reads(&store, &ann, "acme").await.unwrap());
}

#[tokio::test]
async fn input_that_cannot_name_a_member_is_refused_not_an_error() {
    let server = server().await;
    let store = store(&server).await;
    let tokens = Tokens::new();
    let ann = tokens.caller("ann", &[], None).await;
    store
        .grant(member("ann", "acme"), Role::Viewer)
        .await
        .unwrap();
    let long = "a".repeat(10_000);
    for tenant in ["", "ac\0me", long.as_str(), "acme\u{202e}"] {
        let refused = ann.in_tenant(&store, tenant).await.unwrap_err();
        assert_eq!(
            refused.http_status(),
            404,
            "{:?}",
            &tenant[..tenant.len().min(8)]
        );
    }
    // Also when the copy is not used and the database is asked: a NUL never reaches it.
    let direct = store.membership(Member::new(ISSUER, "ann", "ac\0me")).await;
    // The copy answers (no such member); the in_tenant check above refused before asking.
    assert!(matches!(direct, Ok(None)), "{direct:?}");

    // The management API refuses such a member with 400, before writing.
    let staff = tokens.caller("sam", &["staff"], None).await;
    let refused = store
        .grant_by(
            &staff,
            perm::MembersManageAnyTenant,
            member("x", &long),
            Role::Viewer,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, ChangeError::InvalidMember(_)),
        "{refused:?}"
    );
    assert_eq!(refused.http_status(), 400);
}

/// `members_in` lists one tenant's members as the table holds them, and only that tenant's.
#[tokio::test]
async fn a_tenants_members_are_listed_from_the_table_and_no_other_tenants() {
    let server = server().await;
    let store = store(&server).await;
    store
        .grant(member("ann", "acme"), Role::Admin)
        .await
        .unwrap();
    store
        .grant(member("bob", "acme"), Role::Viewer)
        .await
        .unwrap();
    store
        .grant(member("bob", "acme"), Role::Approver)
        .await
        .unwrap();
    store
        .grant(member("eve", "globex"), Role::Admin)
        .await
        .unwrap();
    // A row written by an older deployment with a role this policy does not know.
    sql(&server)
        .await
        .execute(
            "INSERT INTO authz_role_assignments (issuer, subject, tenant, role) \
             VALUES ('https://id.example', 'cid', 'acme', 'auditor')",
            &[],
        )
        .await
        .unwrap();

    let listed = store.members_in("acme").await.unwrap();
    let names: Vec<(&str, Vec<&str>)> = listed
        .iter()
        .map(|m| {
            (
                m.subject.as_str(),
                m.assigned.assigned().iter().map(|r| r.name()).collect(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("ann", vec!["admin"]),
            ("bob", vec!["viewer", "approver"]),
            ("cid", vec![])
        ]
    );
    assert!(listed.iter().all(|m| m.issuer == ISSUER));
    assert!(store.unknown_roles() >= 1);
    assert!(store.members_in("initech").await.unwrap().is_empty());
    assert!(store.members_in("").await.unwrap().is_empty());
    assert!(store.members_in("a\0b").await.unwrap().is_empty());

    store
        .revoke(member("ann", "acme"), Role::Admin)
        .await
        .unwrap();
    let after: Vec<String> = store
        .members_in("acme")
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.subject)
        .collect();
    assert_eq!(after, ["bob", "cid"]);
}
