//! Issue 15 through axum: tokens in a cookie with the CSRF defence, and step-up
//! authentication (RFC 9470), each attack performed and refused.

use authz_axum::{Gate, Router, get};
use authz_core::gate::StepUpPolicy;
use authz_core::requirement::StepUp;
use authz_core::testkit::{TestKey, claims_for, now};
use authz_core::{Algorithm, Validator, require};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt;
use serde_json::json;
use std::time::Duration;
use tower::ServiceExt;

authz_core::policy! {
    /// Payments.
    pub mod payments {
        permissions {
            /// See payments.
            "payments:read",
            /// Send money.
            "payments:send",
        }
        roles {
            /// Everything.
            "treasurer" = ["payments:read", "payments:send"],
        }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
    #[serde(default)]
    #[claims(roles)]
    roles: Vec<String>,
    acr: Option<String>,
    auth_time: Option<u64>,
}

type Authz = authz_axum::Authz<payments::Policy, Token>;

#[require(permission = "payments:read")]
async fn list() -> &'static str {
    "payments"
}

#[require(permission = "payments:read")]
async fn note() -> &'static str {
    "noted"
}

/// Sending money: a fresh multi-factor login (the requirement written inline).
#[require(StepUp<payments::perm::PaymentsSend>)]
async fn send() -> &'static str {
    "sent"
}

const COOKIE: &str = "__Host-access_token";
const APP: &str = "https://app.example.com";

fn service(key: &TestKey) -> axum::Router {
    let validator = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(key.verification_key())
        .issuer("https://id.example")
        .audience("payments")
        .build()
        .unwrap();
    let gate = Gate::new(validator)
        .realm("payments")
        .cookie(COOKIE)
        .allowed_origins([APP])
        .step_up(StepUpPolicy::acr(["mfa", "phr"]).max_age(Duration::from_secs(300)));
    Router::new()
        .route("/payments", get(list).post(note))
        .route("/payments/send", authz_axum::post(send))
        .into_axum()
        .with_state(gate)
}

fn token(key: &TestKey, extra: serde_json::Value) -> String {
    let mut claims = claims_for("https://id.example", "payments", "tess");
    claims["roles"] = json!(["treasurer"]);
    for (name, value) in extra.as_object().unwrap() {
        claims[name] = value.clone();
    }
    key.mint(&claims)
}

async fn send_request(app: &axum::Router, request: Request<Body>) -> Response {
    app.clone().oneshot(request).await.unwrap()
}

async fn body(response: Response) -> String {
    String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap()
}

fn with_cookie(method: &str, uri: &str, token: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, format!("theme=dark; {COOKIE}={token}"))
}

#[tokio::test]
async fn cookie_credentials_work_for_safe_methods() {
    let key = TestKey::generate(Algorithm::HS256, "k");
    let app = service(&key);
    let t = token(&key, json!({}));
    let response = send_request(
        &app,
        with_cookie("GET", "/payments", &t)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await, "payments");
    // No cookie, no header: 401 as ever.
    let response = send_request(&app, Request::get("/payments").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_cross_site_post_with_cookie_credentials_is_refused() {
    let key = TestKey::generate(Algorithm::HS256, "k");
    let app = service(&key);
    let t = token(&key, json!({}));
    // The attack: a page on another site makes the browser post to the API; the browser
    // attaches the cookie and says where the request comes from.
    for (fetch_site, origin) in [
        (Some("cross-site"), Some("https://evil.example")),
        (Some("same-site"), Some("https://other.example.com")),
        (None, Some("https://evil.example")),
        (Some("cross-site"), None),
        // An old browser, or a non-browser client pretending: no evidence at all.
        (None, None),
    ] {
        let mut request = with_cookie("POST", "/payments", &t);
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        let response = send_request(&app, request.body(Body::empty()).unwrap()).await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{fetch_site:?} {origin:?}"
        );
        assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let text = body(response).await;
        assert!(text.contains("cookie credentials"), "{text}");
        assert!(!text.contains(&t), "the token is never echoed");
    }
}

#[tokio::test]
async fn a_same_origin_or_allowed_origin_post_is_accepted() {
    let key = TestKey::generate(Algorithm::HS256, "k");
    let app = service(&key);
    let t = token(&key, json!({}));
    for request in [
        with_cookie("POST", "/payments", &t).header("sec-fetch-site", "same-origin"),
        with_cookie("POST", "/payments", &t).header("sec-fetch-site", "none"),
        with_cookie("POST", "/payments", &t)
            .header("sec-fetch-site", "same-site")
            .header(header::ORIGIN, APP),
        with_cookie("POST", "/payments", &t).header(header::ORIGIN, APP),
    ] {
        let response = send_request(&app, request.body(Body::empty()).unwrap()).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    // Bearer clients are not browsers: no CSRF evidence is asked of them.
    let response = send_request(
        &app,
        Request::post("/payments")
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_header_and_a_cookie_together_are_a_bad_request() {
    let key = TestKey::generate(Algorithm::HS256, "k");
    let app = service(&key);
    let t = token(&key, json!({}));
    let response = send_request(
        &app,
        with_cookie("GET", "/payments", &t)
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let challenge = response.headers()[header::WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains("error=\"invalid_request\""),
        "{challenge}"
    );
}

fn step_up_challenge(response: &Response) -> String {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    response.headers()[header::WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn step_up_is_demanded_with_the_rfc_9470_challenge() {
    let key = TestKey::generate(Algorithm::HS256, "k");
    let app = service(&key);
    let post = |t: String| {
        Request::post("/payments/send")
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .body(Body::empty())
            .unwrap()
    };
    let fresh = now() - 10;
    for (claims, why) in [
        (json!({ "auth_time": fresh }), "no acr"),
        (json!({ "acr": "pwd", "auth_time": fresh }), "a weaker acr"),
        (
            json!({ "acr": "mfa", "auth_time": now() - 3600 }),
            "an hour-old login",
        ),
        (json!({ "acr": "mfa" }), "no auth_time with a max_age"),
    ] {
        let response = send_request(&app, post(token(&key, claims))).await;
        let challenge = step_up_challenge(&response);
        assert!(
            challenge.contains("error=\"insufficient_user_authentication\""),
            "{why}: {challenge}"
        );
        assert!(
            challenge.contains("acr_values=\"mfa phr\""),
            "{why}: {challenge}"
        );
        assert!(challenge.contains("max_age=300"), "{why}: {challenge}");
        assert!(
            challenge.contains("error_description="),
            "{why}: {challenge}"
        );
    }
    // After a fresh multi-factor login.
    let response = send_request(
        &app,
        post(token(&key, json!({ "acr": "phr", "auth_time": fresh }))),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await, "sent");
    // Routes that need no step-up do not ask for one.
    let response = send_request(
        &app,
        Request::get("/payments")
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", token(&key, json!({}))),
            )
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}
