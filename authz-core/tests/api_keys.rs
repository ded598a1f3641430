//! API keys: issuance, hash-only storage, verification, expiry, revocation, on the in-memory
//! store and on a real `redis-server` started on loopback by the test itself. Then the
//! attacks of issue 11 (finding 2) against the library: a caller granting what it lacks, or
//! issuing and revoking for another subject; a revoked subject's keys still working; audit
//! events that do not say who acted.

use std::sync::Arc;
use std::time::Duration;

use authz_core::testkit::{RedisServer, TestKey, claims_for, now};
use authz_core::{
    Algorithm, Authenticated, Issuer, Validator, api_key::ApiKeyError, api_key::ApiKeyStore,
    api_key::ApiKeys, api_key::InMemoryApiKeyStore, api_key::IssueError, api_key::RevokeError,
    store::RedisApiKeyStore, store::RedisError, token::BoxFuture, token::ErrorCategory,
    token::InMemoryRevocation, token::Revocation, token::RevocationError, token::RevocationQuery,
    token::RevocationStatus,
};

mod common;

use common::{ANY, Caller, P, Token, key_caller, token_caller};

/// Every behaviour a store must give, run against any store.
async fn store_behaviour(keys: &ApiKeys, dump: impl AsyncFn() -> String) {
    let issued = keys
        .issue::<P>(
            "ci-bot",
            ["reports:read", "reports:read"],
            Some(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    assert_eq!(
        issued.record().permissions,
        ["reports:read"],
        "duplicates collapse"
    );
    let verified = keys.verify(issued.raw()).await.unwrap();
    assert_eq!((verified.id(), verified.subject()), (issued.id(), "ci-bot"));
    assert_eq!(verified.permissions(), ["reports:read"]);
    assert!(verified.expires_at().is_some());

    // The store holds the hash, never the key or its secret.
    let secret = issued.raw().splitn(3, '_').nth(2).unwrap().to_owned(); // after prefix_id_
    let stored = dump().await;
    assert!(stored.contains(issued.id()), "the dump sees the record");
    assert!(!stored.contains(&secret) && !stored.contains(issued.raw()));
    assert!(stored.contains(&issued.record().secret_sha256));

    // Unknown id, wrong secret, revoked: refused as invalid tokens, naming only the id.
    let unknown = issued.raw().replacen(issued.id(), "0123456789abcdef", 1);
    assert!(matches!(
        keys.verify(&unknown).await,
        Err(ApiKeyError::Unknown(_))
    ));
    let mut wrong = issued.raw().to_owned();
    wrong.replace_range(wrong.len() - 3.., "AAA");
    let error = keys.verify(&wrong).await.unwrap_err();
    assert!(matches!(error, ApiKeyError::WrongSecret(_)));
    assert_eq!(error.category(), ErrorCategory::InvalidToken);
    assert!(!error.to_string().contains(&secret));
    assert!(keys.revoke(issued.id()).await.unwrap());
    assert!(matches!(
        keys.verify(issued.raw()).await,
        Err(ApiKeyError::Revoked(_))
    ));
    assert!(!keys.revoke("0123456789abcdef").await.unwrap());

    // Expiry.
    let short = keys
        .issue::<P>("ci-bot", ["reports:write"], Some(Duration::ZERO))
        .await
        .unwrap();
    assert!(matches!(
        keys.verify(short.raw()).await,
        Err(ApiKeyError::Expired { .. })
    ));

    // Unknown permission names are refused at issuance, listing the known ones.
    let err = keys
        .issue::<P>("x", ["reports:delete"], None)
        .await
        .unwrap_err();
    assert!(matches!(err, IssueError::UnknownPermission { .. }));
    assert!(
        err.to_string().contains("reports:read, reports:write"),
        "{err}"
    );

    // Revoking a subject marks its keys created before the cut-off, for good, and no others.
    let carols = keys
        .issue::<P>("carol", ["reports:read"], None)
        .await
        .unwrap();
    let daves = keys
        .issue::<P>("dave", ["reports:read"], None)
        .await
        .unwrap();
    let cut_off = carols.record().created_at;
    assert_eq!(keys.revoke_subject("carol", cut_off).await.unwrap(), 0);
    keys.verify(carols.raw()).await.unwrap();
    assert_eq!(keys.revoke_subject("carol", cut_off + 1).await.unwrap(), 1);
    assert!(matches!(
        keys.verify(carols.raw()).await,
        Err(ApiKeyError::Revoked(_))
    ));
    assert_eq!(keys.revoke_subject("carol", cut_off + 1).await.unwrap(), 0);
    keys.verify(daves.raw()).await.unwrap();
    assert_eq!(keys.revoke_subject("nobody", u64::MAX).await.unwrap(), 0);
}

#[tokio::test]
async fn in_memory_store() {
    let store = InMemoryApiKeyStore::default();
    let keys = ApiKeys::new(store.clone(), "rpt").unwrap();
    store_behaviour(&keys, async || {
        format!(
            "{:?} {}",
            store.records(),
            serde_json::to_string(&store.records()).unwrap()
        )
    })
    .await;
    // Last use is recorded.
    let issued = keys.issue::<P>("a", ["reports:read"], None).await.unwrap();
    keys.verify(issued.raw()).await.unwrap();
    let record = store
        .records()
        .into_iter()
        .find(|r| r.id == issued.id())
        .unwrap();
    assert!(record.last_used_at.is_some());
}

#[tokio::test]
async fn redis_store() {
    let mut server = RedisServer::start().expect("redis-server must be installed (CI installs it)");
    let store = RedisApiKeyStore::builder(server.url())
        .prefix("test:apikey:")
        .build()
        .unwrap();
    let keys = ApiKeys::new(store, "rpt").unwrap();
    let client = redis::Client::open(server.url()).unwrap();
    let dump = async || {
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let names: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query_async(&mut connection)
            .await
            .unwrap();
        let mut all = String::new();
        for name in names {
            let kind: String = redis::cmd("TYPE")
                .arg(&name)
                .query_async(&mut connection)
                .await
                .unwrap();
            if kind != "hash" {
                // A subject's set of key ids.
                let ids: Vec<String> = redis::cmd("SMEMBERS")
                    .arg(&name)
                    .query_async(&mut connection)
                    .await
                    .unwrap();
                all.push_str(&format!("{name} {ids:?}\n"));
                continue;
            }
            let fields: Vec<String> = redis::cmd("HGETALL")
                .arg(&name)
                .query_async(&mut connection)
                .await
                .unwrap();
            all.push_str(&format!("{name} {fields:?}\n"));
        }
        all
    };
    store_behaviour(&keys, dump).await;

    // Another instance sharing the server sees keys at once.
    let other = ApiKeys::new(
        RedisApiKeyStore::builder(server.url())
            .prefix("test:apikey:")
            .build()
            .unwrap(),
        "rpt",
    )
    .unwrap();
    let issued = keys
        .issue::<P>("bot", ["reports:read"], None)
        .await
        .unwrap();
    other.verify(issued.raw()).await.unwrap();
    assert!(other.revoke(issued.id()).await.unwrap());
    assert!(matches!(
        keys.verify(issued.raw()).await,
        Err(ApiKeyError::Revoked(_))
    ));

    // Expiring keys carry a TTL, so the store does not grow without bound.
    let expiring = keys
        .issue::<P>("bot", ["reports:read"], Some(Duration::from_secs(60)))
        .await
        .unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("test:apikey:{}", expiring.id()))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(ttl > 60 && ttl <= 60 + 24 * 3600 + 1, "ttl {ttl}");

    // A subject's set of key ids lives as long as its longest-lived key: a TTL while all of
    // them expire, none once one never does; and it is found again to revoke them.
    let ttl_of_set = async |subject: &str| -> i64 {
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let names: Vec<String> = redis::cmd("KEYS")
            .arg("test:apikey:sub:*")
            .query_async(&mut connection)
            .await
            .unwrap();
        let store_key = names
            .into_iter()
            .find(|name| {
                let hex: String = sha2_hex(subject);
                name.ends_with(&hex)
            })
            .unwrap();
        redis::cmd("TTL")
            .arg(store_key)
            .query_async(&mut connection)
            .await
            .unwrap()
    };
    let first = keys
        .issue::<P>("erin", ["reports:read"], Some(Duration::from_secs(60)))
        .await
        .unwrap();
    let short_ttl = ttl_of_set("erin").await;
    assert!(
        short_ttl > 60 && short_ttl <= 60 + 24 * 3600 + 1,
        "{short_ttl}"
    );
    keys.issue::<P>("erin", ["reports:read"], Some(Duration::from_secs(600)))
        .await
        .unwrap();
    assert!(ttl_of_set("erin").await >= short_ttl + 500);
    keys.issue::<P>("erin", ["reports:read"], None)
        .await
        .unwrap();
    assert_eq!(ttl_of_set("erin").await, -1);
    keys.issue::<P>("erin", ["reports:read"], Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(
        ttl_of_set("erin").await,
        -1,
        "a shorter key never adds a TTL"
    );
    assert_eq!(keys.revoke_subject("erin", now() + 1).await.unwrap(), 4);
    assert!(matches!(
        other.verify(first.raw()).await,
        Err(ApiKeyError::Revoked(_))
    ));

    // Redis down: verification fails closed (503 category), then recovers.
    let live = keys
        .issue::<P>("bot", ["reports:read"], None)
        .await
        .unwrap();
    server.stop();
    let error = keys.verify(live.raw()).await.unwrap_err();
    assert_eq!(error.category(), ErrorCategory::Unavailable);
    server.restart().unwrap();
    // After a failed connection attempt the store waits out a short backoff (250 ms) before
    // the next, as the revocation store does. A restarted server has no data (no persistence
    // in tests): the key is then unknown, which proves the store reconnected and asked.
    // Waits for that condition (at most 2 s), not for the backoff's window.
    let mut answer = keys.verify(live.raw()).await;
    for _ in 0..200 {
        if matches!(answer, Err(ApiKeyError::Unknown(_))) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        answer = keys.verify(live.raw()).await;
    }
    assert!(
        matches!(answer, Err(ApiKeyError::Unknown(_))),
        "{:?}",
        answer.err()
    );
}

#[tokio::test]
async fn a_store_that_cannot_be_reached_refuses_issuance() {
    let store = RedisApiKeyStore::builder("redis://127.0.0.1:1/")
        .prefix("x:")
        .build()
        .unwrap();
    // Refused because Redis cannot be reached, not for another reason.
    let error = store.get("0123456789abcdef").await.unwrap_err();
    let cause = error
        .get_ref()
        .downcast_ref::<RedisError>()
        .expect("a Redis error");
    assert!(cause.is_unreachable(), "{cause:?}");
    let keys = ApiKeys::new(store, "rpt").unwrap();
    let refused = keys.issue::<P>("a", ["reports:read"], None).await;
    let Err(IssueError::Store(error)) = refused else {
        panic!("not refused by the store");
    };
    let cause = error
        .get_ref()
        .downcast_ref::<RedisError>()
        .expect("a Redis error");
    assert!(cause.is_unreachable(), "{cause:?}");
}

#[tokio::test]
async fn last_use_is_written_at_most_once_a_minute() {
    /// Counts the bookkeeping writes of an in-memory store.
    #[derive(Clone, Default)]
    struct Counting {
        inner: InMemoryApiKeyStore,
        touches: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }
    impl ApiKeyStore for Counting {
        fn get<'a>(
            &'a self,
            id: &'a str,
        ) -> authz_core::token::BoxFuture<
            'a,
            Result<Option<authz_core::api_key::ApiKeyRecord>, authz_core::api_key::StoreError>,
        > {
            self.inner.get(id)
        }
        fn insert(
            &self,
            record: authz_core::api_key::ApiKeyRecord,
        ) -> authz_core::token::BoxFuture<'_, Result<(), authz_core::api_key::StoreError>> {
            self.inner.insert(record)
        }
        fn revoke<'a>(
            &'a self,
            id: &'a str,
        ) -> authz_core::token::BoxFuture<'a, Result<bool, authz_core::api_key::StoreError>>
        {
            self.inner.revoke(id)
        }
        fn touch<'a>(
            &'a self,
            id: &'a str,
            at: u64,
        ) -> authz_core::token::BoxFuture<'a, Result<(), authz_core::api_key::StoreError>> {
            self.touches
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.inner.touch(id, at)
        }
        fn revoke_subject<'a>(
            &'a self,
            subject: &'a str,
            before: u64,
        ) -> authz_core::token::BoxFuture<'a, Result<u64, authz_core::api_key::StoreError>>
        {
            self.inner.revoke_subject(subject, before)
        }
    }
    let store = Counting::default();
    let keys = ApiKeys::new(store.clone(), "rpt").unwrap();
    let issued = keys.issue::<P>("a", ["reports:read"], None).await.unwrap();
    for _ in 0..5 {
        keys.verify(issued.raw()).await.unwrap();
    }
    assert_eq!(store.touches.load(std::sync::atomic::Ordering::Relaxed), 1);
}

