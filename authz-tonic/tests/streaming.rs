//! Streaming methods (server, client, bidirectional) are authorized once, when the call
//! starts: a refused call reads no message, an allowed one writes one audit event, naming the
//! full method, for the whole stream. Alone in its test binary: it records the process's
//! audit events.

mod common;

use std::sync::atomic::Ordering;

use authz_core::testkit::conformance::{AUDIENCE, ISSUER};
use authz_core::testkit::{TestKey, claims_for};
use authz_core::{Algorithm, Gate, Validator};
use authz_tonic_protos::conformance::{Empty, Text};
use common::{Recorder, client, route, serve, with_authorization};
use tokio_stream::StreamExt as _;
use tonic::Code;

fn bearer(token: &str) -> Vec<String> {
    vec![format!("Bearer {token}")]
}

/// A gate over one HS256 key, its tokens for `sub` with `roles`.
struct Setup {
    key: TestKey,
}

impl Setup {
    fn new() -> Self {
        Self {
            key: TestKey::generate(Algorithm::HS256, "k1"),
        }
    }

    fn gate(&self) -> Gate {
        let validator = Validator::builder()
            .algorithms([Algorithm::HS256])
            .key(self.key.verification_key())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap();
        Gate::new(validator).realm("docs")
    }

    fn token(&self, sub: &str, roles: &[&str]) -> String {
        let mut claims = claims_for(ISSUER, AUDIENCE, sub);
        claims["roles"] = serde_json::json!(roles);
        self.key.mint(&claims)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_methods_are_authorized_once_at_the_start_of_the_call() {
    let recorder = Recorder::global();
    let setup = Setup::new();
    let (address, read_messages) = serve(setup.gate()).await;
    let mut client = client(address).await;
    let reader = setup.token("ann", &["reader"]);
    let writer = setup.token("wes", &["writer"]);

    // Server streaming: refused without credentials before anything is sent.
    recorder.take();
    let status = client
        .watch(with_authorization(Empty {}, &[]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(
        status.metadata().get("www-authenticate").unwrap(),
        "Bearer realm=\"docs\""
    );
    let events = recorder.take();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].event, "authentication");
    assert_eq!(events[0].route.as_deref(), Some(route("Watch").as_str()));

    // Allowed: the caller reaches the body, one authorization event for the whole stream.
    let replies: Vec<String> = client
        .watch(with_authorization(Empty {}, &bearer(&reader)))
        .await
        .unwrap()
        .into_inner()
        .map(|m| m.unwrap().text)
        .collect()
        .await;
    assert_eq!(replies, ["ann 1", "ann 2", "ann 3"]);
    let events = recorder.take();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].decision.as_deref(), Some("allow"));
    assert_eq!(events[0].route.as_deref(), Some(route("Watch").as_str()));

    // Client streaming: a reader may not upload; refused, and not one message read.
    let messages = || tokio_stream::iter(["a", "b", "c"].map(|t| Text { text: t.into() }));
    let status = client
        .upload(with_authorization(messages(), &bearer(&reader)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let challenge = status.metadata().get("www-authenticate").unwrap();
    assert!(
        challenge
            .to_str()
            .unwrap()
            .contains("error=\"insufficient_scope\""),
        "{challenge:?}"
    );
    assert_eq!(read_messages.load(Ordering::SeqCst), 0);
    let events = recorder.take();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].decision.as_deref(), Some("deny"));
    assert_eq!(events[0].route.as_deref(), Some(route("Upload").as_str()));

    // A writer may: every message read, one authorization event.
    let reply = client
        .upload(with_authorization(messages(), &bearer(&writer)))
        .await
        .unwrap();
    assert_eq!(reply.into_inner().text, "a b c");
    assert_eq!(read_messages.load(Ordering::SeqCst), 3);
    assert_eq!(recorder.take().len(), 1);

    // Bidirectional: a forged token is refused before a message is read; a reader chats.
    read_messages.store(0, Ordering::SeqCst);
    let forged =
        TestKey::generate(Algorithm::HS256, "k1").mint(&claims_for(ISSUER, AUDIENCE, "ann"));
    let status = client
        .chat(with_authorization(messages(), &bearer(&forged)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(read_messages.load(Ordering::SeqCst), 0);
    let echoes: Vec<String> = client
        .chat(with_authorization(messages(), &bearer(&reader)))
        .await
        .unwrap()
        .into_inner()
        .map(|m| m.unwrap().text)
        .collect()
        .await;
    assert_eq!(echoes, ["echo a", "echo b", "echo c"]);
    assert_eq!(read_messages.load(Ordering::SeqCst), 3);
    let events = recorder.take();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        events
            .iter()
            .all(|e| e.route.as_deref() == Some(route("Chat").as_str())),
        "{events:?}"
    );
}
