//! The audit events of API key issuance and revocation name who acted. In a test binary of its
//! own: it installs a `tracing` subscriber, and audit events are filtered by tracing's global
//! level, which other tests running in parallel without a subscriber would change under it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use authz_core::{api_key::ApiKeys, api_key::InMemoryApiKeyStore, audit::AUDIT_TARGET};

mod common;

use common::{ANY, P, key_caller, token_caller};

/// The audit events' fields, as strings (`Debug` ones quoted).
type Fields = HashMap<String, String>;

struct Capture(Arc<Mutex<Vec<(tracing::Level, Fields)>>>);

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
        struct Visit(Fields);
        impl tracing::field::Visit for Visit {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.0.insert(field.name().to_owned(), value.to_owned());
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.insert(field.name().to_owned(), format!("{value:?}"));
            }
        }
        let mut visit = Visit(Fields::new());
        event.record(&mut visit);
        if visit.0.get("event").map(String::as_str) == Some("api_key") {
            let level = *event.metadata().level();
            self.0.lock().unwrap().push((level, visit.0));
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// The gap: issuance and revocation events did not say who acted. Each now names the acting
/// subject, and the acting key id when the caller is an API key; never a secret.
#[tokio::test]
async fn issuance_and_revocation_events_name_the_actor() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let _guard = tracing::subscriber::set_default(Capture(seen.clone()));
    let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "rpt")
        .unwrap()
        .service_accounts(["ops-bot", "ci-bot"]);
    let admin = token_caller("root", &["admin"]).await;
    let manager = keys
        .issue_by(&admin, ANY, "ops-bot", ["keys:manage"], None)
        .await
        .unwrap();
    let bot = key_caller(&keys, manager.raw()).await;
    let _ = keys
        .issue_by(&bot, ANY, "ci-bot", ["reports:read"], None)
        .await
        .unwrap_err();
    let child = keys
        .issue_by(&bot, ANY, "ops-bot", ["keys:manage"], None)
        .await
        .unwrap();
    let _ = keys.revoke_by(&bot, ANY, manager.id()).await.unwrap();
    let alices = keys
        .issue::<P>("alice", ["reports:read"], None)
        .await
        .unwrap();
    let _ = keys.revoke_by(&bot, ANY, alices.id()).await.unwrap_err();

    let seen = seen.lock().unwrap();
    let summary: Vec<_> = seen
        .iter()
        .map(|(level, f)| {
            let get = |name: &str| f.get(name).cloned().unwrap_or_default();
            (
                *level,
                get("action"),
                get("key_id"),
                get("key_subject"),
                get("actor"),
                get("actor_issuer"),
                get("actor_key_id"),
            )
        })
        .collect();
    let q = |s: &str| format!("{s:?}");
    use tracing::Level;
    let root_issuer = q("https://id.test");
    assert_eq!(
        summary,
        [
            (
                Level::INFO,
                "issued".into(),
                manager.id().into(),
                q("ops-bot"),
                q("root"),
                root_issuer,
                "".into()
            ),
            (
                Level::WARN,
                "issue_refused".into(),
                "".into(),
                q("ci-bot"),
                q("ops-bot"),
                q(""),
                manager.id().into()
            ),
            (
                Level::INFO,
                "issued".into(),
                child.id().into(),
                q("ops-bot"),
                q("ops-bot"),
                q(""),
                manager.id().into()
            ),
            (
                Level::INFO,
                "revoked".into(),
                manager.id().into(),
                q("ops-bot"),
                q("ops-bot"),
                q(""),
                manager.id().into()
            ),
            (
                Level::WARN,
                "revoke_refused".into(),
                alices.id().into(),
                q("alice"),
                q("ops-bot"),
                q(""),
                manager.id().into()
            ),
        ]
    );
    assert_eq!(seen[0].1["permissions"], "keys:manage");
    assert!(
        seen[1].1["reason"].contains("keys:manage_any"),
        "{:?}",
        seen[1].1
    );
    // `prefix_id_secret`, and the secret's base64url alphabet has `_` too: splitting at the
    // last `_` could leave a character or two that any hex id contains.
    let secret = |raw: &str| raw.splitn(3, '_').nth(2).unwrap().to_owned();
    for (_, fields) in seen.iter() {
        for value in fields.values() {
            for raw in [manager.raw(), child.raw(), alices.raw()] {
                assert!(!value.contains(&secret(raw)), "{value}");
            }
        }
    }
}
