//! documents-service: a multi-tenant document service on actix-web with Keycloak access tokens.
//! `cargo run -p authz-actix --example documents-service` mints sample tokens (dev mode: a key
//! generated at start-up), prints them and the route table, and serves on `127.0.0.1:8082`.
//!
//! | rule | where |
//! |---|---|
//! | another tenant's document is absent (404, as an unknown id) | `check_owner_or`, `check_tenant` |
//! | owner, or a reviewer of the tenant, or support across tenants | `read` |
//! | who wrote a document does not approve it (four eyes) | `approve` |
//! | deletion needs a fresh multi-factor login (step-up, RFC 9470) | `delete` |
//! | the SPA sends its token in a `__Host-` cookie, with CSRF defence | `app_state` |
//! | a CI bot's API key acts in the tenant of whoever issued it | `issue_ci_key` |
//! | the identity provider's logout revokes the session's tokens | `routes`, `app_state` |
//!
//! ```text
//! curl -i -H "authorization: Bearer $BOB" localhost:8082/documents/doc-1     # 200, his own
//! curl -i -H "authorization: Bearer $BOB" localhost:8082/documents/doc-3     # 404, globex's
//! curl -i -X DELETE -H "authorization: Bearer $ANN" localhost:8082/documents/doc-2 # 401 step-up
//! curl -i -X DELETE -H "authorization: Bearer $ANN_MFA" localhost:8082/documents/doc-2 # 204
//! curl -i -X POST -H "authorization: Bearer $ANN" localhost:8082/ci-keys     # 201, a key in acme
//! curl -i -X POST -H "cookie: __Host-access_token=$CAROL" -H "origin: https://evil.example" \
//!      -H "content-type: application/json" -d '{"title":"x"}' localhost:8082/documents  # 403
//! ```
//!
//! The tests (`authz-actix/tests/documents_service.rs`) include this file and attack each rule.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use actix_web::web::{self, ServiceConfig};
use actix_web::{App, HttpResponse, HttpServer};
use authz_actix::{Rejection, Routes};
use authz_core::api_key::{ApiKeys, InMemoryApiKeyStore};
use authz_core::checks::{FourEyes, InTenant};
use authz_core::claims::Nested;
use authz_core::requirement::StepUpPolicy;
use authz_core::testkit::{Provider, ProviderClaims, TestKey, now};
use authz_core::token::{BackChannelLogout, InMemoryRevocation};
use authz_core::{Algorithm, Authenticated, Claims, Denied, Gate, Key, Resource, Validator};
use authz_core::{public, require};

authz_core::policy! {
    /// Documents, each in one tenant.
    pub mod docs {
        permissions {
            /// Read one's own documents.
            "documents:read",
            /// Read every document of one's tenant.
            "documents:read_any",
            /// Read any tenant's documents (support staff).
            "documents:read_any_tenant",
            /// Write documents in one's tenant.
            "documents:create",
            /// Approve a document someone else wrote.
            "documents:approve",
            /// Delete documents of one's tenant (with a step-up login).
            "documents:delete",
            /// Issue API keys for the tenant's CI bot.
            "api_keys:manage",
        }
        roles {
            /// Writes and reads their own documents.
            "member" = ["documents:read", "documents:create"],
            /// Reads and approves the tenant's documents.
            "reviewer" = "member" + ["documents:read_any", "documents:approve"],
            /// Deletes documents and issues the CI bot's keys.
            "admin" = "reviewer" + ["documents:delete", "api_keys:manage"],
            /// The service's own support staff, in no tenant.
            "support" = ["documents:read_any_tenant"],
        }
    }
}

use docs::perm;

/// The Keycloak realm that signs the access tokens.
pub const ISSUER: &str = "https://sso.documents.example/realms/documents";
/// This API, in `aud` (an audience mapper on the client).
pub const AUDIENCE: &str = "documents-api";
/// The SPA's OAuth client: Keycloak addresses its back-channel logout tokens to it.
pub const LOGOUT_CLIENT: &str = "documents-web";
/// The SPA's origin, allowed to change state with the cookie.
pub const SPA_ORIGIN: &str = "https://app.documents.example";

/// A Keycloak access token: realm roles, a `tenant` mapper, and the login's `acr` and
/// `auth_time` for the step-up.
#[derive(Debug, serde::Deserialize, Claims)]
#[claims(ignore = ["offline_access", "uma_authorization", "default-roles-documents"])]
pub struct Keycloak {
    sub: String,
    #[claims(roles, at = "roles")]
    realm_access: Option<Nested>,
    #[claims(tenant)]
    tenant: Option<String>,
    acr: Option<String>,
    auth_time: Option<u64>,
}

