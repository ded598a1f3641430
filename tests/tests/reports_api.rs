//! The reports-api router in-process (tower `oneshot`): every status and challenge the README
//! promises, with real tokens signed by a generated key.

use authz_axum::Gate;
use authz_core::testkit::{TestKey, claims_for, now};
use authz_core::token::Clock;
use authz_core::{Algorithm, Validator};
use authz_core::{api_key::ApiKeys, api_key::InMemoryApiKeyStore};
use authz_examples::{API_KEY_PREFIX, AppState, Revocations, Revoke, Store, router};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const ISSUER: &str = "https://id.test";
const AUDIENCE: &str = "reports-api";

struct Api {
    app: Router,
    key: TestKey,
    /// The key records, to see what was (not) stored.
    key_store: InMemoryApiKeyStore,
    /// The revocation list, to revoke without the admin route.
    revocations: Revocations,
    /// The API keys' clock (creation times), moved by the tests instead of sleeping.
    clock: Clock,
}

struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    content_type: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

fn api() -> Api {
    let key = TestKey::generate(Algorithm::ES256, "k1");
    // In process, as in dev mode: these tests need no Redis.
    let revocations = Revocations::in_memory(std::time::Duration::from_secs(3600));
    let validator = Validator::builder()
        .algorithms([Algorithm::ES256])
        .key(key.verification_key())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .revocation_store(revocations.clone())
        .build()
        .unwrap();
    // As the binary builds them: the gate hands the validator's revocation store to the keys,
    // so a subject revocation reaches them too.
    let key_store = InMemoryApiKeyStore::default();
    let clock = Clock::manual(now());
    let api_keys = ApiKeys::new(key_store.clone(), API_KEY_PREFIX)
        .unwrap()
        .service_accounts(["ops-bot", "ci", "auditor-bot"])
        .clock(clock.clone());
    let state = AppState {
        authz: Gate::new(validator)
            .realm("reports-api")
            .step_up(authz_core::gate::StepUpPolicy::any_login())
            .api_keys(api_keys.clone()),
        store: Store::seeded(),
        revocations: revocations.clone(),
        api_keys,
        logout: None,
    };
    Api {
        app: router().into_axum().with_state(state),
        key,
        key_store,
        revocations,
        clock,
    }
}

impl Api {
    fn token(&self, sub: &str, roles: &[&str]) -> String {
        let mut claims = claims_for(ISSUER, AUDIENCE, sub);
        claims["roles"] = json!(roles);
        self.key.mint(&claims)
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        auth: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(auth) = auth {
            request = request.header(header::AUTHORIZATION, auth);
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let text = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let (challenge, content_type) =
            (text(header::WWW_AUTHENTICATE), text(header::CONTENT_TYPE));
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            challenge,
            content_type,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn get(&self, uri: &str, token: &str) -> Answer {
        self.call("GET", uri, Some(&format!("Bearer {token}")), None)
            .await
    }
}

#[tokio::test]
async fn health_is_public() {
    let api = api();
    let answer = api.call("GET", "/health", None, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, "ok");
}

#[tokio::test]
async fn owner_reads_own_report() {
    let api = api();
    let answer = api
        .get("/reports/r1", &api.token("alice", &["viewer"]))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["id"], "r1");
    assert_eq!(answer.json()["owner"], "alice");
}

#[tokio::test]
async fn reading_someone_elses_report_is_403_naming_the_override() {
    let api = api();
    let answer = api
        .get("/reports/r2", &api.token("alice", &["viewer"]))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let challenge = answer.challenge.clone().unwrap();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(
        challenge.contains(r#"scope="reports:read_any""#),
        "{challenge}"
    );
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/problem+json")
    );
    assert_eq!(answer.json()["status"], 403);
}

#[tokio::test]
async fn read_any_overrides_the_owner_check() {
    let api = api();
    let answer = api.get("/reports/r2", &api.token("root", &["admin"])).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["owner"], "bob");
}

