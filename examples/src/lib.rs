//! `reports-api`: the example application. Its policy, claims, state and router live here so
//! the binary and the tests share them.
//!
//! ```
//! use authz_core::Claims;
//! use authz_examples::{ReportsClaims, reports::Permission};
//!
//! let erin: ReportsClaims = serde_json::from_str(r#"{"sub":"erin","roles":["editor"]}"#).unwrap();
//! assert!(erin.permissions::<authz_examples::reports::Policy>().contains(Permission::ReportsWrite));
//! let nobody: ReportsClaims = serde_json::from_str(r#"{"sub":"x"}"#).unwrap();
//! assert!(nobody.permissions::<authz_examples::reports::Policy>().is_empty());
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use authz_axum::{Gate, Rejection, Router, delete, get, post};
use authz_core::{
    Authenticated, Claims, Denied, HasOwner, Owned, api_key::ApiKeys, public, require,
};
use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

mod api_keys;
pub mod invoices;
pub mod orgs;
mod revocations;
pub mod tower_adapter;

pub use api_keys::{API_KEY_PREFIX, CreatedApiKey, NewApiKey};

pub use revocations::{Problem, Revocations, Revoke, RevokeRequest};

authz_core::policy! {
    /// Who may do what with reports. Rendered for review in `examples/policy.md`.
    pub mod reports {
        permissions {
            /// Read a report one owns.
            "reports:read",
            /// Create reports.
            "reports:write",
            /// Delete reports.
            "reports:delete",
            /// Read any report, whoever owns it (the owner-check override).
            "reports:read_any",
            /// Revoke tokens: one by its `jti`, or all of a subject's (`POST /admin/revocations`).
            "users:revoke",
            /// Issue and revoke API keys (`POST /admin/api-keys`, `DELETE /admin/api-keys/{id}`)
            /// of one's own subject, granting only permissions one holds.
            "api_keys:manage",
            /// With `api_keys:manage`: issue and revoke API keys of any subject.
            "api_keys:manage_any",
        }
        roles {
            /// Reads their own reports.
            "viewer" = ["reports:read"],
            /// Also writes reports.
            "editor" = "viewer" + ["reports:write"],
            /// Also deletes, reads everyone's reports, revokes tokens and manages everyone's API keys.
            "admin" = "editor" + ["reports:delete", "reports:read_any", "users:revoke", "api_keys:manage", "api_keys:manage_any"],
        }
    }
}

use reports::perm;

/// The access token claims `reports-api` reads: a subject and optional role names.
#[derive(Debug, Clone, Deserialize, Claims)]
pub struct ReportsClaims {
    /// The caller.
    pub sub: String,
    /// Role names; unknown ones grant nothing.
    #[serde(default)]
    #[claims(roles)]
    pub roles: Vec<String>,
    /// How the user logged in (`acr`), for the step-up routes.
    #[serde(default)]
    pub acr: Option<String>,
    /// When the user logged in (`auth_time`), for the step-up routes.
    #[serde(default)]
    pub auth_time: Option<u64>,
}

/// Revoking tokens (`POST /admin/revocations`): `users:revoke`, after a step-up login when the
/// deployment asks for one (`AUTHZ_STEP_UP_ACR`).
pub type RevokeTokens = authz_core::StepUp<reports::perm::UsersRevoke>;

/// Issuing API keys (`POST /admin/api-keys`): `api_keys:manage`, after a step-up login when
/// the deployment asks for one.
pub type IssueApiKeys = authz_core::StepUp<reports::perm::ApiKeysManage>;

/// The checked-in rendering of [`reports`], compared with the code by a test.
pub const POLICY_MARKDOWN: &str = include_str!("../policy.md");

/// The adapter `#[require]` and `#[public]` use in this crate.
pub type Authz = authz_axum::Authz<reports::Policy, ReportsClaims>;

/// The caller, as handlers receive it.
pub type Caller = Authenticated<reports::Policy, ReportsClaims>;

/// A stored report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Its id, `r1`, `r2`, ...
    pub id: String,
    /// The subject that created it.
    pub owner: String,
    /// Its title.
    pub title: String,
}

impl HasOwner for Report {
    fn owner(&self) -> &str {
        &self.owner
    }
}

/// The reports, in memory.
#[derive(Debug, Clone)]
pub struct Store {
    reports: Arc<RwLock<HashMap<String, Report>>>,
    next_id: Arc<AtomicU64>,
}

