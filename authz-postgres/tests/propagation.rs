//! Changes pushed to every instance through LISTEN/NOTIFY, and the fail-closed rules: a
//! forged notification changes nothing, a lost channel falls back to asking the database, a
//! killed server gives 503 (never a stale grant) and the store recovers when it is back. Each
//! test runs its own PostgreSQL cluster.

mod common;

use std::time::Duration;

use authz_core::assignments::{Assignments, TenantError};
use authz_postgres::testing::PgServer;
use common::*;

const ONE_SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn a_revoked_membership_stops_working_on_another_instance_within_a_second() {
    let server = server().await;
    let (a, b) = (store(&server).await, store(&server).await);
    let tokens = Tokens::new();
    let ann = tokens.caller("ann", &[], None).await;
    for round in 0..5 {
        assert!(a.grant(member("ann", "acme"), Role::Viewer).await.unwrap());
        until(ONE_SECOND, "grant seen by b", || async {
            matches!(reads(&b, &ann, "acme").await, Ok(true))
        })
        .await;
        assert!(b.is_current(), "b answers from its copy");
        assert!(a.revoke(member("ann", "acme"), Role::Viewer).await.unwrap());
        // The instance that revoked refuses at once.
        assert!(matches!(
            reads(&a, &ann, "acme").await,
            Err(TenantError::Denied(_))
        ));
        let took = until(ONE_SECOND, "revocation seen by b", || async {
            matches!(reads(&b, &ann, "acme").await, Err(TenantError::Denied(_)))
        })
        .await;
        eprintln!("round {round}: revocation reached the other instance in {took:?}");
    }
    // A revocation written by hand (another service, psql) reaches both.
    a.grant(member("ann", "acme"), Role::Viewer).await.unwrap();
    until(ONE_SECOND, "grant seen by b", || async {
        matches!(reads(&b, &ann, "acme").await, Ok(true))
    })
    .await;
    sql(&server)
        .await
        .batch_execute("DELETE FROM authz_role_assignments WHERE subject = 'ann'")
        .await
        .unwrap();
    for store in [&a, &b] {
        until(ONE_SECOND, "revocation by hand", || async {
            matches!(
                reads(store, &ann, "acme").await,
                Err(TenantError::Denied(_))
            )
        })
        .await;
    }
    // TRUNCATE has no row triggers; its statement trigger makes every instance reload.
    a.grant(member("ann", "acme"), Role::Viewer).await.unwrap();
    until(ONE_SECOND, "grant seen by b", || async {
        matches!(reads(&b, &ann, "acme").await, Ok(true))
    })
    .await;
    sql(&server)
        .await
        .batch_execute("TRUNCATE authz_role_assignments")
        .await
        .unwrap();
    until(ONE_SECOND, "truncate seen by b", || async {
        matches!(reads(&b, &ann, "acme").await, Err(TenantError::Denied(_)))
    })
    .await;
}

#[tokio::test]
async fn a_forged_notification_changes_nothing() {
    let server = server().await;
    let store = store(&server).await;
    let tokens = Tokens::new();
    store
        .grant(member("ann", "acme"), Role::Viewer)
        .await
        .unwrap();
    let loads = store.loads();
    let sql = sql(&server).await;
    // Anyone who can connect can NOTIFY: claims that mallory is a member, that ann's rows
    // changed, a barrier, a reload, and garbage.
    for payload in [
        r#"["https://id.example","mallory","acme"]"#,
        r#"["https://id.example","ann","acme"]"#,
        "authz-barrier:00000000000000000000000000000000",
        r#"{"issuer":"x"}"#,
        "not json",
    ] {
        sql.execute(
            "SELECT pg_notify('authz_role_assignments', $1)",
            &[&payload],
        )
        .await
        .unwrap();
    }
    // Let the instance take them in (barriers come back through the same stream).
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(store.is_current());
    assert_eq!(store.loads(), loads, "no reload");
    let mallory = tokens.caller("mallory", &[], None).await;
    assert!(matches!(
        reads(&store, &mallory, "acme").await,
        Err(TenantError::Denied(_))
    ));
    let ann = tokens.caller("ann", &[], None).await;
    assert!(reads(&store, &ann, "acme").await.unwrap());

    // A flood of forged `reload`s (what a TRUNCATE sends): the copy is not read until loaded
    // again, lookups ask the database meanwhile (still right), and the table is read whole at
    // most once per 5 s, not once per message.
    for _ in 0..200 {
        sql.execute("SELECT pg_notify('authz_role_assignments', 'reload')", &[])
            .await
            .unwrap();
    }
    until(Duration::from_secs(1), "copy set aside", || async {
        !store.is_current()
    })
    .await;
    assert!(reads(&store, &ann, "acme").await.unwrap());
    assert!(matches!(
        reads(&store, &mallory, "acme").await,
        Err(TenantError::Denied(_))
    ));
    until(Duration::from_secs(8), "loaded again", || async {
        store.is_current()
    })
    .await;
    assert_eq!(store.loads(), loads + 1, "one load for 200 messages");
    assert!(reads(&store, &ann, "acme").await.unwrap());
}