fn sha2_hex(value: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The attack: a key holding only `keys:manage` mints keys for other subjects with every
/// permission, and for itself with permissions it lacks. Each is refused, and no key is stored.
#[tokio::test]
async fn a_key_cannot_grant_more_than_it_holds_or_act_for_another_subject() {
    let store = InMemoryApiKeyStore::default();
    let keys = ApiKeys::new(store.clone(), "rpt")
        .unwrap()
        .service_accounts(["ops-bot", "ci-bot"]);
    let manager = keys
        .issue::<P>("ops-bot", ["keys:manage"], Some(Duration::from_secs(3600)))
        .await
        .unwrap();
    let caller = key_caller(&keys, manager.raw()).await;
    let every = [
        "reports:read",
        "reports:write",
        "keys:manage",
        "keys:manage_any",
    ];

    let error = keys
        .issue_by(&caller, ANY, "ci-bot", every, Some(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert!(matches!(error, IssueError::OtherSubject(_)), "{error}");
    assert_eq!(error.http_status(), 403);
    assert!(error.to_string().contains("keys:manage_any"), "{error}");
    for (subject, permissions) in [("alice", &["reports:read"][..]), ("bob", &["keys:manage"])] {
        let error = keys
            .issue_by(
                &caller,
                ANY,
                subject,
                permissions,
                Some(Duration::from_secs(60)),
            )
            .await
            .unwrap_err();
        // People: never, whatever the caller holds.
        assert!(
            matches!(error, IssueError::Impersonation { .. }),
            "{subject}: {error}"
        );
    }
    let error = keys
        .issue_by(
            &caller,
            ANY,
            "ops-bot",
            every,
            Some(Duration::from_secs(60)),
        )
        .await
        .unwrap_err();
    assert_eq!(error.http_status(), 403);
    match &error {
        IssueError::NotHeld { missing } => {
            assert_eq!(missing, "reports:read, reports:write, keys:manage_any")
        }
        other => panic!("{other}"),
    }
    // Nor may its child outlive it.
    for lifetime in [None, Some(Duration::from_secs(7200))] {
        let error = keys
            .issue_by(&caller, ANY, "ops-bot", ["keys:manage"], lifetime)
            .await
            .unwrap_err();
        assert!(
            matches!(error, IssueError::OutlivesIssuer { .. }),
            "{error}"
        );
    }
    assert_eq!(store.records().len(), 1, "no refused key was stored");

    // What it holds, for itself, within its lifetime: issued.
    let child = keys
        .issue_by(
            &caller,
            ANY,
            "ops-bot",
            ["keys:manage"],
            Some(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    assert_eq!(child.record().subject, "ops-bot");
}

#[tokio::test]
async fn tokens_grant_what_their_roles_hold_and_only_the_override_reaches_other_subjects() {
    let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "rpt").unwrap();
    let alice = token_caller("alice", &["self_service"]).await;
    // Her own subject, what she holds, no expiry (a token's short life is no limit): issued.
    keys.issue_by(&alice, ANY, "alice", ["reports:read"], None)
        .await
        .unwrap();
    let error = keys
        .issue_by(&alice, ANY, "alice", ["reports:write"], None)
        .await
        .unwrap_err();
    assert!(matches!(error, IssueError::NotHeld { .. }), "{error}");
    let error = keys
        .issue_by(&alice, ANY, "bob", ["reports:read"], None)
        .await
        .unwrap_err();
    assert!(matches!(error, IssueError::Impersonation { .. }), "{error}");

    // The admin holds everything and the override: a service account, any permission.
    let keys = keys.service_accounts(["ops-bot"]);
    let admin = token_caller("root", &["admin"]).await;
    let every = [
        "reports:read",
        "reports:write",
        "keys:manage",
        "keys:manage_any",
    ];
    let bots = keys
        .issue_by(&admin, ANY, "ops-bot", every, None)
        .await
        .unwrap();
    assert_eq!(bots.record().permissions, every);
    let by = bots.record().issued_by.as_ref().unwrap();
    assert_eq!(
        (by.subject.as_str(), by.issuer.as_deref()),
        ("root", Some("https://id.test"))
    );
    // Alice lacks the override: not even a service account.
    let error = keys
        .issue_by(&alice, ANY, "ops-bot", ["reports:read"], None)
        .await
        .unwrap_err();
    assert!(matches!(error, IssueError::OtherSubject(_)), "{error}");
}

/// Issue 23, item 7: an admin minted a key "as" carol, created an invoice as carol, and
/// approved it as themselves. A key for another person is refused whatever the caller holds;
/// a service account's key records the admin as accountable, so neither the key approving the
/// admin's work nor the admin approving the key's passes four eyes.
#[tokio::test]
async fn the_override_mints_service_accounts_never_a_colleague() {
    use authz_core::DenyReason;
    use authz_core::checks::HasCreator;
    #[derive(Debug)]
    struct Invoice(String);
    impl HasCreator for Invoice {
        fn creator(&self) -> &str {
            &self.0
        }
    }
    let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "inv")
        .unwrap()
        .service_accounts(["svc-billing"]);
    let admin = token_caller("root", &["admin"]).await;

    // The attack: a key as carol.
    let error = keys
        .issue_by(&admin, ANY, "carol", ["reports:write"], None)
        .await
        .unwrap_err();
    assert!(matches!(error, IssueError::Impersonation { .. }), "{error}");
    assert_eq!(error.http_status(), 403);
    assert!(
        error.to_string().contains("ApiKeys::service_accounts"),
        "the message names the fix: {error}"
    );

    // A service account's key, with the admin accountable for it.
    let issued = keys
        .issue_by(&admin, ANY, "svc-billing", ["reports:write"], None)
        .await
        .unwrap();
    let bot = key_caller(&keys, issued.raw()).await;
    assert_eq!(bot.subject(), Some("svc-billing"));
    assert_eq!(bot.accountable(), Some("root"));
    // The admin creates; the admin's bot may not approve.
    let denied = bot
        .check_four_eyes(Invoice(admin.accountable().unwrap().to_owned()))
        .unwrap_err();
    assert_eq!(denied.reason(), DenyReason::SameCreator);
    // The bot creates, recording who stands behind it; the admin may not approve.
    let created_by_bot = Invoice(bot.accountable().unwrap().to_owned());
    let denied = admin.check_four_eyes(created_by_bot).unwrap_err();
    assert_eq!(denied.reason(), DenyReason::SameCreator);
    // A key the bot mints for itself keeps the admin accountable.
    let child = keys
        .issue_by(&bot, ANY, "svc-billing", ["reports:write"], None)
        .await
        .unwrap();
    let child = key_caller(&keys, child.raw()).await;
    assert_eq!(child.accountable(), Some("root"));
    // Someone else approves.
    let dana = token_caller("dana", &["admin"]).await;
    assert!(dana.check_four_eyes(Invoice("root".into())).is_ok());
}

/// Issue 23, item 7: a machine key provisioned inside one tenant from setup code.
#[tokio::test]
async fn setup_code_issues_a_key_inside_one_tenant() {
    use authz_core::DenyReason;
    use authz_core::checks::HasTenant;
    #[derive(Debug)]
    struct Doc(&'static str);
    impl HasTenant for Doc {
        fn tenant(&self) -> &str {
            self.0
        }
    }
    let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "ci").unwrap();
    let issued = keys
        .issue_in::<P>("acme", "ci-bot", ["reports:read"], None)
        .await
        .unwrap();
    assert_eq!(issued.record().tenant.as_deref(), Some("acme"));
    let bot = key_caller(&keys, issued.raw()).await;
    assert_eq!(bot.tenant(), Some("acme"));
    assert!(bot.check_tenant(Doc("acme")).is_ok());
    let denied = bot.check_tenant(Doc("globex")).unwrap_err();
    assert_eq!(denied.reason(), DenyReason::OtherTenant);
    let error = keys
        .issue_in::<P>("", "ci-bot", ["reports:read"], None)
        .await
        .unwrap_err();
    assert!(matches!(error, IssueError::BadSubject), "{error}");
}

#[tokio::test]
async fn only_the_override_revokes_another_subjects_keys() {
    let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "rpt").unwrap();
    let alices = keys
        .issue::<P>("alice", ["reports:read"], None)
        .await
        .unwrap();
    let manager = keys
        .issue::<P>("ops-bot", ["keys:manage"], None)
        .await
        .unwrap();
    let own = keys
        .issue::<P>("ops-bot", ["reports:read"], None)
        .await
        .unwrap();
    let caller = key_caller(&keys, manager.raw()).await;

    let error = keys.revoke_by(&caller, ANY, alices.id()).await.unwrap_err();
    assert!(matches!(error, RevokeError::OtherSubject(_)), "{error}");
    keys.verify(alices.raw()).await.unwrap();
    assert!(keys.revoke_by(&caller, ANY, own.id()).await.unwrap());
    assert!(
        !keys
            .revoke_by(&caller, ANY, "0123456789abcdef")
            .await
            .unwrap()
    );

    let admin = token_caller("root", &["admin"]).await;
    assert!(keys.revoke_by(&admin, ANY, alices.id()).await.unwrap());
    assert!(matches!(
        keys.verify(alices.raw()).await,
        Err(ApiKeyError::Revoked(_))
    ));
}

/// The attack: a subject revoked ("every credential of alice before T") keeps working through
/// an API key. Refused now, through the revocation backend the validator uses.
#[tokio::test]
async fn a_subject_revocation_refuses_the_keys_created_before_it() {
    let revocations = Arc::new(InMemoryRevocation::new());
    let clock = authz_core::token::Clock::manual(now());
    let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "rpt")
        .unwrap()
        .revocation(revocations.clone())
        .clock(clock.clone());
    let old = keys
        .issue::<P>("alice", ["reports:read"], None)
        .await
        .unwrap();
    let bobs = keys
        .issue::<P>("bob", ["reports:read"], None)
        .await
        .unwrap();
    let cut_off = old.record().created_at + 1;
    revocations.revoke_subject("alice", cut_off, cut_off + 3600);

    let error = keys.verify(old.raw()).await.unwrap_err();
    assert!(matches!(error, ApiKeyError::SubjectRevoked(_)), "{error}");
    assert_eq!(error.category(), ErrorCategory::InvalidToken);
    assert_eq!(error.key_id(), Some(old.id()));
    keys.verify(bobs.raw()).await.unwrap();

    // A key that would be created before a cut-off is not issued at all.
    revocations.revoke_subject("carol", now() + 3600, now() + 7200);
    let error = keys
        .issue::<P>("carol", ["reports:read"], None)
        .await
        .unwrap_err();
    assert!(matches!(error, IssueError::SubjectRevoked), "{error}");
    assert_eq!(error.http_status(), 409);

    // Created at or after the cut-off: works.
    clock.set(cut_off);
    let fresh = keys
        .issue::<P>("alice", ["reports:read"], None)
        .await
        .unwrap();
    keys.verify(fresh.raw()).await.unwrap();
}

#[tokio::test]
async fn a_revocation_backend_that_cannot_answer_refuses_keys() {
    struct Down;
    impl Revocation for Down {
        fn check<'a>(
            &'a self,
            _: RevocationQuery<'a>,
        ) -> BoxFuture<'a, Result<RevocationStatus, RevocationError>> {
            Box::pin(async { Err(RevocationError::new("down")) })
        }
    }
    let store = InMemoryApiKeyStore::default();
    let issued = ApiKeys::new(store.clone(), "rpt")
        .unwrap()
        .issue::<P>("alice", ["reports:read"], None)
        .await
        .unwrap();
    let keys = ApiKeys::new(store, "rpt").unwrap().revocation(Down);
    let error = keys.verify(issued.raw()).await.unwrap_err();
    assert_eq!(error.category(), ErrorCategory::Unavailable);
    let error = keys
        .issue::<P>("alice", ["reports:read"], None)
        .await
        .unwrap_err();
    assert_eq!(error.http_status(), 503);
}

