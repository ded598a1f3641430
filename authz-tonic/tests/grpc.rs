//! The tonic adapter through a real tonic client and server on loopback: the route table names
//! the full methods; API keys are read from the same `authorization` entry, and nothing else
//! counts as credentials; no token is echoed.

mod common;

use authz_core::api_key::{ApiKeys, InMemoryApiKeyStore};
use authz_core::testkit::conformance::{AUDIENCE, ISSUER, docs};
use authz_core::testkit::{TestKey, claims_for};
use authz_core::{Algorithm, Gate, Validator};
use authz_tonic::GuardedService as _;
use authz_tonic_protos::conformance::Empty;
use common::{DocsService, client, serve, with_authorization};
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

#[test]
fn the_route_table_lists_every_method_by_its_full_name() {
    assert_eq!(
        DocsService::route_table().to_string(),
        "\
RPC     /authz.conformance.Docs/Public  public
RPC     /authz.conformance.Docs/Read    permission(docs:read)
RPC     /authz.conformance.Docs/Write   permission(docs:write)
RPC     /authz.conformance.Docs/Note    permission(docs:read)
RPC     /authz.conformance.Docs/Whoami  public
RPC     /authz.conformance.Docs/Watch   permission(docs:read)
RPC     /authz.conformance.Docs/Upload  permission(docs:write)
RPC     /authz.conformance.Docs/Chat    permission(docs:read)
"
    );
    assert_eq!(DocsService::SERVICE, "authz.conformance.Docs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_read_from_the_authorization_entry() {
    let setup = Setup::new();
    let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "azk").unwrap();
    let bot = keys
        .issue::<docs::Policy>("ci-bot", ["docs:read"], None)
        .await
        .unwrap();
    let (address, _) = serve(setup.gate().api_keys(keys)).await;
    let mut client = client(address).await;

    let reply = client
        .read(with_authorization(Empty {}, &bearer(bot.raw())))
        .await
        .unwrap();
    assert_eq!(reply.into_inner().text, "doc");
    let status = client
        .write(with_authorization(Empty {}, &bearer(bot.raw())))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    // A key of the right shape that was never issued: refused, and not echoed anywhere.
    let unknown = format!("{}x", &bot.raw()[..bot.raw().len() - 1]);
    let unknown = if unknown == bot.raw() {
        format!("{}y", &bot.raw()[..bot.raw().len() - 1])
    } else {
        unknown
    };
    let status = client
        .read(with_authorization(Empty {}, &bearer(&unknown)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(!status.message().contains(&unknown));
    assert!(
        status
            .metadata()
            .clone()
            .into_headers()
            .values()
            .all(|v| !String::from_utf8_lossy(v.as_bytes()).contains(&unknown[4..]))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_elsewhere_than_the_authorization_entry_are_ignored() {
    let setup = Setup::new();
    let (address, _) = serve(setup.gate()).await;
    let mut client = client(address).await;
    let writer = setup.token("wes", &["writer"]);
    // A binary entry and another name carry the token: neither counts.
    let mut request = tonic::Request::new(Empty {});
    request.metadata_mut().insert_bin(
        "authorization-bin",
        tonic::metadata::MetadataValue::from_bytes(format!("Bearer {writer}").as_bytes()),
    );
    request
        .metadata_mut()
        .insert("x-access-token", writer.parse().unwrap());
    let status = client.write(request).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(
        status.metadata().get("www-authenticate").unwrap(),
        "Bearer realm=\"docs\""
    );
}
