//! invoices-api, one test per rule, in process: the router driven with `oneshot`, Keycloak-shaped
//! tokens minted with a test key and checked by the same validator settings the binary uses.

use authz_core::testkit::{TestKey, now};
use authz_core::{Algorithm, Authenticated, Validator};
use authz_examples::invoices::{AUDIENCE, ISSUER, InvoicesState, KeycloakClaims, keycloak, policy};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

struct App {
    app: axum::Router,
    key: TestKey,
}

/// A response, its body kept both as bytes and as JSON (`Null` when it is not JSON).
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    raw: Bytes,
    json: Value,
}

impl Reply {
    fn detail(&self) -> &str {
        self.json["detail"].as_str().unwrap_or_default()
    }
}

impl App {
    fn new() -> Self {
        let key = TestKey::generate(Algorithm::EdDSA, "kc-test");
        let validator = keycloak(Validator::builder(), ISSUER, AUDIENCE)
            .algorithms([Algorithm::EdDSA])
            .key(key.verification_key())
            .build()
            .unwrap();
        let app = authz_examples::invoices::router()
            .into_axum()
            .with_state(InvoicesState::new(validator));
        App { app, key }
    }

    /// A Keycloak access token with these client roles of `invoices-api`.
    fn token(&self, sub: &str, tenant: Option<&str>, client_roles: &[&str]) -> String {
        self.mint(keycloak_payload(sub, tenant, &[], client_roles))
    }

    fn mint(&self, payload: Value) -> String {
        self.key.mint(&payload)
    }

    async fn call(&self, method: &str, path: &str, credential: &str, body: Option<Value>) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if !credential.is_empty() {
            request = request.header(header::AUTHORIZATION, format!("Bearer {credential}"));
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
        let status = response.status();
        let headers = response.headers().clone();
        let raw = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let json = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            raw,
            json,
        }
    }

    async fn get(&self, path: &str, credential: &str) -> Reply {
        self.call("GET", path, credential, None).await
    }

    async fn post(&self, path: &str, credential: &str, body: Value) -> Reply {
        self.call("POST", path, credential, Some(body)).await
    }

    async fn approve(&self, id: &str, credential: &str) -> Reply {
        let path = format!("/invoices/{id}/approve");
        self.call("POST", &path, credential, None).await
    }
}

/// The payload Keycloak issues for the realm `invoices` (the claim set of
/// `org.keycloak.representations.AccessToken`, as in `authz-core/tests/providers.rs`): the
/// realm's default roles beside `realm_roles`, client roles of `invoices-api` and of the
/// `account` client, the OpenID Connect scopes, payload `typ` `Bearer`, and the tenant claim a
/// user-attribute mapper adds.
fn keycloak_payload(
    sub: &str,
    tenant: Option<&str>,
    realm_roles: &[&str],
    client_roles: &[&str],
) -> Value {
    let now = now();
    let mut realm = vec![
        "offline_access",
        "uma_authorization",
        "default-roles-invoices",
    ];
    realm.extend_from_slice(realm_roles);
    let mut payload = json!({
        "exp": now + 300,
        "iat": now,
        "auth_time": now - 20,
        "jti": "0b4c7f0e-1d1a-4c55-8f1e-7f3b2a7c9d41",
        "iss": ISSUER,
        "aud": [AUDIENCE, "account"],
        "sub": sub,
        "typ": "Bearer",
        "azp": "invoices-web",
        "sid": "8c0e3f7a-2b4d-4a91-bb6e-1f5d9c7a3e21",
        "acr": "1",
        "allowed-origins": ["https://invoices.example.com"],
        "realm_access": { "roles": realm },
        "resource_access": {
            "invoices-api": { "roles": client_roles },
            "account": { "roles": ["manage-account", "manage-account-links", "view-profile"] }
        },
        "scope": "openid profile email",
        "email_verified": true,
        "preferred_username": sub,
    });
    if let Some(tenant) = tenant {
        payload["tenant"] = json!(tenant);
    }
    payload
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|invoice| invoice["id"].as_str().unwrap())
        .collect()
}