/// With several issuers trusted, a subject is unique only within its issuer; a key records no
/// issuer. So issuer B's `bob` may not mint (or revoke) keys for `bob`, who may be issuer A's:
/// every key counts as another subject's.
#[tokio::test]
async fn with_several_issuers_no_key_is_a_tokens_own() {
    let (a, b) = (
        TestKey::generate(Algorithm::ES256, "a-1"),
        TestKey::generate(Algorithm::ES256, "b-1"),
    );
    let validator = Validator::builder()
        .algorithms([Algorithm::ES256])
        .trust(Issuer::new("https://a.test").key(a.verification_key()))
        .trust(Issuer::new("https://b.test").key(b.verification_key()))
        .audience("keys")
        .build()
        .unwrap();
    let mut claims = claims_for("https://b.test", "keys", "bob");
    claims["roles"] = serde_json::json!(["self_service"]);
    let bob_of_b: Caller =
        Authenticated::from(validator.validate::<Token>(&b.mint(&claims)).await.unwrap());
    let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "rpt").unwrap();
    let error = keys
        .issue_by(&bob_of_b, ANY, "bob", ["reports:read"], None)
        .await
        .unwrap_err();
    assert!(matches!(error, IssueError::Impersonation { .. }), "{error}");
    let bobs = keys
        .issue::<P>("bob", ["reports:read"], None)
        .await
        .unwrap();
    let error = keys.revoke_by(&bob_of_b, ANY, bobs.id()).await.unwrap_err();
    assert!(matches!(error, RevokeError::OtherSubject(_)), "{error}");
}

