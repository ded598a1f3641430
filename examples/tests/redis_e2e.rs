//! Shared revocation end to end: two `reports-api` processes (the real binary) with one
//! `redis-server` started by this test (Debian package `redis-server`; without it this test
//! fails and says so). A token revoked through one instance is refused by the other; with Redis
//! killed both refuse with 503 and `Retry-After` (fail closed); once Redis is back on the same
//! port they serve again without a restart.

mod common;

use common::ReportsApi;
use std::time::Duration;

use authz_core::Algorithm;
use authz_core::testkit::{JwksServer, RedisServer, TestKey, claims_for, now};
use serde_json::{Value, json};

const ISSUER: &str = "https://id.redis-e2e.test";
const AUDIENCE: &str = "reports-api";

/// `reports-api` on `redis_url`, checking that it says so and never prints the URL.
fn start(jwks_url: &str, redis_url: &str) -> ReportsApi {
    let instance = ReportsApi::start(&[
        ("AUTHZ_JWKS_URL", jwks_url),
        ("AUTHZ_ISSUER", ISSUER),
        ("AUTHZ_AUDIENCE", AUDIENCE),
        ("AUTHZ_REDIS_URL", redis_url),
    ]);
    assert!(
        instance
            .startup
            .iter()
            .any(|line| line.starts_with("revocations: shared on Redis")),
        "reports-api did not say it uses Redis"
    );
    assert!(!instance.startup.iter().any(|line| line.contains(redis_url)));
    instance
}

fn token(key: &TestKey, sub: &str, roles: &[&str], jti: &str) -> String {
    let mut claims = claims_for(ISSUER, AUDIENCE, sub);
    claims["roles"] = json!(roles);
    claims["jti"] = json!(jti);
    key.mint(&claims)
}

struct Answer {
    status: u16,
    challenge: Option<String>,
    retry_after: Option<String>,
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request");
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &reqwest::header::HeaderValue| v.to_str().expect("ascii").to_owned())
    };
    Answer {
        status: response.status().as_u16(),
        challenge: header("www-authenticate"),
        retry_after: header("retry-after"),
    }
}

async fn read(client: &reqwest::Client, on: &ReportsApi, token: &str) -> Answer {
    send(client.get(on.url("/reports/r1")).bearer_auth(token)).await
}

async fn revoke(client: &reqwest::Client, on: &ReportsApi, admin: &str, body: Value) -> u16 {
    send(
        client
            .post(on.url("/admin/revocations"))
            .bearer_auth(admin)
            .header("content-type", "application/json")
            .body(body.to_string()),
    )
    .await
    .status
}

fn assert_invalid_token(answer: &Answer, what: &str) {
    assert_eq!(answer.status, 401, "{what}");
    let challenge = answer.challenge.as_deref().unwrap_or_default();
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{what}: {challenge}"
    );
}

/// The answer once it is no longer a 200, or after the bound a revocation has to reach every
/// instance (1 s): revocations are pushed to the other instances, which takes milliseconds.
async fn within_bound<F: std::future::Future<Output = Answer>>(
    mut ask: impl FnMut() -> F,
) -> Answer {
    let start = std::time::Instant::now();
    loop {
        let answer = ask().await;
        if answer.status != 200 || start.elapsed() > Duration::from_secs(1) {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_revocations_on_redis_and_fail_closed_while_it_is_down() {
    let mut redis =
        RedisServer::start().expect("this test needs redis-server (Debian package redis-server)");
    let key = TestKey::generate(Algorithm::ES256, "ec-1");
    let jwks = JwksServer::start().await.expect("jwks server");
    jwks.set_keys(&[&key]);
    let a = start(&jwks.jwks_url(), &redis.url());
    let b = start(&jwks.jwks_url(), &redis.url());
    let client = reqwest::Client::new();

    let admin = token(&key, "root", &["admin"], "root-1");
    let stolen = token(&key, "alice", &["viewer"], "alice-1");
    let alice = token(&key, "alice", &["viewer"], "alice-2");
    let erin = token(&key, "erin", &["editor"], "erin-1");
    for instance in [&a, &b] {
        for t in [&stolen, &alice] {
            assert_eq!(read(&client, instance, t).await.status, 200);
        }
    }

    // A jti revoked through A is refused by B (and by A); alice's other token still works.
    assert_eq!(
        revoke(&client, &a, &admin, json!({"jti": "alice-1"})).await,
        204
    );
    assert_invalid_token(
        &within_bound(|| read(&client, &b, &stolen)).await,
        "revoked jti on B",
    );
    assert_invalid_token(&read(&client, &a, &stolen).await, "revoked jti on A");
    assert_eq!(read(&client, &b, &alice).await.status, 200);

    // Log erin out everywhere through B: A refuses the tokens she had.
    let erin_read = || send(client.get(a.url("/reports/r1")).bearer_auth(&erin));
    assert_eq!(erin_read().await.status, 403); // her token works (r1 is alice's)
    assert_eq!(
        revoke(
            &client,
            &b,
            &admin,
            json!({"sub": "erin", "before": now() + 1})
        )
        .await,
        204
    );
    assert_invalid_token(&within_bound(erin_read).await, "revoked subject on A");

    // Redis killed: both instances refuse every token with 503 and Retry-After, no challenge,
    // once they notice (a closed push channel is noticed at once, but not synchronously).
    redis.stop();
    for instance in [&a, &b] {
        within_bound(|| read(&client, instance, &alice)).await;
    }
    for instance in [&a, &b] {
        for t in [&alice, &stolen, &admin] {
            let answer = read(&client, instance, t).await;
            assert_eq!(answer.status, 503, "with Redis down");
            assert_eq!(answer.retry_after.as_deref(), Some("5"));
            assert_eq!(answer.challenge, None);
        }
    }
    assert_eq!(
        revoke(&client, &a, &admin, json!({"jti": "alice-2"})).await,
        503
    );

    // Back on the same port: both serve again, without a restart.
    redis.restart().expect("restart redis-server");
    for instance in [&a, &b] {
        let mut status = 0;
        for _ in 0..50 {
            status = read(&client, instance, &alice).await.status;
            if status == 200 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(status, 200, "not serving again after Redis came back");
    }
    // The restarted Redis persisted nothing (this test runs it with `--save ''`), so the old
    // revocations are gone; new ones are shared again.
    assert_eq!(
        revoke(&client, &b, &admin, json!({"jti": "alice-2"})).await,
        204
    );
    assert_invalid_token(
        &within_bound(|| read(&client, &a, &alice)).await,
        "revoked after recovery",
    );
}