/// An auditor of `acme` holds `invoices:read_any`, which reads every invoice of `acme` and
/// none of `globex`: another tenant's invoice answers exactly as an unknown id does.
#[tokio::test]
async fn read_any_stays_within_the_callers_tenant() {
    let app = App::new();
    let audrey = app.token("audrey", Some("acme"), &["auditor"]);

    let ours = app.get("/invoices/inv-1", &audrey).await;
    assert_eq!(ours.status, StatusCode::OK);
    assert_eq!(
        (ours.json["tenant"].as_str(), ours.json["owner"].as_str()),
        (Some("acme"), Some("dave"))
    );

    let theirs = app.get("/invoices/inv-3", &audrey).await;
    let unknown = app.get("/invoices/inv-99", &audrey).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(
        theirs.raw, unknown.raw,
        "a concealed refusal looks like an unknown id"
    );
    assert_eq!(theirs.headers, unknown.headers);
    assert!(theirs.headers.get(header::WWW_AUTHENTICATE).is_none());

    let list = app.get("/invoices", &audrey).await;
    assert_eq!(ids(&list.json), ["inv-1", "inv-2"]);
}

/// Within a tenant, `invoices:read` alone reads one's own invoices; a colleague's is 403 (not
/// concealed: the caller may ask an auditor), with the challenge naming the override.
#[tokio::test]
async fn a_viewer_reads_only_their_own_invoices() {
    let app = App::new();
    let dave = app.token("dave", Some("acme"), &["viewer"]);

    assert_eq!(
        app.get("/invoices/inv-1", &dave).await.status,
        StatusCode::OK
    );
    let erins = app.get("/invoices/inv-2", &dave).await;
    assert_eq!(erins.status, StatusCode::FORBIDDEN);
    let challenge = erins.headers[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.contains(r#"scope="invoices:read_any""#),
        "{challenge}"
    );
    assert_eq!(ids(&app.get("/invoices", &dave).await.json), ["inv-1"]);
    // Another tenant's invoice is concealed from a viewer too.
    assert_eq!(
        app.get("/invoices/inv-3", &dave).await.status,
        StatusCode::NOT_FOUND
    );
}

/// Support staff cross tenants through `invoices:read_any_tenant` on the support route, and
/// only there; an auditor's `invoices:read_any` does not cross on that route either.
#[tokio::test]
async fn support_crosses_tenants_only_through_the_explicit_permission() {
    let app = App::new();
    let sam = app.token("sam", None, &["support"]);
    let audrey = app.token("audrey", Some("acme"), &["auditor"]);

    for id in ["inv-1", "inv-3"] {
        let read = app.get(&format!("/support/invoices/{id}"), &sam).await;
        assert_eq!(read.status, StatusCode::OK, "{id}");
        assert_eq!(read.json["id"], id);
    }
    assert_eq!(
        app.get("/support/invoices/inv-1", &audrey).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/support/invoices/inv-3", &audrey).await.status,
        StatusCode::NOT_FOUND
    );
    // The ordinary route is not the support route: support staff hold no `invoices:read`.
    assert_eq!(
        app.get("/invoices/inv-3", &sam).await.status,
        StatusCode::FORBIDDEN
    );
}

/// Four eyes: carol creates an invoice as a clerk; once she has moved to accounting, her new
/// token holds `invoices:approve` (and no longer `invoices:create`, so separation of duties
/// does not catch her), and approving her own invoice is still refused. Another accountant
/// of the tenant approves it.
#[tokio::test]
async fn the_creator_may_not_approve_their_own_invoice() {
    let app = App::new();
    let carol_clerk = app.token("carol", Some("acme"), &["clerk"]);
    let carol_accountant = app.token("carol", Some("acme"), &["accountant"]);
    let anna = app.token("anna", Some("acme"), &["accountant"]);

    let created = app
        .post("/invoices", &carol_clerk, json!({ "amount_cents": 5000 }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json["created_by"], "carol");
    assert_eq!(created.json["tenant"], "acme");
    let id = created.json["id"].as_str().unwrap();

    let own = app.approve(id, &carol_accountant).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    assert_eq!(
        own.detail(),
        "the creator of a resource may not also approve it"
    );
    // No permission would fix it, so no challenge asks for one.
    assert!(own.headers.get(header::WWW_AUTHENTICATE).is_none());

    let approved = app.approve(id, &anna).await;
    assert_eq!(approved.status, StatusCode::OK);
    assert_eq!(approved.json["approved_by"], "anna");
    assert_eq!(app.approve(id, &anna).await.status, StatusCode::CONFLICT);
}

/// An accountant of `globex` cannot approve an invoice of `acme`: refused as if it did not
/// exist, and the invoice stays unapproved.
#[tokio::test]
async fn an_accountant_of_another_tenant_is_refused() {
    let app = App::new();
    let gus = app.token("gus", Some("globex"), &["accountant"]);
    let anna = app.token("anna", Some("acme"), &["accountant"]);

    let refused = app.approve("inv-1", &gus).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(refused.raw, app.approve("inv-99", &gus).await.raw);
    assert_eq!(
        app.get("/invoices/inv-1", &anna).await.json["approved_by"],
        Value::Null
    );
    // A caller with no tenant belongs to none.
    let stray = app.token("stray", None, &["accountant"]);
    assert_eq!(
        app.approve("inv-1", &stray).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.approve("inv-1", &anna).await.status, StatusCode::OK);
}

/// A token holding both sides of the declared pair (`clerk`, with `invoices:create`, as a
/// realm role and `accountant`, with `invoices:approve`, as a client role) is refused on every
/// route, even those that need neither permission.
#[tokio::test]
async fn a_token_combining_create_and_approve_is_refused() {
    let app = App::new();
    let mallory = app.mint(keycloak_payload(
        "mallory",
        Some("acme"),
        &["clerk"],
        &["accountant"],
    ));

    let checks = [
        app.get("/invoices", &mallory).await,
        app.post("/invoices", &mallory, json!({ "amount_cents": 1 }))
            .await,
        app.approve("inv-1", &mallory).await,
    ];
    for refused in checks {
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(
            refused.detail(),
            "the credential combines duties that must stay separate"
        );
    }
    let audrey = app.token("audrey", Some("acme"), &["auditor"]);
    assert_eq!(
        ids(&app.get("/invoices", &audrey).await.json),
        ["inv-1", "inv-2"]
    );

    // The same pair resolved outside a Gate: both permissions are dropped, the pair named.
    let claims: KeycloakClaims = serde_json::from_value(keycloak_payload(
        "mallory",
        Some("acme"),
        &["clerk"],
        &["accountant"],
    ))
    .unwrap();
    let caller = Authenticated::<policy::Policy, _>::from_verified_claims(claims);
    assert_eq!(
        caller.separated(),
        Some(("invoices:create", "invoices:approve"))
    );
    assert!(!caller.meets::<policy::perm::InvoicesApprove>());
}

/// A token shaped as Keycloak issues it, scope `openid profile email`: the realm role and the
/// `invoices-api` client role both resolve, another client's roles are not read, and none of
/// Keycloak's own names (`offline_access`, `uma_authorization`, `default-roles-invoices`, the
/// OpenID Connect scopes) is reported as unknown.
#[tokio::test]
async fn a_keycloak_access_token_resolves_realm_and_client_roles() {
    let app = App::new();
    let mut payload = keycloak_payload("f3a5e0b2-7c1d", Some("acme"), &["auditor"], &["clerk"]);
    // A role of another client, named like one of ours: not this API's.
    payload["resource_access"]["billing-app"] = json!({ "roles": ["accountant"] });
    let token = app.mint(payload.clone());

    // `invoices:read_any`, from the realm role `auditor`.
    assert_eq!(
        app.get("/invoices/inv-2", &token).await.status,
        StatusCode::OK
    );
    // `invoices:create`, from the client role `clerk`.
    let created = app
        .post(
            "/invoices",
            &token,
            json!({ "owner": "dave", "amount_cents": 700 }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json["owner"], "dave");
    // `billing-app`'s `accountant` grants nothing here (nor does it trip separation of duties).
    let approve = app.approve("inv-1", &token).await;
    assert_eq!(approve.status, StatusCode::FORBIDDEN);
    assert!(
        approve.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );

    let claims: KeycloakClaims = serde_json::from_value(payload).unwrap();
    let caller = Authenticated::<policy::Policy, _>::from_verified_claims(claims);
    assert_eq!(caller.unknown_counts(), (0, 0));
    let roles: Vec<&str> = caller.roles().iter().map(|role| role.name()).collect();
    assert_eq!(roles, ["viewer", "auditor", "clerk"]);

    // The ID token of the same realm (payload `typ` `ID`) is not an access token.
    let mut id_token = keycloak_payload("f3a5e0b2-7c1d", Some("acme"), &["auditor"], &[]);
    id_token["typ"] = json!("ID");
    let refused = app.get("/invoices", &app.mint(id_token)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
}

/// A clerk of `acme` issues an API key for a script. The key acts as the clerk, in `acme`
/// only, and grants no more than the clerk holds: it creates invoices in `acme`, cannot read
/// `globex`'s, and cannot approve (nor can the clerk issue a key that would).
#[tokio::test]
async fn an_api_key_acts_in_its_issuers_tenant_with_what_the_issuer_holds() {
    let app = App::new();
    let carol = app.token("carol", Some("acme"), &["clerk"]);

    let issued = app
        .post(
            "/api-keys",
            &carol,
            json!({ "permissions": ["invoices:read", "invoices:create"] }),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED);
    assert_eq!(issued.json["sub"], "carol");
    assert_eq!(issued.json["tenant"], "acme");
    let key = issued.json["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("inv_"));

    let created = app
        .post("/invoices", &key, json!({ "amount_cents": 990 }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json["tenant"], "acme");
    assert_eq!(created.json["created_by"], "carol");
    let id = created.json["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/invoices/{id}"), &key).await.status,
        StatusCode::OK
    );

    // Tenant B's invoice: concealed, like an unknown id.
    assert_eq!(
        app.get("/invoices/inv-3", &key).await.status,
        StatusCode::NOT_FOUND
    );
    // Approving needs `invoices:approve`, which neither the key nor carol holds.
    let approve = app.approve(id, &key).await;
    assert_eq!(approve.status, StatusCode::FORBIDDEN);
    assert!(
        approve.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains(r#"scope="invoices:approve""#)
    );

    // A key grants only what its issuer holds; unknown names are the client's mistake.
    let more = app
        .post(
            "/api-keys",
            &carol,
            json!({ "permissions": ["invoices:approve"] }),
        )
        .await;
    assert_eq!(more.status, StatusCode::FORBIDDEN);
    let unknown = app
        .post(
            "/api-keys",
            &carol,
            json!({ "permissions": ["invoices:delete"] }),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    // The key itself holds no `api_keys:manage`: it cannot mint more keys.
    let from_key = app
        .post(
            "/api-keys",
            &key,
            json!({ "permissions": ["invoices:read"] }),
        )
        .await;
    assert_eq!(from_key.status, StatusCode::FORBIDDEN);
}

/// `/health` is public; every other route wants a credential, and names the realm. The route
/// table is the rule of each route, as the guide lists them.
#[tokio::test]
async fn health_is_public_and_the_rest_needs_a_credential() {
    let app = App::new();
    let health = app.get("/health", "").await;
    assert_eq!(
        (health.status, &health.raw[..]),
        (StatusCode::OK, &b"ok"[..])
    );
    let anonymous = app.get("/invoices", "").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.headers[header::WWW_AUTHENTICATE],
        r#"Bearer realm="invoices-api""#
    );
    assert_eq!(
        authz_examples::invoices::router().route_table().to_string(),
        "\
GET     /health                 public
GET     /invoices               permission(invoices:read)
POST    /invoices               permission(invoices:create)
GET     /invoices/{id}          permission(invoices:read)
POST    /invoices/{id}/approve  permission(invoices:approve)
GET     /support/invoices/{id}  any(invoices:read_any, invoices:read_any_tenant)
POST    /api-keys               permission(api_keys:manage)
"
    );
}
