//! End to end: the `reports-api` binary as users run it, over real TCP, verifying tokens against
//! a JWKS served on loopback, with RS256, ES256 and EdDSA keys and a key rotation.

mod common;

use common::ReportsApi;

use authz_core::Algorithm;
use authz_core::testkit::{JwksServer, TestKey, claims_for};
use serde_json::{Value, json};

const ISSUER: &str = "https://id.e2e.test";
const AUDIENCE: &str = "reports-api";

/// `reports-api` verifying tokens against `jwks_url`.
fn start(jwks_url: &str) -> ReportsApi {
    ReportsApi::start(&[
        ("AUTHZ_JWKS_URL", jwks_url),
        ("AUTHZ_ISSUER", ISSUER),
        ("AUTHZ_AUDIENCE", AUDIENCE),
        ("AUTHZ_JWKS_COOLDOWN_SECS", "1"),
    ])
}

fn token(key: &TestKey, sub: &str, roles: &[&str]) -> String {
    let mut claims = claims_for(ISSUER, AUDIENCE, sub);
    claims["roles"] = json!(roles);
    key.mint(&claims)
}

async fn get(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
) -> (u16, Option<String>, Value) {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().expect("ascii").to_owned());
    let body = response.text().await.expect("body");
    (
        status,
        challenge,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_api_over_tcp_with_a_loopback_jwks() {
    let rsa = TestKey::generate(Algorithm::RS256, "rsa-1");
    let ec = TestKey::generate(Algorithm::ES256, "ec-1");
    let ed = TestKey::generate(Algorithm::EdDSA, "ed-1");
    let jwks = JwksServer::start().await.expect("jwks server");
    jwks.set_keys(&[&rsa, &ec, &ed]);
    let server = start(&jwks.jwks_url());
    let client = reqwest::Client::new();
    let url = |path: &str| server.url(path);

    let (status, _, body) = get(&client, url("/health"), None).await;
    assert_eq!((status, body), (200, Value::String("ok".into())));

    for key in [&rsa, &ec, &ed] {
        let (status, _, body) = get(
            &client,
            url("/reports/r1"),
            Some(&token(key, "alice", &["viewer"])),
        )
        .await;
        assert_eq!(status, 200, "{:?}", key.algorithm());
        assert_eq!(body["owner"], "alice");
    }

    let (status, challenge, _) = get(
        &client,
        url("/reports/r2"),
        Some(&token(&rsa, "alice", &["viewer"])),
    )
    .await;
    assert_eq!(status, 403);
    assert!(challenge.unwrap().contains(r#"error="insufficient_scope""#));

    let (status, challenge, _) = get(&client, url("/reports/r1"), None).await;
    assert_eq!(
        (status, challenge.as_deref()),
        (401, Some(r#"Bearer realm="reports-api""#))
    );

    // A key the JWKS does not publish: refused.
    let rotated = TestKey::generate(Algorithm::RS256, "rsa-2");
    let fresh = token(&rotated, "root", &["admin"]);
    let (status, challenge, _) = get(&client, url("/reports/r2"), Some(&fresh)).await;
    assert_eq!(status, 401);
    assert!(challenge.unwrap().contains(r#"error="invalid_token""#));

    // Rotation: once the JWKS publishes the new key, it is picked up without a restart (an
    // unknown kid triggers a refetch, rate-limited by the 1 s cooldown set above).
    jwks.set_keys(&[&rsa, &rotated]);
    let mut status = 0;
    for _ in 0..20 {
        status = get(&client, url("/reports/r2"), Some(&fresh)).await.0;
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(status, 200, "the rotated key was not picked up");
}

/// Issue 11, finding 8: a JWKS URL with credentials (a private IdP behind basic auth) is
/// printed at start-up without them.
#[tokio::test]
async fn credentials_in_the_jwks_url_are_not_printed() {
    let jwks = JwksServer::start().await.expect("jwks server");
    jwks.set_keys(&[&TestKey::generate(Algorithm::RS256, "rs")]);
    let url = jwks
        .jwks_url()
        .replacen("http://", "http://svc-user:s3cret-pw@", 1);
    let server = start(&url);
    let printed = server.startup.join("\n");
    assert!(printed.contains("verifying tokens against"), "{printed}");
    assert!(!printed.contains("s3cret-pw"), "{printed}");
    assert!(!printed.contains("svc-user"), "{printed}");
    assert!(printed.contains("[redacted]@127.0.0.1"), "{printed}");
}
