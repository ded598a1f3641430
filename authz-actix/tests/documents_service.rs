//! The documents-service example (`examples/documents-service.rs`, included below as it is),
//! attacked rule by rule: each attack is refused with its exact status and reason, beside the
//! request that the rule lets through.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header;
use actix_web::{App, test};
use authz_core::Algorithm;
use authz_core::testkit::{TestKey, now};
use serde_json::{Value, json};

// The example, as `cargo run` builds it; what it makes `pub` for these tests sits in a private
// module here.
#[path = "../examples/documents-service.rs"]
#[allow(unreachable_pub)]
mod service;

use service::{AUDIENCE, ISSUER, LOGOUT_CLIENT, SPA_ORIGIN, login};

const COOKIE: &str = "__Host-access_token";

/// What a test reads of a response.
#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    challenge: Option<String>,
    cache_control: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The problem body's `detail`.
    fn detail(&self) -> String {
        self.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

async fn answer<B: MessageBody>(response: ServiceResponse<B>) -> Answer {
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (content_type, challenge, cache_control) = (
        header(header::CONTENT_TYPE),
        header(header::WWW_AUTHENTICATE),
        header(header::CACHE_CONTROL),
    );
    let status = response.status().as_u16();
    let body = test::read_body(response).await;
    Answer {
        status,
        content_type,
        challenge,
        cache_control,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// A fresh copy of the service trusting `key` (seeded: doc-1 bob's and doc-2 carol's in acme,
/// doc-3 gus's in globex).
macro_rules! service {
    ($key:expr) => {{
        let state = service::app_state($key.verification_key()).unwrap();
        test::init_service(App::new().configure(state.configure())).await
    }};
}

/// Sends a request and reads the answer.
macro_rules! call {
    ($app:expr, $request:expr) => {
        answer(test::call_service(&$app, $request.to_request()).await).await
    };
}

fn key() -> TestKey {
    TestKey::generate(Algorithm::RS256, "kc")
}

/// A Keycloak access token of a password login (`acr` 1), living 5 minutes.
fn token(key: &TestKey, subject: &str, tenant: Option<&str>, role: &str) -> String {
    login(subject, tenant, role).mint(key)
}

fn bearer(method: &str, path: &str, token: &str) -> test::TestRequest {
    let request = match method {
        "GET" => test::TestRequest::get(),
        "POST" => test::TestRequest::post(),
        "DELETE" => test::TestRequest::delete(),
        _ => unreachable!(),
    };
    request
        .uri(path)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
}

fn create(title: &str) -> Value {
    json!({ "title": title })
}

#[actix_web::test]
async fn the_route_table_shows_every_rule_with_the_step_up() {
    let state = service::app_state(key().verification_key()).unwrap();
    assert_eq!(
        service::routes(&state).route_table().to_string(),
        "\
GET     /health                  public
POST    /documents               permission(documents:create)
GET     /documents/{id}          any(documents:read, documents:read_any_tenant)
POST    /documents/{id}/approve  permission(documents:approve)
DELETE  /documents/{id}          step-up(permission(documents:delete))
POST    /ci-keys                 permission(api_keys:manage)
POST    /backchannel-logout      public
"
    );
}

#[actix_web::test]
async fn another_tenants_document_is_absent_exactly_as_an_unknown_id() {
    let key = key();
    let app = service!(key);
    let bob = token(&key, "bob", Some("acme"), "member");
    let carol = token(&key, "carol", Some("acme"), "reviewer");
    let gus = token(&key, "gus", Some("globex"), "admin");
    let unknown = call!(app, bearer("GET", "/documents/doc-99", &bob));
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.challenge, None);
    assert_eq!(unknown.detail(), "not found");

    // Attacks: a member, a reviewer with `read_any`, and another tenant's admin probe ids.
    for (caller, method, path) in [
        (&bob, "GET", "/documents/doc-3"),
        (&carol, "GET", "/documents/doc-3"),
        (&gus, "GET", "/documents/doc-1"),
        (&gus, "POST", "/documents/doc-1/approve"),
    ] {
        let probe = call!(app, bearer(method, path, caller));
        assert_eq!(probe, unknown, "{method} {path}");
    }
    let unknown_approve = call!(app, bearer("POST", "/documents/doc-99/approve", &gus));
    assert_eq!(unknown_approve, unknown);

    // Within the tenant: a colleague's document without `read_any` is 403, not hidden.
    let colleague = call!(app, bearer("GET", "/documents/doc-2", &bob));
    assert_eq!(colleague.status, 403);
    assert_eq!(
        colleague.challenge.as_deref(),
        Some(
            r#"Bearer error="insufficient_scope", error_description="the token does not grant what this request requires", scope="documents:read_any""#
        )
    );

    // What the rule lets through: the owner, a reviewer of the tenant, support anywhere.
    let sam = token(&key, "sam", None, "support");
    for (caller, path) in [
        (&bob, "/documents/doc-1"),
        (&carol, "/documents/doc-1"),
        (&sam, "/documents/doc-3"),
    ] {
        assert_eq!(
            call!(app, bearer("GET", path, caller)).status,
            200,
            "{path}"
        );
    }
}

#[actix_web::test]
async fn the_author_may_not_approve() {
    let key = key();
    let app = service!(key);
    let carol = token(&key, "carol", Some("acme"), "reviewer");
    let created = call!(
        app,
        bearer("POST", "/documents", &carol).set_json(create("Budget"))
    );
    assert_eq!(created.status, 201);
    assert_eq!(created.json()["author"], "carol");
    let approve = format!(
        "/documents/{}/approve",
        created.json()["id"].as_str().unwrap()
    );

    let own = call!(app, bearer("POST", &approve, &carol));
    assert_eq!(own.status, 403);
    assert_eq!(
        own.detail(),
        "the creator of a resource may not also approve it"
    );
    assert_eq!(own.challenge, None, "no permission would fix it");

    let bob = token(&key, "bob", Some("acme"), "member");
    let member = call!(app, bearer("POST", &approve, &bob));
    assert_eq!(member.status, 403);
    assert!(
        member
            .challenge
            .unwrap()
            .contains(r#"scope="documents:approve""#)
    );

    let ann = token(&key, "ann", Some("acme"), "admin");
    let approved = call!(app, bearer("POST", &approve, &ann));
    assert_eq!(approved.status, 200);
    assert_eq!(approved.json()["approved_by"], "ann");
    assert_eq!(call!(app, bearer("POST", &approve, &ann)).status, 409);
}

#[actix_web::test]
async fn deletion_needs_a_fresh_multi_factor_login() {
    let key = key();
    let app = service!(key);
    let admin = |acr: &str, auth_time: u64| {
        login("ann", Some("acme"), "admin")
            .claim("acr", acr.into())
            .claim("auth_time", auth_time.into())
            .mint(&key)
    };

    // A password login, and a multi-factor login an hour old (the policy: 10 minutes).
    for (token, reason) in [
        (
            admin("1", now()),
            "a stronger authentication context (acr) is required",
        ),
        (
            admin("mfa", now() - 3600),
            "a more recent login is required",
        ),
    ] {
        let refused = call!(app, bearer("DELETE", "/documents/doc-2", &token));
        assert_eq!(refused.status, 401, "{reason}");
        assert_eq!(
            refused.challenge.unwrap(),
            format!(
                r#"Bearer realm="documents", error="insufficient_user_authentication", error_description="{reason}", acr_values="mfa", max_age=600"#
            )
        );
    }
    // A fresh multi-factor login without the permission.
    let bob = login("bob", Some("acme"), "member")
        .claim("acr", "mfa".into())
        .mint(&key);
    let member = call!(app, bearer("DELETE", "/documents/doc-2", &bob));
    assert_eq!(member.status, 403);
    assert!(
        member
            .challenge
            .unwrap()
            .contains(r#"scope="documents:delete""#)
    );
    // Another tenant's admin, stepped up: the document is absent to them.
    let gus = login("gus", Some("globex"), "admin")
        .claim("acr", "mfa".into())
        .mint(&key);
    assert_eq!(
        call!(app, bearer("DELETE", "/documents/doc-2", &gus)).status,
        404
    );

    let fresh = admin("mfa", now());
    let deleted = call!(app, bearer("DELETE", "/documents/doc-2", &fresh));
    assert_eq!(deleted.status, 204);
    assert_eq!(
        call!(app, bearer("GET", "/documents/doc-2", &fresh)).status,
        404
    );
}

fn with_cookie(method: &str, path: &str, cookie: &str) -> test::TestRequest {
    let request = match method {
        "GET" => test::TestRequest::get(),
        _ => test::TestRequest::post(),
    };
    request.uri(path).insert_header((header::COOKIE, cookie))
}

#[actix_web::test]
async fn the_spa_cookie_refuses_writes_from_other_sites() {
    let key = key();
    let app = service!(key);
    let cookie = format!(
        "{COOKIE}={}",
        token(&key, "carol", Some("acme"), "reviewer")
    );
    let post = || with_cookie("POST", "/documents", &cookie).set_json(create("Forged"));

    for (attack, headers, detail) in [
        (
            "another origin",
            vec![("origin", "https://evil.example")],
            "a state-changing request with cookie credentials from another origin",
        ),
        (
            "another site",
            vec![("sec-fetch-site", "cross-site")],
            "a state-changing request with cookie credentials from another site",
        ),
        (
            "no provenance",
            vec![],
            "a state-changing request with cookie credentials must send Sec-Fetch-Site or Origin",
        ),
    ] {
        let mut request = post();
        for header in headers {
            request = request.insert_header(header);
        }
        let refused = call!(app, request);
        assert_eq!(refused.status, 403, "{attack}");
        assert_eq!(refused.detail(), detail, "{attack}");
        assert_eq!(refused.challenge, None, "{attack}");
    }

    // The SPA's own requests: nothing was written by the refused ones (the next id is doc-4).
    let spa = call!(app, post().insert_header(("origin", SPA_ORIGIN)));
    assert_eq!(spa.status, 201);
    assert_eq!(spa.json()["id"], "doc-4");
    let same_origin = call!(app, post().insert_header(("sec-fetch-site", "same-origin")));
    assert_eq!(same_origin.status, 201);
    let read = call!(app, with_cookie("GET", "/documents/doc-1", &cookie));
    assert_eq!(read.status, 200, "reads need no provenance");
}

#[actix_web::test]
async fn a_planted_second_cookie_or_a_second_credential_is_refused() {
    let key = key();
    let app = service!(key);
    let carol = token(&key, "carol", Some("acme"), "reviewer");
    let gus = token(&key, "gus", Some("globex"), "admin");
    let planted = format!("{COOKIE}={gus}; {COOKIE}={carol}");
    let twice = call!(app, with_cookie("GET", "/documents/doc-1", &planted));
    assert_eq!(twice.status, 400);
    assert_eq!(
        twice.challenge.as_deref(),
        Some(
            r#"Bearer realm="documents", error="invalid_request", error_description="the credentials cookie is sent more than once""#
        )
    );

    let both = with_cookie("GET", "/documents/doc-1", &format!("{COOKIE}={carol}"))
        .insert_header((header::AUTHORIZATION, format!("Bearer {carol}")));
    let both = call!(app, both);
    assert_eq!(both.status, 400);
    assert_eq!(
        both.detail(),
        "credentials in both the Authorization header and a cookie"
    );
}

#[actix_web::test]
async fn the_ci_bots_key_stays_in_its_issuers_tenant() {
    let key = key();
    let app = service!(key);
    let ann = token(&key, "ann", Some("acme"), "admin");
    let issued = call!(app, bearer("POST", "/ci-keys", &ann));
    assert_eq!(issued.status, 201);
    let issued = issued.json();
    assert_eq!(
        (&issued["sub"], &issued["tenant"]),
        (&json!("ci-bot"), &json!("acme"))
    );
    let bot = issued["key"].as_str().unwrap().to_owned();
    assert!(bot.starts_with("doc_"));

    // Its tenant's documents: read and written as `ci-bot`, in acme.
    assert_eq!(
        call!(app, bearer("GET", "/documents/doc-1", &bot)).status,
        200
    );
    let written = call!(
        app,
        bearer("POST", "/documents", &bot).set_json(create("Build 7"))
    );
    assert_eq!(written.status, 201);
    assert_eq!(
        (&written.json()["tenant"], &written.json()["author"]),
        (&json!("acme"), &json!("ci-bot"))
    );

    // Attacks: another tenant's document, as an unknown id; what the key was not given.
    let unknown = call!(app, bearer("GET", "/documents/doc-99", &bot));
    assert_eq!(unknown.status, 404);
    assert_eq!(call!(app, bearer("GET", "/documents/doc-3", &bot)), unknown);
    let approve = call!(app, bearer("POST", "/documents/doc-1/approve", &bot));
    assert_eq!(approve.status, 403);
    assert!(
        approve
            .challenge
            .unwrap()
            .contains(r#"scope="documents:approve""#)
    );
    // A key in the cookie would ride along with cross-site requests: refused.
    let in_cookie = call!(
        app,
        with_cookie("GET", "/documents/doc-1", &format!("{COOKIE}={bot}"))
    );
    assert_eq!(in_cookie.status, 401);
    assert!(
        in_cookie
            .challenge
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );
    // Issuing needs `api_keys:manage`: a member is refused before any key exists.
    let bob = token(&key, "bob", Some("acme"), "member");
    let member = call!(app, bearer("POST", "/ci-keys", &bob));
    assert_eq!(member.status, 403);
    assert!(
        member
            .challenge
            .unwrap()
            .contains(r#"scope="api_keys:manage""#)
    );
}

#[actix_web::test]
async fn a_back_channel_logout_revokes_the_sessions_tokens() {
    let key = key();
    let app = service!(key);
    let session = |sid: &str| {
        login("carol", Some("acme"), "reviewer")
            .claim("sid", sid.into())
            .mint(&key)
    };
    let (ended, other) = (session("s-1"), session("s-2"));
    let read = |token: &str| bearer("GET", "/documents/doc-1", token);
    assert_eq!(call!(app, read(&ended)).status, 200);
    let logout = |token: &str| {
        test::TestRequest::post()
            .uri("/backchannel-logout")
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(format!("logout_token={token}"))
    };

    // A logout token addressed to this API rather than the SPA's client: refused, no effect.
    let misaddressed = key.logout_token(ISSUER, AUDIENCE, None, Some("s-1"));
    let refused = call!(app, logout(&misaddressed));
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["error"], "invalid_request");
    assert_eq!(call!(app, read(&ended)).status, 200);

    let token = key.logout_token(ISSUER, LOGOUT_CLIENT, None, Some("s-1"));
    let done = call!(app, logout(&token));
    assert_eq!(done.status, 200);
    assert_eq!(done.cache_control.as_deref(), Some("no-store"));

    let revoked = call!(app, read(&ended));
    assert_eq!(revoked.status, 401);
    assert!(
        revoked
            .challenge
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );
    assert_eq!(call!(app, read(&other)).status, 200, "another session");

    let replay = call!(app, logout(&token));
    assert_eq!(replay.status, 400);
    assert_eq!(
        replay.json()["error_description"],
        "the logout token was received before"
    );
}