/// The adapter `#[require]` and `#[public]` use.
pub type Authz = authz_actix::Authz<docs::Policy, Keycloak>;
type Caller = Authenticated<docs::Policy, Keycloak>;

/// A document. Its author owns it and may not approve it.
#[derive(Debug, Clone, serde::Serialize, Resource)]
pub struct Document {
    id: String,
    #[resource(tenant)]
    tenant: String,
    #[resource(owner, creator)]
    author: String,
    title: String,
    approved_by: Option<String>,
}

/// The documents, in memory: `doc-1` (bob's) and `doc-2` (carol's) in `acme`, `doc-3` (gus's)
/// in `globex`.
#[derive(Debug, Default)]
pub struct Documents(Mutex<(u64, BTreeMap<String, Document>)>);

impl Documents {
    fn seeded() -> Self {
        let documents = Self::default();
        documents.insert("acme", "bob", "Q3 plan");
        documents.insert("acme", "carol", "Pricing");
        documents.insert("globex", "gus", "Merger");
        documents
    }

    fn lock(&self) -> MutexGuard<'_, (u64, BTreeMap<String, Document>)> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn insert(&self, tenant: &str, author: &str, title: &str) -> Document {
        let mut inner = self.lock();
        inner.0 += 1;
        let id = format!("doc-{}", inner.0);
        let (tenant, author, title) = (tenant.into(), author.into(), title.into());
        let document = Document {
            id: id.clone(),
            tenant,
            author,
            title,
            approved_by: None,
        };
        inner.1.insert(id, document.clone());
        document
    }

    fn get(&self, id: &str) -> Option<Document> {
        self.lock().1.get(id).cloned()
    }

    /// Approves once; takes the four-eyes proof, so no unchecked approval compiles.
    fn approve(&self, document: &FourEyes<InTenant<Document>>, by: &str) -> Option<Document> {
        let mut inner = self.lock();
        let stored = inner.1.get_mut(&document.id)?;
        stored.approved_by.is_none().then(|| {
            stored.approved_by = Some(by.to_owned());
            stored.clone()
        })
    }

    fn remove(&self, document: &InTenant<Document>) {
        self.lock().1.remove(&document.id);
    }
}

type Store = web::Data<Documents>;

#[public]
async fn health() -> &'static str {
    "ok"
}

/// Owner, or `documents:read_any` in the tenant, or support across tenants; another
/// tenant's document answers 404 exactly as an unknown id does.
#[require(any("documents:read", "documents:read_any_tenant"))]
async fn read(
    #[caller] caller: Caller,
    store: Store,
    id: web::Path<String>,
) -> Result<HttpResponse, Rejection> {
    let document = store.get(&id).ok_or_else(Denied::not_found)?;
    let document = caller.check_owner_or(
        document,
        perm::DocumentsReadAny,
        perm::DocumentsReadAnyTenant,
    )?;
    Ok(HttpResponse::Ok().json(&*document))
}

/// The body of `POST /documents`.
#[derive(Debug, serde::Deserialize)]
pub struct NewDocument {
    title: String,
}

/// Writes a document in the caller's tenant (a CI bot's key: its issuer's tenant).
#[require(permission = "documents:create")]
async fn create(
    #[caller] caller: Caller,
    store: Store,
    new: web::Json<NewDocument>,
) -> Result<HttpResponse, Rejection> {
    caller.check_that((), "the caller belongs to a tenant", |caller, _| {
        caller.tenant().is_some()
    })?;
    let (tenant, author) = (
        caller.tenant().unwrap_or_default(),
        caller.subject().unwrap_or_default(),
    );
    Ok(HttpResponse::Created().json(store.insert(tenant, author, &new.title)))
}

/// 403 for the document's author (four eyes), 409 once approved.
#[require(permission = "documents:approve")]
async fn approve(
    #[caller] caller: Caller,
    store: Store,
    id: web::Path<String>,
) -> Result<HttpResponse, Rejection> {
    let document = store.get(&id).ok_or_else(Denied::not_found)?;
    let document = caller.check_four_eyes(caller.check_tenant(document)?)?;
    match store.approve(&document, caller.subject().unwrap_or_default()) {
        Some(approved) => Ok(HttpResponse::Ok().json(approved)),
        None => Ok(HttpResponse::Conflict().finish()),
    }
}

/// Deleting: `documents:delete`, after a multi-factor login of the last 10 minutes (what that
/// is, `Gate::step_up` says).
#[require(authz_core::StepUp<perm::DocumentsDelete>)]
async fn delete(
    #[caller] caller: Caller,
    store: Store,
    id: web::Path<String>,
) -> Result<HttpResponse, Rejection> {
    let document = store.get(&id).ok_or_else(Denied::not_found)?;
    store.remove(&caller.check_tenant(document)?);
    Ok(HttpResponse::NoContent().finish())
}

