//! Issue 15 end to end, on the `reports-api` binary over TCP with a loopback JWKS: tokens in a
//! cookie with the CSRF defence (`AUTHZ_COOKIE_NAME`, `AUTHZ_ALLOWED_ORIGINS`), step-up on the
//! admin routes (`AUTHZ_STEP_UP_ACR`), and back-channel logout (`AUTHZ_LOGOUT_CLIENT_ID`).

mod common;

use authz_core::Algorithm;
use authz_core::testkit::{JwksServer, TestKey, claims_for, now};
use authz_core::token::BACKCHANNEL_LOGOUT_EVENT;
use common::ReportsApi;
use serde_json::{Value, json};

const ISSUER: &str = "https://id.browser-e2e.test";
const AUDIENCE: &str = "reports-api";
const CLIENT: &str = "reports-web";
const COOKIE: &str = "__Host-access_token";
const APP: &str = "https://app.browser-e2e.test";

struct Setup {
    key: TestKey,
    _jwks: JwksServer,
    api: ReportsApi,
    http: reqwest::Client,
}

async fn setup() -> Setup {
    let key = TestKey::generate(Algorithm::RS256, "rsa-1");
    let jwks = JwksServer::start().await.expect("jwks server");
    jwks.set_keys(&[&key]);
    let api = ReportsApi::start(&[
        ("AUTHZ_JWKS_URL", &jwks.jwks_url()),
        ("AUTHZ_ISSUER", ISSUER),
        ("AUTHZ_AUDIENCE", AUDIENCE),
        ("AUTHZ_COOKIE_NAME", COOKIE),
        ("AUTHZ_ALLOWED_ORIGINS", APP),
        ("AUTHZ_STEP_UP_ACR", "mfa phr"),
        ("AUTHZ_STEP_UP_MAX_AGE_SECS", "300"),
        ("AUTHZ_LOGOUT_CLIENT_ID", CLIENT),
    ]);
    Setup {
        key,
        _jwks: jwks,
        api,
        http: reqwest::Client::new(),
    }
}

fn token(key: &TestKey, sub: &str, roles: &[&str], extra: Value) -> String {
    let mut claims = claims_for(ISSUER, AUDIENCE, sub);
    claims["roles"] = json!(roles);
    for (name, value) in extra.as_object().unwrap() {
        claims[name] = value.clone();
    }
    key.mint(&claims)
}

