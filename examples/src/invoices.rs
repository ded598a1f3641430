//! `invoices-api`: a multi-tenant service beside `reports-api`. Keycloak access tokens (realm
//! and client roles, `scope`, a tenant claim), tenant isolation, four-eyes approval, separation
//! of duties, and API keys for machine clients that act in their issuer's tenant. The binary is
//! `src/bin/invoices-api.rs`; the rules are tested in `tests/invoices.rs` and described in
//! `examples/README.md` ("invoices-api").
//!
//! ```
//! use authz_core::Authenticated;
//! use authz_examples::invoices::{KeycloakClaims, policy};
//!
//! // Realm role `auditor`, client role `clerk` of `invoices-api`, Keycloak's defaults beside.
//! let claims: KeycloakClaims = serde_json::from_str(r#"{
//!     "sub": "f1c6", "tenant": "acme", "scope": "openid profile email",
//!     "realm_access": {"roles": ["offline_access", "uma_authorization", "default-roles-invoices", "auditor"]},
//!     "resource_access": {"invoices-api": {"roles": ["clerk"]}, "account": {"roles": ["view-profile"]}}
//! }"#).unwrap();
//! let caller = Authenticated::<policy::Policy, _>::from_verified_claims(claims);
//! assert_eq!(caller.tenant(), Some("acme"));
//! assert!(caller.meets::<policy::perm::InvoicesReadAny>()); // the realm role
//! assert!(caller.meets::<policy::perm::InvoicesCreate>()); // the client role
//! assert_eq!(caller.unknown_counts(), (0, 0)); // nothing of Keycloak's own reported as unknown
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use authz_axum::{Gate, Rejection, Router, get, post};
use authz_core::api_key::{ApiKeys, InMemoryApiKeyStore};
use authz_core::checks::FourEyes;
use authz_core::claims::Nested;
use authz_core::token::ValidatorBuilder;
use authz_core::{Authenticated, Claims, Denied, Owned, Validator, public, require};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::Problem;

authz_core::policy! {
    /// Who may do what with invoices. Every check but `invoices:read_any_tenant` stays inside
    /// the caller's tenant.
    pub mod policy {
        permissions {
            /// Read the invoices one owns (of one's tenant).
            "invoices:read",
            /// Read every invoice of one's tenant (the owner-check override; never crosses
            /// tenants).
            "invoices:read_any",
            /// Create invoices in one's tenant.
            "invoices:create",
            /// Approve an invoice of one's tenant that someone else created.
            "invoices:approve",
            /// Read invoices of every tenant, on the support route only.
            "invoices:read_any_tenant",
            /// Issue API keys acting as oneself, in one's tenant, with permissions one holds.
            "api_keys:manage",
        }
        roles {
            /// Reads their own invoices.
            "viewer" = ["invoices:read"],
            /// Reads every invoice of the tenant.
            "auditor" = "viewer" + ["invoices:read_any"],
            /// Creates invoices, and API keys for the scripts that create them.
            "clerk" = "viewer" + ["invoices:create", "api_keys:manage"],
            /// Reads every invoice of the tenant and approves them.
            "accountant" = "auditor" + ["invoices:approve"],
            /// The service's own support staff: reads any tenant's invoices on the support route.
            "support" = ["invoices:read_any_tenant"],
        }
        separation_of_duties {
            // Who creates an invoice does not approve it: no role holds both (checked when
            // this compiles), and a token combining `clerk` and `accountant` is refused (the
            // Gate's default, `Separation::Refuse`).
            ["invoices:create", "invoices:approve"],
        }
    }
}

use policy::perm;

/// The access token of the Keycloak realm `invoices`: realm roles in `realm_access.roles`,
/// this API's client roles in `resource_access.invoices-api.roles`, the OAuth `scope`, and the
/// tenant in a `tenant` claim (a user-attribute mapper on the client).
///
/// Keycloak 26's built-in `organization` claim is a list of aliases (or an object keyed by
/// them), which `#[claims(tenant)]` cannot read: a string claim is what a mapper gives.
#[derive(Debug, Clone, Deserialize, Claims)]
#[claims(ignore = ["uma_authorization", "default-roles-invoices"])]
pub struct KeycloakClaims {
    /// The user's id in the realm.
    pub sub: String,
    /// `{"roles": [...]}`: the realm roles.
    #[serde(default)]
    #[claims(roles, at = "roles")]
    pub realm_access: Option<Nested>,
    /// `{"<client>": {"roles": [...]}, ...}`: client roles; only `invoices-api`'s are read.
    #[serde(default)]
    #[claims(roles, at = "invoices-api.roles")]
    pub resource_access: Option<Nested>,
    /// The OAuth scope; `openid profile email` grant nothing and are not reported as unknown.
    #[serde(default)]
    #[claims(scope)]
    pub scope: String,
    /// The caller's tenant; a caller without one passes no tenant check.
    #[serde(default)]
    #[claims(tenant)]
    pub tenant: Option<String>,
}