/// A gate whose validator has a revocation backend passes it to API keys given without one:
/// revoking a subject refuses its keys by default, with no extra wiring to forget.
#[tokio::test]
async fn the_gate_gives_api_keys_the_validators_revocation_list() {
    let revocations = Arc::new(InMemoryRevocation::new());
    let signer = TestKey::generate(Algorithm::ES256, "k");
    let validator = Validator::builder()
        .algorithms([Algorithm::ES256])
        .key(signer.verification_key())
        .issuer("https://id")
        .audience("reports")
        .revocation_store(revocations.clone())
        .build()
        .unwrap();
    let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "rpt").unwrap();
    let gate = authz_core::Gate::new(validator).api_keys(keys.clone());
    let old = keys
        .issue::<P>("alice", ["reports:read"], None)
        .await
        .unwrap();
    let header = format!("Bearer {}", old.raw());
    gate.authenticate::<P, Token>([header.as_bytes()], "/r")
        .await
        .unwrap();
    let cut_off = old.record().created_at + 1;
    revocations.revoke_subject("alice", cut_off, cut_off + 3600);
    let refusal = gate
        .authenticate::<P, Token>([header.as_bytes()], "/r")
        .await
        .unwrap_err();
    assert_eq!(refusal.status(), 401);
    // Issue 23, item 6: the application's own clone (what its handlers issue with) got the
    // backend too: no key is issued that would be born revoked, and its clone refuses the old
    // key as the gate does.
    let error = keys
        .issue::<P>("alice", ["reports:read"], None)
        .await
        .unwrap_err();
    assert!(matches!(error, IssueError::SubjectRevoked), "{error}");
    let error = keys.verify(old.raw()).await.unwrap_err();
    assert!(matches!(error, ApiKeyError::SubjectRevoked(_)), "{error}");
}