impl Store {
    /// The seed data: `r1` owned by `alice`, `r2` owned by `bob`.
    pub fn seeded() -> Self {
        let store = Store {
            reports: Arc::default(),
            next_id: Arc::new(AtomicU64::new(1)),
        };
        store.insert("alice", "Q3 numbers");
        store.insert("bob", "Bob's private notes");
        store
    }

    fn insert(&self, owner: &str, title: &str) -> Report {
        let id = format!("r{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let report = Report {
            id: id.clone(),
            owner: owner.to_owned(),
            title: title.to_owned(),
        };
        self.write().insert(id, report.clone());
        report
    }

    fn get(&self, id: &str) -> Option<Report> {
        self.reports
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(id)
            .cloned()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Report>> {
        self.reports
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The router state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Token validation.
    pub authz: Gate,
    /// The reports.
    pub store: Store,
    /// Revoked tokens; the validator in `authz` must consult the same value.
    pub revocations: Revocations,
    /// API keys; `authz` must accept the same value (`Gate::api_keys`).
    pub api_keys: ApiKeys,
    /// The back-channel logout receiver, when the deployment has one (`AUTHZ_LOGOUT_CLIENT_ID`):
    /// it must write to `revocations`.
    pub logout: Option<authz_core::token::BackChannelLogout>,
}

impl FromRef<AppState> for ApiKeys {
    fn from_ref(state: &AppState) -> Self {
        state.api_keys.clone()
    }
}

impl FromRef<AppState> for Gate {
    fn from_ref(state: &AppState) -> Self {
        state.authz.clone()
    }
}

impl FromRef<AppState> for Revocations {
    fn from_ref(state: &AppState) -> Self {
        state.revocations.clone()
    }
}

impl FromRef<AppState> for Store {
    fn from_ref(state: &AppState) -> Self {
        state.store.clone()
    }
}

/// Every route, each with its access rule; a handler without one would not compile here,
/// in the routers that are merged and nested as much as in the top one.
pub fn router() -> Router<AppState> {
    let docs = || Router::new().route("/openapi.json", get(openapi));
    // The document describes the router it is served by, itself included. It is given to
    // its own route alone: a layer on the whole router would cost every request the
    // insertion of an extension.
    let document = openapi_document(routes(docs()).route_table());
    routes(docs().layer(Extension(document)))
}

/// Every route, with `docs` (the route that serves the OpenAPI document) in its place.
fn routes(docs: Router<AppState>) -> Router<AppState> {
    let reports = Router::new()
        .route("/reports", post(create_report))
        .route("/reports/{id}", get(read_report).delete(delete_report));
    let admin = Router::new()
        .route("/revocations", post(revocations::revoke))
        .route("/api-keys", post(api_keys::create))
        .route("/api-keys/{id}", delete(api_keys::revoke));
    Router::new()
        .route("/health", get(health))
        .merge(docs)
        .route("/backchannel-logout", post(backchannel_logout))
        .merge(reports)
        .nest("/admin", admin)
}

/// The OpenAPI document of `reports-api`: every route with the security requirement its guard
/// enforces (`authz_axum::RouteTable::document`).
pub fn openapi_document(table: &authz_axum::RouteTable) -> OpenApiDocument {
    use authz_axum::openapi::utoipa::openapi::{Info, OpenApi, Paths};
    let mut info = Info::new("reports-api", env!("CARGO_PKG_VERSION"));
    info.description = Some("The authz example application.".to_owned());
    let doc = table.document(OpenApi::new(info, Paths::new()));
    let json = doc
        .to_pretty_json()
        .expect("a document of strings and maps serializes");
    OpenApiDocument(Arc::from(json))
}

/// The OpenAPI document as served, JSON text.
#[derive(Debug, Clone)]
pub struct OpenApiDocument(pub Arc<str>);

#[public]
async fn openapi(Extension(document): Extension<OpenApiDocument>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        document.0.to_string(),
    )
        .into_response()
}

/// The errors handlers return.
#[derive(Debug)]
pub enum ApiError {
    /// No report with that id.
    NotFound,
    /// An authorization check in the handler failed.
    Auth(Rejection),
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        ApiError::Auth(denied.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::NotFound => {
                Problem::new(StatusCode::NOT_FOUND, "no report with that id").into_response()
            }
            ApiError::Auth(rejection) => rejection.into_response(),
        }
    }
}

#[public]
async fn health() -> &'static str {
    "ok"
}

/// What a reader sees. Takes the owner-check proof: it cannot be called on a report whose
/// owner check did not pass.
fn view(report: Owned<Report>) -> Json<Report> {
    Json(report.into_inner())
}

