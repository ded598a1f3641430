//! API keys: issuance, hash-only storage, verification, expiry, revocation, on the in-memory
//! store and on a real `redis-server` started on loopback by the test itself.

use std::time::Duration;

use authz_core::test_util::RedisServer;
use authz_core::{
    ApiKeyError, ApiKeyStore, ApiKeys, ErrorCategory, InMemoryApiKeyStore, IssueError,
    RedisApiKeyStore,
};

authz_core::policy! {
    /// Reports.
    pub mod reports {
        permissions { "reports:read", "reports:write" }
    }
}

type P = reports::Policy;

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
    let secret = issued.raw().rsplit('_').next().unwrap().to_owned();
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
    let store = RedisApiKeyStore::new(&server.url(), "test:apikey:").unwrap();
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
        RedisApiKeyStore::new(&server.url(), "test:apikey:").unwrap(),
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

    // Redis down: verification fails closed (503 category), then recovers.
    let live = keys
        .issue::<P>("bot", ["reports:read"], None)
        .await
        .unwrap();
    server.stop();
    let error = keys.verify(live.raw()).await.unwrap_err();
    assert_eq!(error.category(), ErrorCategory::Unavailable);
    server.restart().unwrap();
    // A restarted server has no data (no persistence in tests): the key is now unknown, which
    // proves the store reconnected and asked.
    assert!(matches!(
        keys.verify(live.raw()).await,
        Err(ApiKeyError::Unknown(_))
    ));
}

#[tokio::test]
async fn a_store_that_cannot_be_reached_refuses_issuance() {
    let store = RedisApiKeyStore::new("redis://127.0.0.1:1/", "x:").unwrap();
    assert!(store.get("0123456789abcdef").await.is_err());
    let keys = ApiKeys::new(store, "rpt").unwrap();
    assert!(matches!(
        keys.issue::<P>("a", ["reports:read"], None).await,
        Err(IssueError::Store(_))
    ));
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
        ) -> authz_core::BoxFuture<
            'a,
            Result<Option<authz_core::ApiKeyRecord>, authz_core::StoreError>,
        > {
            self.inner.get(id)
        }
        fn insert(
            &self,
            record: authz_core::ApiKeyRecord,
        ) -> authz_core::BoxFuture<'_, Result<(), authz_core::StoreError>> {
            self.inner.insert(record)
        }
        fn revoke<'a>(
            &'a self,
            id: &'a str,
        ) -> authz_core::BoxFuture<'a, Result<bool, authz_core::StoreError>> {
            self.inner.revoke(id)
        }
        fn touch<'a>(
            &'a self,
            id: &'a str,
            at: u64,
        ) -> authz_core::BoxFuture<'a, Result<(), authz_core::StoreError>> {
            self.touches
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.inner.touch(id, at)
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
