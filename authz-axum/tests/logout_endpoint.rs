//! The ready back-channel logout endpoint (issue 23 item 5): a provider's logout revokes the
//! session's access tokens, a replay and a malformed request get 400 with the OAuth error body,
//! every answer is `no-store`, and the route table lists the route as public.

use std::sync::Arc;

use authz_axum::{Gate, Router, get};
use authz_core::require;
use authz_core::testkit::claims_for;
use authz_core::testkit::fixture::{Fixture, ISSUER as ISS, NotesClaims, notes};
use authz_core::token::{BackChannelLogout, InMemoryRevocation};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

type Authz = authz_axum::Authz<notes::Policy, NotesClaims>;

#[require(permission = "notes:read")]
async fn reports() -> &'static str {
    "reports"
}

fn app(fixture: &Fixture) -> (Router<Gate>, axum::Router) {
    let revocations = Arc::new(InMemoryRevocation::new());
    let validator = |audience: &str| {
        fixture
            .validator_builder_for(audience)
            .revocation_store(revocations.clone())
            .build()
            .unwrap()
    };
    let logout = BackChannelLogout::new(validator("reports-web"), &validator("reports")).unwrap();
    let router = Router::new()
        .route("/reports", get(reports))
        .backchannel_logout("/backchannel-logout", logout);
    let served = Router::new()
        .route("/reports", get(reports))
        .backchannel_logout(
            "/backchannel-logout",
            BackChannelLogout::new(validator("reports-web"), &validator("reports")).unwrap(),
        )
        .into_axum()
        .with_state(Gate::new(validator("reports")));
    (router, served)
}

async fn post_form(
    app: &axum::Router,
    content_type: &str,
    body: String,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = app
        .clone()
        .oneshot(
            Request::post("/backchannel-logout")
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

async fn get_reports(app: &axum::Router, token: &str) -> StatusCode {
    app.clone()
        .oneshot(
            Request::get("/reports")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_logout_revokes_the_session_and_a_replay_is_refused() {
    let fixture = Fixture::new();
    let key = fixture.key();
    let (router, app) = app(&fixture);
    assert!(
        router
            .route_table()
            .to_string()
            .contains("POST    /backchannel-logout  public")
    );
    let mut claims = claims_for(ISS, "reports", "ann");
    claims["roles"] = serde_json::json!(["viewer"]);
    claims["sid"] = serde_json::json!("s-1");
    let access = key.mint(&claims);
    assert_eq!(get_reports(&app, &access).await, StatusCode::OK);

    let logout = key.logout_token(ISS, "reports-web", Some("ann"), Some("s-1"));
    let form = format!("logout_token={logout}");
    let (status, headers, body) =
        post_form(&app, "application/x-www-form-urlencoded", form.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(body.is_empty());
    assert_eq!(get_reports(&app, &access).await, StatusCode::UNAUTHORIZED);

    // The same logout token again: a replay.
    let (status, headers, body) = post_form(&app, "application/x-www-form-urlencoded", form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["error"], "invalid_request");
    assert_eq!(
        error["error_description"],
        "the logout token was received before"
    );
    assert!(!body.contains(&logout), "the token is never echoed");
}

#[tokio::test]
async fn a_request_that_is_no_logout_form_is_a_bad_request() {
    let fixture = Fixture::new();
    let key = fixture.key();
    let (_, app) = app(&fixture);
    let logout = key.logout_token(ISS, "reports-web", Some("ann"), None);
    for (content_type, body, why) in [
        (
            "application/json",
            format!("{{\"logout_token\":\"{logout}\"}}"),
            "expected an application/x-www-form-urlencoded body",
        ),
        (
            "application/x-www-form-urlencoded",
            "token=x".to_owned(),
            "expected a form body with logout_token",
        ),
        (
            "application/x-www-form-urlencoded",
            "a".repeat(20_000),
            "the request body is too large",
        ),
        (
            "application/x-www-form-urlencoded",
            "logout_token=not.a.token".to_owned(),
            "the token is malformed",
        ),
    ] {
        let (status, headers, body) = post_form(&app, content_type, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error_description"], why);
    }
}

#[tokio::test]
async fn the_store_is_given_once_and_a_logout_without_it_cannot_be_built() {
    let fixture = Fixture::new();
    let key = fixture.key();
    let validator = |audience: &str| fixture.validator_builder_for(audience);
    // A read-only hook: the receiver would revoke into a store no validator reads.
    let hook_only = Gate::new(
        validator("reports")
            .revocation(Arc::new(InMemoryRevocation::new()))
            .build()
            .unwrap(),
    );
    let error = hook_only
        .backchannel_logout(validator("reports-web").build().unwrap())
        .unwrap_err();
    assert!(error.to_string().contains("revocation_store"), "{error}");

    // Given once, to the validator: the receiver the gate builds writes where tokens are read.
    let gate = Gate::new(
        validator("reports")
            .revocation_store(InMemoryRevocation::new())
            .build()
            .unwrap(),
    );
    let logout = gate
        .backchannel_logout(validator("reports-web").build().unwrap())
        .unwrap();
    let app = Router::new()
        .route("/reports", get(reports))
        .backchannel_logout("/backchannel-logout", logout)
        .into_axum()
        .with_state(gate);
    let mut claims = claims_for(ISS, "reports", "ann");
    claims["roles"] = serde_json::json!(["viewer"]);
    let access = key.mint(&claims);
    assert_eq!(get_reports(&app, &access).await, StatusCode::OK);
    let logout = key.logout_token(ISS, "reports-web", Some("ann"), None);
    let (status, _, body) = post_form(
        &app,
        "application/x-www-form-urlencoded",
        format!("logout_token={logout}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(get_reports(&app, &access).await, StatusCode::UNAUTHORIZED);
}