#[require(permission = "reports:read")]
async fn read_report(
    caller: Authenticated<reports::Policy, ReportsClaims>,
    State(store): State<Store>,
    Path(id): Path<String>,
) -> Result<Json<Report>, ApiError> {
    let report = store.get(&id).ok_or(ApiError::NotFound)?;
    let report = caller.check_owner(report, perm::ReportsReadAny)?;
    Ok(view(report))
}

/// The body of `POST /reports`.
#[derive(Debug, Deserialize)]
pub struct NewReport {
    /// The title.
    pub title: String,
}

/// The answer to `POST /reports`.
#[derive(Debug, Serialize)]
pub struct Created {
    /// The new report's id.
    pub id: String,
    /// Its owner: the caller.
    pub owner: String,
}

#[require(permission = "reports:write")]
async fn create_report(
    caller: Authenticated<reports::Policy, ReportsClaims>,
    State(store): State<Store>,
    Json(new): Json<NewReport>,
) -> (StatusCode, Json<Created>) {
    let report = store.insert(caller.subject().unwrap_or_default(), &new.title);
    (
        StatusCode::CREATED,
        Json(Created {
            id: report.id,
            owner: report.owner,
        }),
    )
}

#[require(permission = "reports:delete")]
async fn delete_report(State(store): State<Store>, Path(id): Path<String>) -> StatusCode {
    match store.write().remove(&id) {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}

/// The form `POST /backchannel-logout` receives (OpenID Connect Back-Channel Logout 1.0
/// section 2.5).
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    /// The logout token.
    pub logout_token: String,
}

/// `POST /backchannel-logout` (public: the identity provider calls it, authenticated by the
/// logout token's signature): 200 once the session's or user's tokens are revoked, 400 with an
/// OAuth error body otherwise, `Cache-Control: no-store` on both; 404 when the deployment
/// receives no logouts (`AUTHZ_LOGOUT_CLIENT_ID` unset).
#[public]
async fn backchannel_logout(
    State(state): State<AppState>,
    form: Result<axum::Form<LogoutForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
    let Some(logout) = &state.logout else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let no_store = [(CACHE_CONTROL, "no-store")];
    let Ok(axum::Form(form)) = form else {
        let body = serde_json::json!({
            "error": "invalid_request",
            "error_description": "expected a form body with logout_token",
        });
        return (StatusCode::BAD_REQUEST, no_store, Json(body)).into_response();
    };
    match logout.receive(&form.logout_token).await {
        Ok(done) => {
            tracing::info!(
                target: authz_core::audit::AUDIT_TARGET,
                event = "backchannel_logout",
                issuer = ?done.issuer(),
                subject = ?done.subject().unwrap_or(""),
                session = ?done.session().unwrap_or(""),
            );
            (StatusCode::OK, no_store).into_response()
        }
        Err(error) => {
            tracing::warn!(
                target: authz_core::audit::AUDIT_TARGET,
                event = "backchannel_logout",
                reason = %error,
            );
            (
                StatusCode::BAD_REQUEST,
                [
                    (CACHE_CONTROL, "no-store"),
                    (CONTENT_TYPE, "application/json"),
                ],
                error.body(),
            )
                .into_response()
        }
    }
}

// The Rust blocks of the markdown documentation, compiled (and run, unless marked `no_run`) as
// doc tests of this crate, whose dependencies have every feature they use.

/// The workspace README.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// `docs/guide.md`.
#[cfg(doctest)]
#[doc = include_str!("../../docs/guide.md")]
pub struct GuideDoctests;

/// `examples/README.md`: the two example applications' walkthroughs.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ExamplesReadmeDoctests;

/// `docs/roles-from-your-database.md` (here, not in `authz-postgres`, because its routes are
/// axum's).
#[cfg(doctest)]
#[doc = include_str!("../../docs/roles-from-your-database.md")]
pub struct RolesFromYourDatabaseDoctests;

/// `docs/adapters.md`.
#[cfg(doctest)]
#[doc = include_str!("../../docs/adapters.md")]
pub struct AdaptersDoctests;

/// The README of `authz-core`.
#[cfg(doctest)]
#[doc = include_str!("../../authz-core/README.md")]
pub struct AuthzCoreReadmeDoctests;

/// The README of `authz-macros`.
#[cfg(doctest)]
#[doc = include_str!("../../authz-macros/README.md")]
pub struct AuthzMacrosReadmeDoctests;

/// The README of `authz-axum`.
#[cfg(doctest)]
#[doc = include_str!("../../authz-axum/README.md")]
pub struct AuthzAxumReadmeDoctests;
