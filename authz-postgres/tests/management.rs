//! The management API: the no-escalation rule API keys follow, crossing tenants only with the
//! permission that says so, and an audit event for every change and refusal. Alone in its
//! binary: it reads the audit events through a subscriber on its own thread, and `tracing`
//! caches whether an event is wanted per call site, across threads, so another test emitting
//! the same events at the same moment could make it miss some.

mod common;

use authz_core::assignments::{ChangeError, TenantError};
use common::*;

#[tokio::test]
async fn managing_memberships_follows_the_no_escalation_rule_and_is_audited() {
    let audit = Audit::default();
    let _guard = tracing::subscriber::set_default(audit.clone());
    let server = server().await;
    let store = store(&server).await;
    let sql = sql(&server).await;
    let tokens = Tokens::new();
    store
        .grant(member("mia", "acme"), Role::Admin)
        .await
        .unwrap();
    let mia = tokens
        .caller("mia", &[], None)
        .await
        .in_tenant(&store, "acme")
        .await
        .unwrap();
    let any = perm::MembersManageAnyTenant;

    // Within her permissions and her tenant: written, with her as actor.
    assert!(
        store
            .grant_by(&mia, any, member("bob", "acme"), Role::Clerk)
            .await
            .unwrap()
    );
    let granted_by: String = sql
        .query_one(
            "SELECT granted_by FROM authz_role_assignments WHERE subject = 'bob'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(granted_by, "https://id.example mia");
    let bob = tokens.caller("bob", &[], None).await;
    assert!(reads(&store, &bob, "acme").await.unwrap());

    // The attack: an approver's permission mia does not hold, for bob or for herself.
    for target in ["bob", "mia"] {
        let refused = store
            .grant_by(&mia, any, member(target, "acme"), Role::Approver)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, ChangeError::NotHeld { missing } if missing == "invoices:approve"),
            "{refused:?}"
        );
        assert_eq!(refused.http_status(), 403);
    }
    // Another tenant without the cross-tenant permission: refused as absent (404).
    let refused = store
        .grant_by(&mia, any, member("mia", "globex"), Role::Viewer)
        .await
        .unwrap_err();
    assert!(matches!(refused, ChangeError::OtherTenant(_)));
    assert_eq!(refused.http_status(), 404);
    // Nothing of the refused changes reached the table.
    let rows: i64 = sql
        .query_one("SELECT count(*) FROM authz_role_assignments", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 2, "mia's admin and bob's clerk only");
    assert_eq!(
        mia.in_tenant(&store, "globex")
            .await
            .unwrap_err()
            .http_status(),
        404
    );

    // Revoking: within her permissions only.
    store
        .grant(member("sam", "acme"), Role::Staff)
        .await
        .unwrap();
    let refused = store
        .revoke_by(&mia, any, member("sam", "acme"), Role::Staff)
        .await
        .unwrap_err();
    assert!(matches!(refused, ChangeError::NotHeld { .. }));
    assert!(
        store
            .revoke_by(&mia, any, member("bob", "acme"), Role::Clerk)
            .await
            .unwrap()
    );
    assert!(matches!(
        bob.in_tenant(&store, "acme").await,
        Err(TenantError::Denied(_))
    ));

    // Support staff cross tenants with the permission that says so.
    let sam = tokens.caller("sam", &["staff"], None).await;
    assert!(
        store
            .grant_by(&sam, any, member("ann", "globex"), Role::Viewer)
            .await
            .unwrap()
    );

    let events: Vec<String> = audit
        .events()
        .into_iter()
        .filter(|e| e.contains("event=role_assignment"))
        .collect();
    let find = |action: &str| {
        events
            .iter()
            .filter(|e| e.contains(&format!("action={action}")))
            .count()
    };
    assert_eq!(find("granted"), 2, "{events:#?}");
    assert_eq!(find("grant_refused"), 3, "{events:#?}");
    assert_eq!(find("revoke_refused"), 1, "{events:#?}");
    assert_eq!(find("revoked"), 1, "{events:#?}");
    assert!(events.iter().any(|e| e.contains("action=grant_refused")
        && e.contains("actor=\"mia\"")
        && e.contains("role=approver")
        && e.contains("invoices:approve")));
    assert!(events.iter().any(|e| e.contains("action=granted")
        && e.contains("actor=\"sam\"")
        && e.contains("member_subject=\"ann\"")
        && e.contains("tenant=\"globex\"")));
}