fn logout_token(key: &TestKey, jti: &str, extra: Value) -> String {
    let mut claims = json!({
        "iss": ISSUER, "aud": CLIENT, "iat": now(), "exp": now() + 120, "jti": jti,
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    });
    for (name, value) in extra.as_object().unwrap() {
        claims[name] = value.clone();
    }
    key.sign(
        &json!({ "alg": "RS256", "kid": key.kid(), "typ": "logout+jwt" }),
        &claims,
    )
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn get(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ascii").to_owned())
    }
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    Answer {
        status,
        headers,
        body: response.text().await.expect("body"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_credentials_with_the_csrf_defence() {
    let s = setup().await;
    let alice = token(&s.key, "alice", &["viewer"], json!({}));
    let erin = token(&s.key, "erin", &["editor"], json!({}));
    let cookie = |t: &str| format!("{COOKIE}={t}");

    // GET with the cookie: served.
    let a = send(
        s.http
            .get(s.api.url("/reports/r1"))
            .header("cookie", cookie(&alice)),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);

    let create = || {
        s.http
            .post(s.api.url("/reports"))
            .header("cookie", cookie(&erin))
            .header("content-type", "application/json")
            .body(r#"{"title":"draft"}"#)
    };
    // A cross-site POST: the browser sends the cookie and says where the page was.
    let a = send(
        create()
            .header("sec-fetch-site", "cross-site")
            .header("origin", "https://evil.test"),
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(a.get("www-authenticate"), None);
    assert_eq!(
        a.get("content-type").as_deref(),
        Some("application/problem+json")
    );
    // Neither header: refused too.
    assert_eq!(send(create()).await.status, 403);
    // Same origin, or an allowed origin: accepted.
    assert_eq!(
        send(create().header("sec-fetch-site", "same-origin"))
            .await
            .status,
        201
    );
    assert_eq!(send(create().header("origin", APP)).await.status, 201);
    // The header and the cookie together: 400 invalid_request.
    let a = send(
        s.http
            .get(s.api.url("/reports/r1"))
            .header("cookie", cookie(&alice))
            .bearer_auth(&alice),
    )
    .await;
    assert_eq!(a.status, 400);
    assert!(
        a.get("www-authenticate")
            .unwrap()
            .contains("invalid_request")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_demand_a_step_up_login() {
    let s = setup().await;
    let revoke = |t: String| {
        s.http
            .post(s.api.url("/admin/revocations"))
            .bearer_auth(t)
            .header("content-type", "application/json")
            .body(r#"{"jti":"some-token"}"#)
    };
    for (claims, why) in [
        (json!({ "auth_time": now() - 5 }), "no acr"),
        (
            json!({ "acr": "pwd", "auth_time": now() - 5 }),
            "a weaker acr",
        ),
        (
            json!({ "acr": "mfa", "auth_time": now() - 3600 }),
            "an old login",
        ),
    ] {
        let a = send(revoke(token(&s.key, "root", &["admin"], claims))).await;
        assert_eq!(a.status, 401, "{why}");
        let challenge = a.get("www-authenticate").unwrap();
        assert!(
            challenge.contains("insufficient_user_authentication"),
            "{why}: {challenge}"
        );
        assert!(
            challenge.contains(r#"acr_values="mfa phr""#),
            "{why}: {challenge}"
        );
        assert!(challenge.contains("max_age=300"), "{why}: {challenge}");
    }
    let fresh = token(
        &s.key,
        "root",
        &["admin"],
        json!({ "acr": "mfa", "auth_time": now() - 5 }),
    );
    assert_eq!(send(revoke(fresh)).await.status, 204);
    // Reading needs no step-up.
    let plain = token(&s.key, "root", &["admin"], json!({}));
    assert_eq!(
        send(s.http.get(s.api.url("/reports/r2")).bearer_auth(plain))
            .await
            .status,
        200
    );
}

async fn post_logout(s: &Setup, logout_token: &str) -> Answer {
    send(
        s.http
            .post(s.api.url("/backchannel-logout"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("logout_token={logout_token}")),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_channel_logout_revokes_by_sub_and_by_sid() {
    let s = setup().await;
    let read = |t: &str| {
        s.http
            .get(s.api.url("/reports/r1"))
            .bearer_auth(t.to_owned())
    };

    // By sub: alice's tokens issued before the logout stop working.
    let alice = token(&s.key, "alice", &["viewer"], json!({ "iat": now() - 30 }));
    assert_eq!(send(read(&alice)).await.status, 200);
    let logout = logout_token(&s.key, "bcl-1", json!({ "sub": "alice" }));
    let a = post_logout(&s, &logout).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.get("cache-control").as_deref(), Some("no-store"));
    let a = send(read(&alice)).await;
    assert_eq!(a.status, 401);
    assert!(a.get("www-authenticate").unwrap().contains("invalid_token"));

    // A replay of the same logout token: 400 with an OAuth error body.
    let a = post_logout(&s, &logout).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.get("cache-control").as_deref(), Some("no-store"));
    let body: Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(body["error"], "invalid_request");

    // By sid: the tokens of that session only.
    let laptop = token(
        &s.key,
        "alice",
        &["viewer"],
        json!({ "sid": "s-laptop", "iat": now() + 5 }),
    );
    let phone = token(
        &s.key,
        "alice",
        &["viewer"],
        json!({ "sid": "s-phone", "iat": now() + 5 }),
    );
    assert_eq!(send(read(&laptop)).await.status, 200);
    let a = post_logout(
        &s,
        &logout_token(&s.key, "bcl-2", json!({ "sid": "s-laptop" })),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(send(read(&laptop)).await.status, 401);
    assert_eq!(send(read(&phone)).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_logout_tokens_are_refused() {
    let s = setup().await;
    let bob = token(&s.key, "bob", &["viewer"], json!({ "iat": now() - 30 }));
    let other = TestKey::generate(Algorithm::RS256, "rsa-1");
    for (what, logout) in [
        (
            "nonce",
            logout_token(&s.key, "x-1", json!({ "sub": "bob", "nonce": "n" })),
        ),
        (
            "audience",
            logout_token(&s.key, "x-2", json!({ "sub": "bob", "aud": "reports-api" })),
        ),
        (
            "signature",
            logout_token(&other, "x-3", json!({ "sub": "bob" })),
        ),
    ] {
        let a = post_logout(&s, &logout).await;
        assert_eq!(a.status, 400, "{what}: {}", a.body);
        assert_eq!(
            a.get("cache-control").as_deref(),
            Some("no-store"),
            "{what}"
        );
        assert!(!a.body.contains(&logout), "{what}");
    }
    // Not a form at all.
    let a = send(s.http.post(s.api.url("/backchannel-logout")).body("{}")).await;
    assert_eq!(a.status, 400);
    // Bob is still logged in.
    let a = send(s.http.get(s.api.url("/reports/r2")).bearer_auth(bob)).await;
    assert_eq!(a.status, 200, "{}", a.body);
}