/// Issue 16: a key verified on one instance is read from memory there, and revoking it on
/// another instance reaches the first within a second.
#[tokio::test]
async fn a_key_revoked_on_one_instance_is_refused_by_another_within_a_second() {
    let server = RedisServer::start().expect("redis-server must be installed (CI installs it)");
    let instance = |_: &str| {
        ApiKeys::new(
            RedisApiKeyStore::builder(server.url())
                .prefix("push:apikey:")
                .build()
                .unwrap(),
            "rpt",
        )
        .unwrap()
    };
    let (a, b) = (instance("a"), instance("b"));
    let issued = a.issue::<P>("bot", ["reports:read"], None).await.unwrap();
    // `b` reads the record, starts its push channel, and keeps the record once it is synced.
    for _ in 0..100 {
        b.verify(issued.raw()).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // From then on `b` verifies from memory: no read of the record reaches Redis.
    let client = redis::Client::open(server.url()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async(&mut raw)
        .await
        .unwrap();
    for _ in 0..10 {
        b.verify(issued.raw()).await.unwrap();
    }
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(
        !stats.contains("cmdstat_hgetall:"),
        "verification read Redis: {stats}"
    );
    assert!(a.revoke(issued.id()).await.unwrap());
    let revoked_at = std::time::Instant::now();
    loop {
        match b.verify(issued.raw()).await {
            Err(ApiKeyError::Revoked(_)) => break,
            Ok(_) => assert!(
                revoked_at.elapsed() < std::time::Duration::from_secs(1),
                "the revocation did not reach the other instance within 1 s"
            ),
            Err(other) => panic!("{other}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

/// Issue 21, finding 5, on the API-key copy: a flood of forged ids on the channel only makes
/// an instance read Redis, and a key revoked during the flood is refused by the other instance
/// within 250 ms plus the timeout (the freshness barrier it shares with the revocation copy).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_forged_pushes_does_not_delay_a_key_revocation_past_the_bound() {
    const FORGED: usize = 100_000;
    let server = RedisServer::start().expect("redis-server must be installed (CI installs it)");
    let timeout = Duration::from_millis(500);
    let bound = Duration::from_millis(250) + timeout;
    let instance = || {
        ApiKeys::new(
            RedisApiKeyStore::builder(server.url())
                .prefix("flood:")
                .timeout(timeout)
                .build()
                .unwrap(),
            "rpt",
        )
        .unwrap()
    };
    let (a, b) = (instance(), instance());
    let issued: Vec<_> = {
        let mut issued = Vec::new();
        for _ in 0..5 {
            issued.push(a.issue::<P>("bot", ["reports:read"], None).await.unwrap());
        }
        issued
    };
    // `b` keeps the records once its channel is trusted.
    for _ in 0..100 {
        for key in &issued {
            b.verify(key.raw()).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let url = server.url();
    let flood = tokio::spawn(async move {
        let client = redis::Client::open(url).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        for start in (0..FORGED).step_by(1000) {
            let mut pipe = redis::pipe();
            for n in start..start + 1000 {
                pipe.cmd("PUBLISH")
                    .arg("flood:events")
                    .arg(format!("{n:032x}"))
                    .ignore();
            }
            let () = pipe.query_async(&mut connection).await.unwrap();
        }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut accepted_until = Duration::ZERO;
    for key in &issued {
        assert!(a.revoke(key.id()).await.unwrap());
        let written = std::time::Instant::now();
        loop {
            let asked = written.elapsed();
            match b.verify(key.raw()).await {
                Err(ApiKeyError::Revoked(_)) => break,
                Ok(_) => {
                    assert!(
                        asked < bound,
                        "a revoked key accepted when asked {asked:?} after its revocation"
                    );
                    accepted_until = accepted_until.max(asked);
                }
                // Failing closed (Redis too busy to answer in time) is a refusal too.
                Err(error) if error.category() == ErrorCategory::Unavailable => break,
                Err(other) => panic!("{other}"),
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    flood.await.unwrap();
    println!(
        "API keys, {FORGED} forged pushes: a revoked key was last accepted when asked \
         {accepted_until:?} after its revocation (bound {bound:?})"
    );
}

/// Issue 21, finding 13: a change made outside the library (`HSET ... revoked 1`) publishes
/// nothing, so an instance holding the record keeps using it (documented on
/// `RedisApiKeyStore`); publishing the id on the channel, as the documentation says to, makes
/// every instance read the record again.
#[tokio::test]
async fn a_record_changed_outside_the_library_is_seen_once_its_id_is_published() {
    let server = RedisServer::start().expect("redis-server must be installed (CI installs it)");
    let keys = ApiKeys::new(
        RedisApiKeyStore::builder(server.url())
            .prefix("outside:")
            .build()
            .unwrap(),
        "rpt",
    )
    .unwrap();
    let issued = keys
        .issue::<P>("bot", ["reports:read"], None)
        .await
        .unwrap();
    for _ in 0..100 {
        keys.verify(issued.raw()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let client = redis::Client::open(server.url()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("HSET")
        .arg(format!("outside:{}", issued.id()))
        .arg("revoked")
        .arg("1")
        .query_async(&mut raw)
        .await
        .unwrap();
    // Still accepted from memory: what the documentation warns about.
    assert!(keys.verify(issued.raw()).await.is_ok());
    let _: () = redis::cmd("PUBLISH")
        .arg("outside:events")
        .arg(issued.id())
        .query_async(&mut raw)
        .await
        .unwrap();
    let published = std::time::Instant::now();
    loop {
        match keys.verify(issued.raw()).await {
            Err(ApiKeyError::Revoked(_)) => break,
            Ok(_) => assert!(
                published.elapsed() < Duration::from_secs(1),
                "the published id was not read again within 1 s"
            ),
            Err(other) => panic!("{other}"),
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