/// A key for the CI bot (a service account, never a colleague): it reads and writes documents
/// in the issuing admin's tenant, and nowhere else.
#[require(permission = "api_keys:manage")]
async fn issue_ci_key(
    #[caller] caller: Caller,
    keys: web::Data<ApiKeys>,
) -> Result<HttpResponse, Rejection> {
    let scopes = ["documents:read", "documents:read_any", "documents:create"];
    let issued = keys
        .issue_by(&caller, perm::ApiKeysManage, "ci-bot", scopes, None)
        .await?;
    let record = issued.record();
    let body =
        serde_json::json!({ "key": issued.raw(), "sub": record.subject, "tenant": record.tenant });
    Ok(HttpResponse::Created().json(body))
}

/// Every route and its rule; the logout endpoint is the library's.
pub fn routes(state: &AppState) -> Routes {
    Routes::new()
        .get("/health", health)
        .post("/documents", create)
        .get("/documents/{id}", read)
        .post("/documents/{id}/approve", approve)
        .delete("/documents/{id}", delete)
        .post("/ci-keys", issue_ci_key)
        .backchannel_logout("/backchannel-logout", state.logout.clone())
}

/// What the workers share: the gate, the documents, the keys, the logout receiver.
#[derive(Debug, Clone)]
pub struct AppState {
    gate: Gate,
    documents: Store,
    keys: web::Data<ApiKeys>,
    logout: BackChannelLogout,
}

/// The service, trusting Keycloak tokens signed by `key` (a real service: the realm's JWKS).
pub fn app_state(key: Key) -> Result<AppState, Box<dyn std::error::Error + Send + Sync>> {
    let validator = |audience: &str| {
        Validator::builder()
            .algorithms([Algorithm::RS256])
            .key(key.clone())
            .issuer(ISSUER)
            .audience(audience)
    };
    let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "doc")?.service_accounts(["ci-bot"]);
    let access_tokens = validator(AUDIENCE)
        .require_claim("typ", "Bearer")
        .revocation_store(InMemoryRevocation::new())
        .build()?;
    let gate = Gate::new(access_tokens)
        .realm("documents")
        .cookie("__Host-access_token")
        .allowed_origins([SPA_ORIGIN])
        .step_up(StepUpPolicy::acr(["mfa"]).max_age(Duration::from_secs(600)))
        .api_keys(keys.clone());
    Ok(AppState {
        documents: web::Data::new(Documents::seeded()),
        keys: web::Data::new(keys),
        logout: gate.backchannel_logout(validator(LOGOUT_CLIENT).build()?)?,
        gate,
    })
}

impl AppState {
    /// The routes and app data, for `App::configure`.
    pub fn configure(&self) -> impl FnOnce(&mut ServiceConfig) + use<> {
        let (state, routes) = (self.clone(), routes(self));
        move |cfg| {
            cfg.app_data(web::Data::new(state.gate))
                .app_data(state.documents)
                .app_data(state.keys);
            routes.configure()(cfg);
        }
    }
}

/// A Keycloak login of `subject` with a realm `role`, in `tenant` if given (dev and tests).
pub fn login(subject: &str, tenant: Option<&str>, role: &str) -> ProviderClaims {
    ProviderClaims::new(Provider::Keycloak, ISSUER, AUDIENCE, subject)
        .roles([role])
        .claim("tenant", tenant.into())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let key = TestKey::generate(Algorithm::RS256, "dev");
    let state = app_state(key.verification_key()).map_err(std::io::Error::other)?;
    // Dev mode only: sample tokens for curl, valid for an hour.
    for (name, subject, tenant, role, acr) in [
        ("ANN", "ann", Some("acme"), "admin", "1"),
        ("ANN_MFA", "ann", Some("acme"), "admin", "mfa"),
        ("BOB", "bob", Some("acme"), "member", "1"),
        ("CAROL", "carol", Some("acme"), "reviewer", "1"),
        ("GUS", "gus", Some("globex"), "admin", "1"),
        ("SAM", "sam", None, "support", "1"),
    ] {
        let claims = login(subject, tenant, role)
            .claim("acr", acr.into())
            .claim("exp", (now() + 3600).into());
        println!("{name}={}", claims.mint(&key));
    }
    print!("{}", routes(&state).route_table());
    let port = std::env::var("PORT").map_or(8082, |port| port.parse().unwrap_or(8082));
    HttpServer::new(move || App::new().configure(state.configure()))
        .bind(("127.0.0.1", port))?
        .run()
        .await
}