#[tokio::test]
async fn a_lost_channel_falls_back_to_asking_the_database() {
    let server = server().await;
    let store = store(&server).await;
    let tokens = Tokens::new();
    let ann = tokens.caller("ann", &[], None).await;
    store
        .grant(member("ann", "acme"), Role::Viewer)
        .await
        .unwrap();
    until(ONE_SECOND, "current", || async { store.is_current() }).await;
    let sql = sql(&server).await;
    // End the listening session, as a network cut or a server-side timeout would.
    let ended: i64 = sql
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = 'authz-postgres listener'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(ended, 1);
    until(ONE_SECOND, "copy no longer trusted", || async {
        !store.is_current()
    })
    .await;
    // A change while nothing is listening: the store asks the database, so it is seen.
    sql.batch_execute("DELETE FROM authz_role_assignments WHERE subject = 'ann'")
        .await
        .unwrap();
    assert!(matches!(
        reads(&store, &ann, "acme").await,
        Err(TenantError::Denied(_))
    ));
    // The subscription comes back, loads everything again, and the copy is trusted again.
    until(Duration::from_secs(5), "subscribed again", || async {
        store.is_current()
    })
    .await;
    assert!(store.loads() >= 2);
    assert!(matches!(
        reads(&store, &ann, "acme").await,
        Err(TenantError::Denied(_))
    ));
}

#[tokio::test]
async fn a_killed_server_fails_closed_and_the_store_recovers_when_it_is_back() {
    let mut server = server().await;
    let (a, b) = (store(&server).await, store(&server).await);
    let tokens = Tokens::new();
    let ann = tokens.caller("ann", &[], None).await;
    a.grant(member("ann", "acme"), Role::Viewer).await.unwrap();
    a.grant(member("bob", "acme"), Role::Viewer).await.unwrap();
    until(ONE_SECOND, "b current with the grants", || async {
        matches!(reads(&b, &ann, "acme").await, Ok(true))
    })
    .await;

    let mut server = tokio::task::spawn_blocking(move || {
        server.kill();
        server
    })
    .await
    .unwrap();
    // Within a second, both instances stop answering from their copies; while the server
    // is down every answer is 503, never the grant they held.
    for store in [&a, &b] {
        until(ONE_SECOND, "503 while down", || async {
            matches!(
                reads(store, &ann, "acme").await,
                Err(TenantError::Unavailable(_))
            )
        })
        .await;
    }
    for _ in 0..20 {
        for store in [&a, &b] {
            let answer = reads(store, &ann, "acme").await;
            assert!(
                matches!(&answer, Err(e) if e.http_status() == 503),
                "{answer:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(a.grant(member("eve", "acme"), Role::Viewer).await.is_err());

    let server: PgServer = tokio::task::spawn_blocking(move || {
        server.restart().unwrap();
        server
    })
    .await
    .unwrap();
    for store in [&a, &b] {
        until(
            Duration::from_secs(10),
            "back after the restart",
            || async { store.is_current() && matches!(reads(store, &ann, "acme").await, Ok(true)) },
        )
        .await;
    }
    // And pushing works again: a revocation after the restart reaches b within a second.
    a.revoke(member("ann", "acme"), Role::Viewer).await.unwrap();
    until(ONE_SECOND, "revocation after restart", || async {
        matches!(reads(&b, &ann, "acme").await, Err(TenantError::Denied(_)))
    })
    .await;
    let bob = tokens.caller("bob", &[], None).await;
    assert!(reads(&b, &bob, "acme").await.unwrap());
    drop(server);
}

#[tokio::test]
async fn the_cluster_is_removed_when_dropped_and_the_migration_can_run_again() {
    let server = server().await;
    authz_postgres::migrate(&server.config()).await.unwrap();
    let store = store(&server).await;
    store
        .grant(member("ann", "acme"), Role::Viewer)
        .await
        .unwrap();
    assert_eq!(
        store
            .membership(member("ann", "acme"))
            .await
            .unwrap()
            .map(|m| m.assigned().assigned().contains(Role::Viewer)),
        Some(true)
    );
    let (port, dir) = (server.port(), server.dir().to_owned());
    assert!(dir.exists());
    drop(store);
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    assert!(!dir.exists(), "the cluster's directory is removed");
}