/// The adapter `#[require]` and `#[public]` use in this module.
pub type Authz = authz_axum::Authz<policy::Policy, KeycloakClaims>;

/// The caller, as handlers receive it.
pub type Caller = Authenticated<policy::Policy, KeycloakClaims>;

/// The default issuer: the Keycloak realm `invoices`.
pub const ISSUER: &str = "https://sso.invoices.invalid/realms/invoices";

/// The default audience: Keycloak puts the client in `aud` through an audience mapper.
pub const AUDIENCE: &str = "invoices-api";

/// The prefix of invoices-api keys: `inv_<id>_<secret>`.
pub const API_KEY_PREFIX: &str = "inv";

/// Keycloak's access tokens for this API: the issuer (the realm's URL), the audience, and the
/// payload `typ` `Bearer` that tells them from the realm's ID tokens (same issuer and keys).
pub fn keycloak(builder: ValidatorBuilder, issuer: &str, audience: &str) -> ValidatorBuilder {
    builder
        .issuer(issuer)
        .audience(audience)
        .require_claim("typ", "Bearer")
}

/// A stored invoice. It names its owner, tenant and creator for the owner, tenant and
/// four-eyes checks.
#[derive(Debug, Clone, Serialize, authz_core::Resource)]
pub struct Invoice {
    /// Its id, `inv-1`, `inv-2`, ...
    pub id: String,
    /// The tenant it belongs to.
    #[resource(tenant)]
    pub tenant: String,
    /// The subject responsible for it, who may read it with `invoices:read` alone.
    #[resource(owner)]
    pub owner: String,
    /// The subject that created it, who may not approve it.
    #[resource(creator)]
    pub created_by: String,
    /// The amount, in cents.
    pub amount_cents: u64,
    /// Who approved it, once approved.
    pub approved_by: Option<String>,
}

/// The invoices, in memory.
#[derive(Debug, Clone)]
pub struct InvoiceStore {
    invoices: Arc<RwLock<BTreeMap<String, Invoice>>>,
    next_id: Arc<AtomicU64>,
}

impl InvoiceStore {
    /// The seed data. Tenant `acme`: `inv-1` owned by `dave`, `inv-2` owned by `erin`, both
    /// created by `carol`. Tenant `globex`: `inv-3` owned by `gus`, created by `gina`.
    pub fn seeded() -> Self {
        let store = InvoiceStore {
            invoices: Arc::default(),
            next_id: Arc::new(AtomicU64::new(1)),
        };
        store.insert("acme", "dave", "carol", 120_000);
        store.insert("acme", "erin", "carol", 45_050);
        store.insert("globex", "gus", "gina", 990_000);
        store
    }

    fn insert(&self, tenant: &str, owner: &str, created_by: &str, amount_cents: u64) -> Invoice {
        let id = format!("inv-{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let invoice = Invoice {
            id: id.clone(),
            tenant: tenant.to_owned(),
            owner: owner.to_owned(),
            created_by: created_by.to_owned(),
            amount_cents,
            approved_by: None,
        };
        self.write().insert(id, invoice.clone());
        invoice
    }

    fn get(&self, id: &str) -> Option<Invoice> {
        self.read().get(id).cloned()
    }

    /// The invoices of `tenant` that pass `filter`, as a database query would select them.
    fn list(&self, tenant: &str, filter: impl Fn(&Invoice) -> bool) -> Vec<Invoice> {
        self.read()
            .values()
            .filter(|invoice| invoice.tenant == tenant && filter(invoice))
            .cloned()
            .collect()
    }

