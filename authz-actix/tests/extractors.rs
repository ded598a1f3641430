//! The extractors beyond the kit: the optional caller (and the `Option<T>` trap it avoids),
//! one authentication per request when a handler takes the caller beside its guard, and
//! `#[require]` stacked with actix-web's own routing macros.

use actix_web::{App, HttpResponse, test, web};
use authz_actix::{Auth, MaybeAuth, Routes};
use authz_core::testkit::fixture::{CountingRevocation, Fixture, NotesClaims, notes};
use authz_core::{Gate, public, require};

type Authz = authz_actix::Authz<notes::Policy, NotesClaims>;

struct Setup {
    fixture: Fixture,
    gate: Gate,
    validations: CountingRevocation,
}

fn setup() -> Setup {
    let fixture = Fixture::new();
    let (gate, validations) = fixture.counting_gate();
    Setup {
        fixture,
        gate,
        validations,
    }
}

impl Setup {
    /// A token of `vic`, a viewer.
    fn viewer(&self) -> String {
        self.fixture.token("vic", &["viewer"])
    }

    /// The same claims, signed by a key nobody trusts.
    fn forged(&self) -> String {
        let mut claims = self.fixture.claims("vic");
        claims["roles"] = serde_json::json!(["viewer"]);
        self.fixture.forger().mint(&claims)
    }
}

#[public]
async fn whoami(caller: MaybeAuth<Authz>) -> String {
    caller
        .as_ref()
        .and_then(|c| c.subject())
        .unwrap_or("anonymous")
        .to_owned()
}

/// What the guide warns against: actix-web serves an `Option` extractor's error as `None`.
async fn whoami_naive(caller: Option<Auth<Authz>>) -> String {
    caller
        .as_ref()
        .and_then(|c| c.subject())
        .unwrap_or("anonymous")
        .to_owned()
}

#[require(permission = "notes:read")]
async fn both(me: Auth<Authz>) -> String {
    me.subject().unwrap_or_default().to_owned()
}

async fn call(gate: &Gate, path: &str, token: Option<&str>) -> (u16, String) {
    let routes = Routes::new().get("/whoami", whoami).get("/both", both);
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(gate.clone()))
            .configure(routes.configure())
            // Outside the guarantee: registered on the App directly, with no guard.
            .route("/naive", web::get().to(whoami_naive))
            .service(stacked),
    )
    .await;
    let mut request = test::TestRequest::get().uri(path);
    if let Some(token) = token {
        request = request.insert_header(("authorization", format!("Bearer {token}")));
    }
    let response = test::call_service(&app, request.to_request()).await;
    let status = response.status().as_u16();
    let body = test::read_body(response).await;
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[actix_web::test]
async fn an_optional_caller_is_none_without_credentials_and_refuses_bad_ones() {
    let s = setup();
    assert_eq!(
        call(&s.gate, "/whoami", None).await,
        (200, "anonymous".into())
    );
    assert_eq!(
        call(&s.gate, "/whoami", Some(&s.viewer())).await,
        (200, "vic".into())
    );
    let (status, body) = call(&s.gate, "/whoami", Some(&s.forged())).await;
    assert_eq!(status, 401);
    assert!(body.contains("\"status\":401"), "{body}");
}

#[actix_web::test]
async fn option_of_auth_serves_a_forged_token_as_anonymous() {
    // Why `MaybeAuth` exists: this is actix-web's `Option<T>`, not a bug of the adapter.
    let s = setup();
    assert_eq!(
        call(&s.gate, "/naive", Some(&s.forged())).await,
        (200, "anonymous".into())
    );
}

#[actix_web::test]
async fn a_handler_taking_the_caller_beside_its_guard_authenticates_once() {
    let s = setup();
    assert_eq!(
        call(&s.gate, "/both", Some(&s.viewer())).await,
        (200, "vic".into())
    );
    assert_eq!(s.validations.count(), 1);
    assert_eq!(call(&s.gate, "/both", None).await.0, 401);
}

#[actix_web::get("/stacked")]
#[require(permission = "notes:read")]
async fn stacked() -> HttpResponse {
    HttpResponse::Ok().body("stacked")
}

#[actix_web::test]
async fn require_works_under_actix_routing_macros() {
    let s = setup();
    assert_eq!(call(&s.gate, "/stacked", None).await.0, 401);
    assert_eq!(
        call(&s.gate, "/stacked", Some(&s.viewer())).await,
        (200, "stacked".into())
    );
}

#[actix_web::test]
async fn without_a_gate_in_the_app_data_guards_answer_500() {
    let app =
        test::init_service(App::new().configure(Routes::new().get("/both", both).configure()))
            .await;
    let response =
        test::call_service(&app, test::TestRequest::get().uri("/both").to_request()).await;
    assert_eq!(response.status().as_u16(), 500);
}
