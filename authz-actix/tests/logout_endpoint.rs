//! The ready back-channel logout endpoint on actix-web (issue 23 item 5): a provider's logout
//! revokes the session's access tokens, a replay gets 400 with the OAuth error body, every
//! answer is `no-store`, and the route table lists the route as public.

use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{App, test, web};
use authz_actix::Routes;
use authz_core::testkit::claims_for;
use authz_core::testkit::fixture::{Fixture, ISSUER as ISS, NotesClaims, notes};
use authz_core::token::{BackChannelLogout, InMemoryRevocation};
use authz_core::{Gate, require};

type Authz = authz_actix::Authz<notes::Policy, NotesClaims>;

#[require(permission = "notes:read")]
async fn reports() -> &'static str {
    "reports"
}

#[actix_web::test]
async fn a_logout_revokes_the_session_and_a_replay_is_refused() {
    let fixture = Fixture::new();
    let key = fixture.key();
    let revocations = Arc::new(InMemoryRevocation::new());
    let validator = |audience: &str| {
        fixture
            .validator_builder_for(audience)
            .revocation_store(revocations.clone())
            .build()
            .unwrap()
    };
    let routes = Routes::new().get("/reports", reports).backchannel_logout(
        "/backchannel-logout",
        BackChannelLogout::new(validator("reports-web"), &validator("reports")).unwrap(),
    );
    assert!(
        routes
            .route_table()
            .to_string()
            .contains("POST    /backchannel-logout  public")
    );
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(Gate::new(validator("reports"))))
            .configure(routes.configure()),
    )
    .await;

    let mut claims = claims_for(ISS, "reports", "ann");
    claims["roles"] = serde_json::json!(["viewer"]);
    claims["sid"] = serde_json::json!("s-1");
    let access = key.mint(&claims);
    let read = || {
        test::TestRequest::get()
            .uri("/reports")
            .insert_header((header::AUTHORIZATION, format!("Bearer {access}")))
            .to_request()
    };
    assert_eq!(
        test::call_service(&app, read()).await.status(),
        StatusCode::OK
    );

    let logout = key.logout_token(ISS, "reports-web", Some("ann"), Some("s-1"));
    let post = || {
        test::TestRequest::post()
            .uri("/backchannel-logout")
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(format!("logout_token={logout}"))
            .to_request()
    };
    let done = test::call_service(&app, post()).await;
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(
        done.headers().get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
    assert_eq!(
        test::call_service(&app, read()).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let replay = test::call_service(&app, post()).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        replay.headers().get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
    let body: serde_json::Value = test::read_body_json(replay).await;
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(
        body["error_description"],
        "the logout token was received before"
    );
}