    /// Records the approval; the approved invoice, or `None` if it was approved already.
    /// Takes the four-eyes proof, so it cannot be called on an invoice whose check did not pass.
    fn approve(&self, invoice: &FourEyes<Invoice>, approver: &str) -> Option<Invoice> {
        let mut invoices = self.write();
        let stored = invoices.get_mut(&invoice.id)?;
        if stored.approved_by.is_some() {
            return None;
        }
        stored.approved_by = Some(approver.to_owned());
        Some(stored.clone())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Invoice>> {
        self.invoices
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Invoice>> {
        self.invoices
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The router state.
#[derive(Debug, Clone)]
pub struct InvoicesState {
    /// Token and API key validation.
    pub authz: Gate,
    /// The invoices.
    pub store: InvoiceStore,
    /// API keys; `authz` accepts the same value.
    pub api_keys: ApiKeys,
}

impl InvoicesState {
    /// The seed data, API keys kept in memory, and a gate that checks tokens with `validator`
    /// and accepts the keys.
    pub fn new(validator: Validator) -> Self {
        let api_keys = ApiKeys::new(InMemoryApiKeyStore::default(), API_KEY_PREFIX)
            .expect("`inv` is a valid prefix");
        InvoicesState {
            authz: Gate::new(validator)
                .realm("invoices-api")
                .api_keys(api_keys.clone()),
            store: InvoiceStore::seeded(),
            api_keys,
        }
    }
}

impl FromRef<InvoicesState> for Gate {
    fn from_ref(state: &InvoicesState) -> Self {
        state.authz.clone()
    }
}

impl FromRef<InvoicesState> for InvoiceStore {
    fn from_ref(state: &InvoicesState) -> Self {
        state.store.clone()
    }
}

impl FromRef<InvoicesState> for ApiKeys {
    fn from_ref(state: &InvoicesState) -> Self {
        state.api_keys.clone()
    }
}

/// Every route of `invoices-api`, each with its access rule.
pub fn router() -> Router<InvoicesState> {
    Router::new()
        .route("/health", get(health))
        .route("/invoices", get(list_invoices).post(create_invoice))
        .route("/invoices/{id}", get(read_invoice))
        .route("/invoices/{id}/approve", post(approve_invoice))
        .route("/support/invoices/{id}", get(support_read_invoice))
        .route("/api-keys", post(create_api_key))
}

#[public]
async fn health() -> &'static str {
    "ok"
}

/// What a reader sees; takes the owner-check proof.
fn view(invoice: Owned<Invoice>) -> Json<Invoice> {
    Json(invoice.into_inner())
}

/// `GET /invoices`: the caller's tenant's invoices, all of them with `invoices:read_any`, else
/// the caller's own. A list is a query, not a check per row (which would audit a refusal for
/// every invoice the caller may not read): it selects what the owner check would let through.
#[require(permission = "invoices:read")]
async fn list_invoices(
    #[caller] caller: Caller,
    State(store): State<InvoiceStore>,
) -> Json<Vec<Invoice>> {
    let Some(tenant) = caller.tenant() else {
        return Json(Vec::new());
    };
    let read_any = caller.meets::<perm::InvoicesReadAny>();
    let subject = caller.subject();
    Json(store.list(tenant, |invoice| {
        read_any || subject == Some(invoice.owner.as_str())
    }))
}

/// `GET /invoices/{id}`: the owner check, with `invoices:read_any` as the override within the
/// tenant. 404 for an unknown id and for another tenant's invoice alike; 403 for a colleague's
/// invoice without `invoices:read_any`.
#[require(permission = "invoices:read")]
async fn read_invoice(
    #[caller] caller: Caller,
    State(store): State<InvoiceStore>,
    Path(id): Path<String>,
) -> Result<Response, Rejection> {
    // Another tenant's invoice answers as an unknown id does (404): ids cannot be probed.
    let invoice = store.get(&id).ok_or_else(Denied::not_found)?;
    let invoice = caller.check_owner(invoice, perm::InvoicesReadAny)?;
    Ok(view(invoice).into_response())
}

/// `GET /support/invoices/{id}`: the tenant's auditors read its invoices here too; support
/// staff read any tenant's, through `invoices:read_any_tenant` and only that.
#[require(any("invoices:read_any", "invoices:read_any_tenant"))]
async fn support_read_invoice(
    #[caller] caller: Caller,
    State(store): State<InvoiceStore>,
    Path(id): Path<String>,
) -> Result<Response, Rejection> {
    let invoice = store.get(&id).ok_or_else(Denied::not_found)?;
    let invoice = caller.check_tenant_or(invoice, perm::InvoicesReadAnyTenant)?;
    Ok(Json(invoice.into_inner()).into_response())
}

/// The body of `POST /invoices`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInvoice {
    /// The subject responsible for the invoice; default: the caller.
    pub owner: Option<String>,
    /// The amount, in cents.
    pub amount_cents: u64,
}

/// `POST /invoices`: 201 with the invoice, created in the caller's tenant by the caller. 403
/// for a caller that belongs to no tenant.
#[require(permission = "invoices:create")]
async fn create_invoice(
    #[caller] caller: Caller,
    State(store): State<InvoiceStore>,
    body: Result<Json<NewInvoice>, JsonRejection>,
) -> Result<Response, Rejection> {
    let Json(new) = match body {
        Ok(body) => body,
        Err(rejection) => {
            let shape = r#"expected {"owner": "...", "amount_cents": <integer>}"#;
            return Ok(Problem::bad_body(&rejection, shape).into_response());
        }
    };
    let new = caller.check_that(new, "the caller belongs to a tenant", |caller, _| {
        caller.tenant().is_some()
    })?;
    let tenant = caller.tenant().unwrap_or_default();
    let creator = caller.subject().unwrap_or_default();
    let owner = new.owner.as_deref().unwrap_or(creator);
    let invoice = store.insert(tenant, owner, creator, new.amount_cents);
    Ok((StatusCode::CREATED, Json(invoice)).into_response())
}

/// `POST /invoices/{id}/approve`: 200 with the approved invoice. 404 for an unknown id or
/// another tenant's invoice; 403 for the invoice's creator (four eyes); 409 if already
/// approved.
#[require(permission = "invoices:approve")]
async fn approve_invoice(
    #[caller] caller: Caller,
    State(store): State<InvoiceStore>,
    Path(id): Path<String>,
) -> Result<Response, Rejection> {
    let invoice = store.get(&id).ok_or_else(Denied::not_found)?;
    let invoice = caller.check_tenant(invoice)?;
    let invoice = caller.check_four_eyes(invoice.into_inner())?;
    let approver = caller.subject().unwrap_or_default();
    Ok(match store.approve(&invoice, approver) {
        Some(approved) => Json(approved).into_response(),
        None => {
            Problem::new(StatusCode::CONFLICT, "the invoice is approved already").into_response()
        }
    })
}

/// The body of `POST /api-keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInvoicesApiKey {
    /// Permission names of the invoices policy, each held by the caller.
    pub permissions: Vec<String>,
    /// Lifetime in seconds; absent: no expiry.
    pub expires_in: Option<u64>,
}

/// The answer to `POST /api-keys`: the only time the raw key is shown.
#[derive(Debug, Serialize)]
pub struct IssuedInvoicesApiKey {
    /// The public id.
    pub id: String,
    /// The raw key, `inv_<id>_<secret>`.
    pub key: String,
    /// The subject the key acts as: the caller.
    pub sub: String,
    /// The tenant it acts in: the caller's.
    pub tenant: Option<String>,
    /// The granted permissions.
    pub permissions: Vec<String>,
}

/// `POST /api-keys`: 201 with a key acting as the caller, in the caller's tenant, with
/// permissions the caller holds. 400 for an unknown permission name; 403 for one the caller
/// lacks.
#[require(permission = "api_keys:manage")]
async fn create_api_key(
    #[caller] caller: Caller,
    State(keys): State<ApiKeys>,
    body: Result<Json<NewInvoicesApiKey>, JsonRejection>,
) -> Result<Response, Rejection> {
    let Json(new) = match body {
        Ok(body) => body,
        Err(rejection) => {
            let shape = r#"expected {"permissions": ["..."], "expires_in": <seconds>}"#;
            return Ok(Problem::bad_body(&rejection, shape).into_response());
        }
    };
    let subject = caller.subject().unwrap_or_default();
    // Always for the caller's own subject, so the requirement for other subjects (the second
    // argument) is never consulted; the route's own permission stands in for it.
    let issued = keys
        .issue_by(
            &caller,
            perm::ApiKeysManage,
            subject,
            &new.permissions,
            new.expires_in.map(Duration::from_secs),
        )
        .await?;
    let record = issued.record();
    let created = IssuedInvoicesApiKey {
        id: record.id.clone(),
        key: issued.raw().to_owned(),
        sub: record.subject.clone(),
        tenant: record.tenant.clone(),
        permissions: record.permissions.clone(),
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}