#[tokio::test]
async fn unknown_report_is_404() {
    let api = api();
    let answer = api
        .get("/reports/r404", &api.token("alice", &["viewer"]))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn no_credentials_is_401_with_a_bare_challenge() {
    let api = api();
    for uri in ["/reports/r1", "/reports/r1?access_token=ignored"] {
        let answer = api.call("GET", uri, None, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(
            answer.challenge.as_deref(),
            Some(r#"Bearer realm="reports-api""#)
        );
        assert_eq!(
            answer.content_type.as_deref(),
            Some("application/problem+json")
        );
    }
    // Another scheme is not bearer credentials.
    let answer = api
        .call("GET", "/reports/r1", Some("Basic YWxpY2U6cHc="), None)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.challenge.as_deref(),
        Some(r#"Bearer realm="reports-api""#)
    );
}

#[tokio::test]
async fn a_token_in_the_query_string_is_never_read() {
    let api = api();
    let token = api.token("alice", &["viewer"]);
    let answer = api
        .call(
            "GET",
            &format!("/reports/r1?access_token={token}"),
            None,
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn malformed_credentials_are_400_invalid_request() {
    let api = api();
    for auth in ["Bearer", "Bearer a b", "Bearer a,b"] {
        let answer = api.call("GET", "/reports/r1", Some(auth), None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{auth}");
        let challenge = answer.challenge.clone().unwrap();
        assert!(
            challenge.contains(r#"error="invalid_request""#),
            "{challenge}"
        );
    }
}

#[tokio::test]
async fn bad_tokens_are_401_invalid_token_and_never_echoed() {
    let api = api();
    let other_key = TestKey::generate(Algorithm::ES256, "k1");
    let mut expired = claims_for(ISSUER, AUDIENCE, "alice");
    expired["exp"] = json!(now() - 3600);
    expired["iat"] = json!(now() - 7200);
    let mut wrong_audience = claims_for(ISSUER, "other-api", "alice");
    wrong_audience["roles"] = json!(["admin"]);
    let forged = other_key.mint(&claims_for(ISSUER, AUDIENCE, "alice"));
    for token in [
        "not-a-jwt".to_owned(),
        "a.b.c".to_owned(),
        api.key.mint(&expired),
        api.key.mint(&wrong_audience),
        forged,
    ] {
        let answer = api.get("/reports/r1", &token).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{token}");
        let challenge = answer.challenge.clone().unwrap();
        assert!(
            challenge.starts_with(r#"Bearer realm="reports-api", error="invalid_token""#),
            "{challenge}"
        );
        assert!(!answer.body.contains(&token) && !challenge.contains(&token));
    }
}

#[tokio::test]
async fn writing_needs_reports_write() {
    let api = api();
    let body = json!({"title": "draft"});
    let viewer = api.token("alice", &["viewer"]);
    let answer = api
        .call(
            "POST",
            "/reports",
            Some(&format!("Bearer {viewer}")),
            Some(body.clone()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let challenge = answer.challenge.clone().unwrap();
    assert!(challenge.contains(r#"realm="reports-api""#), "{challenge}");
    assert!(
        challenge.contains(r#"scope="reports:write""#),
        "{challenge}"
    );

    let editor = api.token("erin", &["editor"]);
    let answer = api
        .call(
            "POST",
            "/reports",
            Some(&format!("Bearer {editor}")),
            Some(body),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let created = answer.json();
    assert_eq!(created["owner"], "erin");
    let id = created["id"].as_str().unwrap();
    // The creator owns the new report.
    assert_eq!(
        api.get(&format!("/reports/{id}"), &editor).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.get(&format!("/reports/{id}"), &viewer).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn deleting_needs_reports_delete_and_removes_the_report() {
    let api = api();
    let editor = format!("Bearer {}", api.token("erin", &["editor"]));
    assert_eq!(
        api.call("DELETE", "/reports/r2", Some(&editor), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let admin = api.token("root", &["admin"]);
    let auth = format!("Bearer {admin}");
    assert_eq!(
        api.call("DELETE", "/reports/r2", Some(&auth), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get("/reports/r2", &admin).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.call("DELETE", "/reports/r2", Some(&auth), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn unknown_roles_grant_nothing() {
    let api = api();
    let answer = api
        .get("/reports/r1", &api.token("alice", &["superuser", "Viewer"]))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let no_roles = api.key.mint(&claims_for(ISSUER, AUDIENCE, "alice"));
    assert_eq!(
        api.get("/reports/r1", &no_roles).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn claims_of_the_wrong_type_are_invalid_tokens() {
    let api = api();
    let mut claims = claims_for(ISSUER, AUDIENCE, "alice");
    claims["roles"] = json!("viewer");
    let answer = api.get("/reports/r1", &api.key.mint(&claims)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let mut claims = claims_for(ISSUER, AUDIENCE, "alice");
    claims["sub"] = json!(42);
    assert_eq!(
        api.get("/reports/r1", &api.key.mint(&claims)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn route_table_snapshot() {
    let table = router();
    assert_eq!(
        table.route_table().to_string(),
        "\
GET     /health               public
GET     /openapi.json         public
POST    /backchannel-logout   public
POST    /reports              permission(reports:write)
GET     /reports/{id}         permission(reports:read)
DELETE  /reports/{id}         permission(reports:delete)
POST    /admin/revocations    step-up(permission(users:revoke))
POST    /admin/api-keys       step-up(permission(api_keys:manage))
DELETE  /admin/api-keys/{id}  permission(api_keys:manage)
"
    );
    assert_eq!(
        table.route_table().to_json(),
        json!([
            {"method": "GET", "path": "/health", "access": "public"},
            {"method": "GET", "path": "/openapi.json", "access": "public"},
            {"method": "POST", "path": "/backchannel-logout", "access": "public"},
            {"method": "POST", "path": "/reports", "access": "permission(reports:write)"},
            {"method": "GET", "path": "/reports/{id}", "access": "permission(reports:read)"},
            {"method": "DELETE", "path": "/reports/{id}", "access": "permission(reports:delete)"},
            {"method": "POST", "path": "/admin/revocations", "access": "step-up(permission(users:revoke))"},
            {"method": "POST", "path": "/admin/api-keys", "access": "step-up(permission(api_keys:manage))"},
            {"method": "DELETE", "path": "/admin/api-keys/{id}", "access": "permission(api_keys:manage)"},
        ])
    );
}

/// The OpenAPI document served at `/openapi.json` states, for every route of the table, the
/// security requirement its guard enforces: a route added, removed or re-guarded changes both.
#[tokio::test]
async fn openapi_document_lists_every_route_with_its_security() {
    let api = api();
    let answer = api.call("GET", "/openapi.json", None, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    let doc = answer.json();
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"],
        json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    );

    let table = router();
    let mut operations = 0;
    for route in table.route_table().routes() {
        let operation = &doc["paths"][&route.path][route.method.to_lowercase()];
        assert_eq!(
            operation["x-authz-access"],
            route.access.to_string(),
            "{} {}",
            route.method,
            route.path
        );
        let expected = match route.access.to_string().as_str() {
            "public" => json!([]),
            rule => {
                // A step-up names the permission it wraps; the OpenAPI scope is that permission.
                let rule = rule
                    .strip_prefix("step-up(")
                    .and_then(|r| r.strip_suffix(')'))
                    .unwrap_or(rule);
                let permission = rule
                    .strip_prefix("permission(")
                    .and_then(|r| r.strip_suffix(')'))
                    .expect("reports-api's rules name one permission each");
                json!([{"bearerAuth": [permission]}])
            }
        };
        assert_eq!(
            operation["security"], expected,
            "{} {}",
            route.method, route.path
        );
        if expected != json!([]) {
            assert!(operation["responses"]["401"].is_object(), "{}", route.path);
            assert!(operation["responses"]["403"].is_object(), "{}", route.path);
        }
        operations += 1;
    }
    // Nothing in the document that the router does not serve.
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!((operations, documented), (9, 9));
    assert_eq!(
        doc["paths"]["/reports/{id}"]["get"]["security"],
        json!([{"bearerAuth": ["reports:read"]}])
    );
    // The step-up shows in the document reviewers read.
    assert_eq!(
        doc["paths"]["/admin/api-keys"]["post"]["x-authz-access"],
        "step-up(permission(api_keys:manage))"
    );
}

impl Api {
    fn token_with(&self, sub: &str, roles: &[&str], jti: &str, iat: u64) -> String {
        let mut claims = claims_for(ISSUER, AUDIENCE, sub);
        claims["roles"] = json!(roles);
        claims["jti"] = json!(jti);
        claims["iat"] = json!(iat);
        self.key.mint(&claims)
    }

    async fn revoke(&self, auth_token: &str, body: Value) -> Answer {
        self.call(
            "POST",
            "/admin/revocations",
            Some(&format!("Bearer {auth_token}")),
            Some(body),
        )
        .await
    }

    /// A request with a body sent as is, and this content type if any.
    async fn post_raw(&self, auth_token: &str, content_type: Option<&str>, body: &str) -> Answer {
        let mut request = Request::builder()
            .method("POST")
            .uri("/admin/revocations")
            .header(header::AUTHORIZATION, format!("Bearer {auth_token}"));
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::from(body.to_owned())).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            challenge: None,
            content_type,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }
}

fn assert_invalid_token(answer: &Answer) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    let challenge = answer.challenge.clone().unwrap();
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
}

#[tokio::test]
async fn revoking_a_jti_needs_users_revoke_and_refuses_that_token_only() {
    let api = api();
    let stolen = api.token_with("alice", &["viewer"], "stolen", now());
    let other = api.token_with("alice", &["viewer"], "other", now());
    assert_eq!(api.get("/reports/r1", &stolen).await.status, StatusCode::OK);

    let body = json!({"jti": "stolen"});
    for roles in [&["viewer"][..], &["editor"]] {
        let answer = api.revoke(&api.token("erin", roles), body.clone()).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        let challenge = answer.challenge.clone().unwrap();
        assert!(challenge.contains(r#"scope="users:revoke""#), "{challenge}");
    }
    let anonymous = api
        .call("POST", "/admin/revocations", None, Some(body.clone()))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.get("/reports/r1", &stolen).await.status, StatusCode::OK);

    let answer = api.revoke(&api.token("root", &["admin"]), body).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
    assert!(answer.body.is_empty());
    assert_invalid_token(&api.get("/reports/r1", &stolen).await);
    assert_eq!(api.get("/reports/r1", &other).await.status, StatusCode::OK);
}

#[tokio::test]
async fn revoking_a_subject_refuses_the_tokens_it_was_issued_before() {
    let api = api();
    let t = now();
    let old = api.token_with("alice", &["viewer"], "a-1", t - 10);
    let bobs = api.token_with("bob", &["viewer"], "b-1", t - 10);
    assert_eq!(api.get("/reports/r1", &old).await.status, StatusCode::OK);

    let answer = api
        .revoke(
            &api.token("root", &["admin"]),
            json!({"sub": "alice", "before": t}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
    assert_invalid_token(&api.get("/reports/r1", &old).await);
    // Logged in again after the cut-off: accepted; other subjects are untouched.
    let fresh = api.token_with("alice", &["viewer"], "a-2", t);
    assert_eq!(api.get("/reports/r1", &fresh).await.status, StatusCode::OK);
    assert_eq!(api.get("/reports/r2", &bobs).await.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_revocation_bodies_are_problems_that_echo_nothing() {
    let api = api();
    let admin = api.token("root", &["admin"]);
    let secret = "eyJhbGciOiJFUzI1NiJ9.c2VjcmV0.c2ln";
    let json_ct = Some("application/json");
    let long = "x".repeat(8 * 1024 + 1);
    let far = now() + 10 * 24 * 3600;
    let cases: Vec<(Option<&str>, String, StatusCode)> = vec![
        (json_ct, "{".into(), StatusCode::BAD_REQUEST),
        (
            json_ct,
            format!(r#"{{"jti": "{secret}""#),
            StatusCode::BAD_REQUEST,
        ),
        (
            None,
            r#"{"jti": "a"}"#.into(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (json_ct, "{}".into(), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json_ct,
            r#"{"jti": ""}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json_ct,
            format!(r#"{{"jti": "{long}"}}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json_ct,
            r#"{"jti": 5}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json_ct,
            r#"{"jti": "a", "sub": "b", "before": 1}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json_ct,
            r#"{"sub": "alice"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json_ct,
            r#"{"before": 1}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json_ct,
            format!(r#"{{"sub": "alice", "before": {far}}}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json_ct,
            format!(r#"{{"sub": "alice", "before": "{secret}"}}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json_ct,
            format!(r#"{{"jti": "a", "{secret}": 1}}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json_ct,
            r#"[{"jti": "a"}]"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (content_type, body, status) in cases {
        let answer = api.post_raw(&admin, content_type, &body).await;
        assert_eq!(answer.status, status, "{body:.80}: {}", answer.body);
        assert_eq!(
            answer.content_type.as_deref(),
            Some("application/problem+json"),
            "{body:.80}"
        );
        assert_eq!(answer.json()["status"], status.as_u16(), "{}", answer.body);
        assert!(!answer.body.contains(secret), "{}", answer.body);
    }
    // None of them revoked anything.
    let alice = api.token_with("alice", &["viewer"], "a", now() - 5);
    assert_eq!(api.get("/reports/r1", &alice).await.status, StatusCode::OK);
}

impl Api {
    /// Issues a key of `sub`'s own through the admin route, as `sub` holding the admin role:
    /// keys act as their issuer or as a service account, never as a colleague.
    async fn issue_key(&self, sub: &str, permissions: &[&str], expires_in: Option<u64>) -> Answer {
        let admin = format!("Bearer {}", self.token(sub, &["admin"]));
        let body = json!({"sub": sub, "permissions": permissions, "expires_in": expires_in});
        self.call("POST", "/admin/api-keys", Some(&admin), Some(body))
            .await
    }
}

#[tokio::test]
async fn api_keys_reach_the_same_routes_with_the_same_statuses_as_tokens() {
    let api = api();
    // A JWT and a key, both for `alice` holding exactly reports:read.
    let jwt = api.token("alice", &["viewer"]);
    let issued = api.issue_key("alice", &["reports:read"], Some(3600)).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    let key = issued.json()["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("rpt_"));
    assert_eq!(issued.json()["permissions"], json!(["reports:read"]));

    let new_report = json!({"title": "x"});
    for credential in [&jwt, &key] {
        let auth = format!("Bearer {credential}");
        let cases = [
            ("GET", "/reports/r1", None, StatusCode::OK),
            ("GET", "/reports/r2", None, StatusCode::FORBIDDEN),
            ("GET", "/reports/r404", None, StatusCode::NOT_FOUND),
            (
                "POST",
                "/reports",
                Some(new_report.clone()),
                StatusCode::FORBIDDEN,
            ),
            ("DELETE", "/reports/r1", None, StatusCode::FORBIDDEN),
            (
                "POST",
                "/admin/api-keys",
                Some(json!({"sub": "x", "permissions": []})),
                StatusCode::FORBIDDEN,
            ),
        ];
        for (method, path, body, expected) in cases {
            let answer = api.call(method, path, Some(&auth), body).await;
            assert_eq!(
                answer.status,
                expected,
                "{method} {path} with {}",
                &credential[..4]
            );
            assert!(!answer.body.contains(credential.as_str()));
        }
    }

    // Like a token, a key in the query string is never read.
    let answer = api
        .call(
            "GET",
            &format!("/reports/r1?access_token={key}"),
            None,
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.challenge.as_deref(),
        Some(r#"Bearer realm="reports-api""#)
    );

    // A key with read_any passes the owner check like an admin token would.
    let reader_any = api
        .issue_key("auditor-bot", &["reports:read", "reports:read_any"], None)
        .await;
    let key_any = reader_any.json()["key"].as_str().unwrap().to_owned();
    assert_eq!(
        api.get("/reports/r2", &key_any).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn revoked_expired_and_malformed_keys_are_invalid_tokens() {
    let api = api();
    let issued = api.issue_key("ci", &["reports:read"], None).await.json();
    let (id, key) = (
        issued["id"].as_str().unwrap(),
        issued["key"].as_str().unwrap(),
    );
    let admin = format!("Bearer {}", api.token("root", &["admin"]));
    assert_eq!(
        api.call(
            "DELETE",
            &format!("/admin/api-keys/{id}"),
            Some(&admin),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(
            "DELETE",
            "/admin/api-keys/0123456789abcdef",
            Some(&admin),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    let expired = api.issue_key("ci", &["reports:read"], Some(0)).await.json();
    let malformed = format!("{}x", &key[..key.len() - 1]);
    for credential in [
        key,
        expired["key"].as_str().unwrap(),
        "rpt_nothex_abc",
        &malformed,
    ] {
        let answer = api.get("/reports/r1", credential).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{credential}");
        let challenge = answer.challenge.unwrap();
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{challenge}"
        );
        assert!(!answer.body.contains(credential) && !challenge.contains(credential));
    }
}

#[tokio::test]
async fn issuing_keys_checks_names_and_permission() {
    let api = api();
    let answer = api
        .issue_key("ci", &["reports:read", "reports:raed"], None)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let detail = answer.json()["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.contains("reports:raed") && detail.contains("reports:read, reports:write"),
        "{detail}"
    );

    let viewer = format!("Bearer {}", api.token("alice", &["viewer"]));
    let body = json!({"sub": "alice", "permissions": ["reports:read"]});
    assert_eq!(
        api.call("POST", "/admin/api-keys", Some(&viewer), Some(body))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let admin = format!("Bearer {}", api.token("root", &["admin"]));
    let bad_shape = json!({"subject": "alice"});
    assert_eq!(
        api.call("POST", "/admin/api-keys", Some(&admin), Some(bad_shape))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

// Issue 11, finding 2: API keys escalated privilege. Each test performs the attack over HTTP and
// sees it refused.

/// Every permission of the reports policy.
const EVERY: [&str; 7] = [
    "reports:read",
    "reports:write",
    "reports:delete",
    "reports:read_any",
    "users:revoke",
    "api_keys:manage",
    "api_keys:manage_any",
];

impl Api {
    /// `POST /admin/api-keys` as `credential` (a token or a key).
    async fn issue_as(
        &self,
        credential: &str,
        sub: &str,
        permissions: &[&str],
        expires_in: Option<u64>,
    ) -> Answer {
        let body = json!({"sub": sub, "permissions": permissions, "expires_in": expires_in});
        self.call(
            "POST",
            "/admin/api-keys",
            Some(&format!("Bearer {credential}")),
            Some(body),
        )
        .await
    }

    /// `DELETE /admin/api-keys/{id}` as `credential`.
    async fn revoke_key_as(&self, credential: &str, id: &str) -> Answer {
        self.call(
            "DELETE",
            &format!("/admin/api-keys/{id}"),
            Some(&format!("Bearer {credential}")),
            None,
        )
        .await
    }
}

fn raw_key(answer: &Answer) -> String {
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.json()["key"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_manage_only_key_cannot_mint_keys_for_others_or_beyond_its_permissions() {
    let api = api();
    let issued = api
        .issue_key("ops-bot", &["api_keys:manage"], Some(3600))
        .await;
    let manager = raw_key(&issued);
    assert_eq!(api.key_store.records().len(), 1);

    // The attack as reported: a key for another subject with every permission (here the CI
    // service account; for a person, see below).
    let for_ci = api.issue_as(&manager, "ci", &EVERY, Some(60)).await;
    assert_eq!(for_ci.status, StatusCode::FORBIDDEN, "{}", for_ci.body);
    let challenge = for_ci.challenge.clone().unwrap();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#)
            && challenge.contains(r#"scope="api_keys:manage_any""#),
        "{challenge}"
    );
    for (sub, permissions) in [
        ("alice", &["reports:read"][..]),
        ("bob", &["api_keys:manage"]),
        ("root", &[]),
    ] {
        let answer = api.issue_as(&manager, sub, permissions, Some(60)).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{sub}: {}",
            answer.body
        );
    }
    // For itself, with what it lacks: refused, naming what it lacks.
    let for_itself = api.issue_as(&manager, "ops-bot", &EVERY, Some(60)).await;
    assert_eq!(for_itself.status, StatusCode::FORBIDDEN);
    let detail = for_itself.json()["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.contains("reports:read, reports:write, reports:delete, reports:read_any, users:revoke, api_keys:manage_any"),
        "{detail}"
    );
    for permissions in [
        &["users:revoke"][..],
        &["reports:delete"],
        &["api_keys:manage_any"],
    ] {
        let answer = api
            .issue_as(&manager, "ops-bot", permissions, Some(60))
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{permissions:?}");
    }
    // Nor a child that outlives it.
    for lifetime in [None, Some(7200)] {
        let answer = api
            .issue_as(&manager, "ops-bot", &["api_keys:manage"], lifetime)
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{lifetime:?}");
    }
    assert_eq!(
        api.key_store.records().len(),
        1,
        "no refused key was stored"
    );

    // So nothing reads or deletes bob's report or revokes the admin.
    assert_eq!(
        api.get("/reports/r2", &manager).await.status,
        StatusCode::FORBIDDEN
    );
    let delete = api
        .call(
            "DELETE",
            "/reports/r2",
            Some(&format!("Bearer {manager}")),
            None,
        )
        .await;
    assert_eq!(delete.status, StatusCode::FORBIDDEN);
    let revoke_root = api
        .revoke(&manager, json!({"sub": "root", "before": now()}))
        .await;
    assert_eq!(revoke_root.status, StatusCode::FORBIDDEN);
    assert_eq!(
        api.get("/reports/r2", &api.token("root", &["admin"]))
            .await
            .status,
        StatusCode::OK
    );

    // What it holds, for itself, within its lifetime: issued.
    let child = api
        .issue_as(&manager, "ops-bot", &["api_keys:manage"], Some(60))
        .await;
    assert_eq!(child.status, StatusCode::CREATED, "{}", child.body);
    assert_eq!(child.json()["sub"], "ops-bot");

    // It revokes only its own subject's keys: not alice's, but its child.
    let alices = api.issue_key("alice", &["reports:read"], None).await;
    let (alice_key, alice_id) = (
        raw_key(&alices),
        alices.json()["id"].as_str().unwrap().to_owned(),
    );
    let answer = api.revoke_key_as(&manager, &alice_id).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert_eq!(
        api.get("/reports/r1", &alice_key).await.status,
        StatusCode::OK
    );
    let child_id = child.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        api.revoke_key_as(&manager, &child_id).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn the_admin_issues_service_account_keys_and_revokes_anyones_but_never_mints_a_colleagues() {
    let api = api();
    let root = api.token("root", &["admin"]);
    // Issue 23, item 7: a key "as" bob is impersonation, whatever the admin holds.
    let as_bob = api.issue_as(&root, "bob", &EVERY, None).await;
    assert_eq!(as_bob.status, StatusCode::FORBIDDEN, "{}", as_bob.body);
    assert!(
        as_bob.json()["detail"]
            .as_str()
            .unwrap()
            .contains("service account"),
        "{}",
        as_bob.body
    );
    let bots = api.issue_as(&root, "ops-bot", &EVERY, None).await;
    assert_eq!(bots.json()["permissions"], json!(EVERY));
    let bot_key = raw_key(&bots);
    assert_eq!(
        api.get("/reports/r2", &bot_key).await.status,
        StatusCode::OK
    );
    let alices = api.issue_key("alice", &["reports:read"], Some(60)).await;
    let alice_key = raw_key(&alices);
    assert_eq!(
        api.get("/reports/r1", &alice_key).await.status,
        StatusCode::OK
    );
    let alice_id = alices.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        api.revoke_key_as(&root, &alice_id).await.status,
        StatusCode::NO_CONTENT
    );
    assert_invalid_token(&api.get("/reports/r1", &alice_key).await);

    // A viewer token may not manage keys at all, not even its own.
    let viewer = api.token("alice", &["viewer"]);
    let answer = api
        .issue_as(&viewer, "alice", &["reports:read"], None)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn revoking_a_subject_refuses_its_api_keys_issued_before_the_cut_off() {
    let api = api();
    let root = api.token("root", &["admin"]);
    let reader = ["reports:read", "reports:read_any"];
    let old = api.issue_as(&root, "auditor-bot", &reader, None).await;
    let old_key = raw_key(&old);
    let old_id = old.json()["id"].as_str().unwrap().to_owned();
    let bobs = raw_key(&api.issue_key("bob", &["reports:read"], None).await);
    assert_eq!(
        api.get("/reports/r1", &old_key).await.status,
        StatusCode::OK
    );

    // A cut-off after the key was created: the keys' clock moves on to the next second.
    let created = api
        .key_store
        .records()
        .into_iter()
        .find(|r| r.id == old_id)
        .unwrap()
        .created_at;
    let before = created + 1;
    api.clock.set(before);
    let answer = api
        .revoke(&root, json!({"sub": "auditor-bot", "before": before}))
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
    assert_invalid_token(&api.get("/reports/r1", &old_key).await);
    // For good: the record is marked, so the key stays refused after the revocation entry
    // (kept only as long as tokens live) is forgotten.
    assert!(
        api.key_store
            .records()
            .iter()
            .any(|r| r.id == old_id && r.revoked)
    );
    // Other subjects are untouched; a key issued after the cut-off works.
    assert_eq!(api.get("/reports/r2", &bobs).await.status, StatusCode::OK);
    let fresh = raw_key(&api.issue_as(&root, "auditor-bot", &reader, None).await);
    assert_eq!(api.get("/reports/r1", &fresh).await.status, StatusCode::OK);

    // A cut-off in the future: no key is issued that would be born revoked.
    let answer = api
        .revoke(&root, json!({"sub": "ci", "before": now() + 600}))
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    let answer = api.issue_as(&root, "ci", &["reports:read"], None).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
}

#[tokio::test]
async fn a_subject_revoked_in_the_shared_list_is_refused_through_its_keys_at_once() {
    // Revoked on another instance (the shared list), before this instance's key store knows:
    // the key is refused by the same check tokens get.
    let api = api();
    let old = raw_key(&api.issue_key("alice", &["reports:read"], None).await);
    let created = api.key_store.records()[0].created_at;
    api.revocations
        .revoke(Revoke::Subject {
            sub: "alice".into(),
            before: created + 1,
        })
        .await
        .unwrap();
    assert!(api.key_store.records().iter().all(|r| !r.revoked));
    assert_invalid_token(&api.get("/reports/r1", &old).await);
}
