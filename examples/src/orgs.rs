//! `orgs-api`: an organisation-scoped invoices service whose tokens only authenticate. A token
//! says who the caller is (`sub`) and nothing else; what the caller is in each organisation
//! comes from PostgreSQL, through [`PgAssignments`]. Every route under `/orgs/{org}/` is
//! declared in the tenant `{org}` (`#[require(..., tenant = "{org}")]`): the gate scopes the
//! caller to the organisation of the path before it checks the permission, and the handler reads
//! the organisation from the scoped caller (`caller.tenant()`), never from the path again, so
//! a handler cannot serve one organisation's data to a member of another. The binary is
//! `src/bin/orgs-api.rs`; the rules are tested against a real PostgreSQL in `tests/orgs.rs`
//! and described in `examples/README.md` ("orgs-api").
//!
//! The same checks outside HTTP, with a store in memory in place of PostgreSQL:
//!
//! ```
//! use authz_core::Authenticated;
//! use authz_core::assignments::{Member, MemoryAssignments};
//! use authz_examples::orgs::{OrgsClaims, policy::{Policy, Role, perm}};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! // Roles in the token are not read: the claims have no field for them.
//! let claims: OrgsClaims = serde_json::from_str(r#"{"sub": "carl", "roles": ["owner"]}"#).unwrap();
//! let carl = Authenticated::<Policy, _>::from_verified_claims(claims);
//! assert!(carl.permissions().is_empty());
//!
//! let store = MemoryAssignments::<Policy>::new();
//! store.grant(Member::new("", "carl", "acme"), Role::Clerk);
//! let in_acme = carl.in_tenant(&store, "acme").await.unwrap();
//! assert!(in_acme.require::<perm::InvoicesWrite>().is_ok());
//! assert_eq!(in_acme.tenant(), Some("acme"));
//! // No membership in globex: refused as an organisation that does not exist (404).
//! assert_eq!(carl.in_tenant(&store, "globex").await.unwrap_err().http_status(), 404);
//! # });
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use authz_axum::{Gate, Rejection, Router, get, put};
use authz_core::assignments::{Member, OwnTenantOnly};
use authz_core::audit::ErrorChain;
use authz_core::{Authenticated, Claims, Denied, Validator, public, require};
use authz_postgres::PgAssignments;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use crate::Problem;

authz_core::policy! {
    /// What a member may do in an organisation. Every role is held in one organisation: the
    /// database assigns it per (issuer, subject, organisation).
    pub mod policy {
        permissions {
            /// Read the organisation's invoices.
            "invoices:read",
            /// Create invoices in the organisation.
            "invoices:write",
            /// List the organisation's members and their roles.
            "members:read",
            /// Grant and revoke roles in the organisation, each only if one holds every
            /// permission of the role (no escalation).
            "members:manage",
        }
        roles {
            /// Reads invoices.
            "viewer" = ["invoices:read"],
            /// Also creates invoices.
            "clerk" = "viewer" + ["invoices:write"],
            /// Reads invoices and manages members, but cannot write invoices, so can make
            /// others viewers and managers only.
            "manager" = "viewer" + ["members:read", "members:manage"],
            /// Runs the organisation: a clerk and a manager.
            "owner" = "clerk" + "manager",
        }
    }
}

use policy::Policy;

/// The access token `orgs-api` reads: the subject, nothing else. A `roles` or tenant claim in
/// the token is ignored (there is no field to read it into), so an identity provider cannot
/// grant anything here; the token's `iss` is read by the validator and names the issuer half
/// of the caller's memberships.
#[derive(Debug, Clone, Deserialize, Claims)]
pub struct OrgsClaims {
    /// The caller.
    pub sub: String,
}

/// The adapter `#[require]` and `#[public]` use in this module.
pub type Authz = authz_axum::Authz<Policy, OrgsClaims>;

/// The caller, as handlers receive it: on the routes under `/orgs/{org}/`, scoped to `{org}`.
pub type Caller = Authenticated<Policy, OrgsClaims>;

/// The default issuer (`AUTHZ_ISSUER`).
pub const ISSUER: &str = "https://id.orgs-api.invalid";

/// The default audience (`AUTHZ_AUDIENCE`).
pub const AUDIENCE: &str = "orgs-api";

/// An invoice of an organisation.
#[derive(Debug, Clone, Serialize)]
pub struct Invoice {
    /// Its id within the organisation, `inv-1`, `inv-2`, ...
    pub id: String,
    /// The organisation it belongs to.
    pub org: String,
    /// The subject that created it.
    pub created_by: String,
    /// The amount, in cents.
    pub amount_cents: u64,
}

/// The invoices, in memory, per organisation. Every method takes the organisation from a
/// scoped caller (`org_of` reads it), so no handler picks another organisation's list.
#[derive(Debug, Clone, Default)]
pub struct Invoices(Arc<Mutex<HashMap<String, Vec<Invoice>>>>);

impl Invoices {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Invoice>>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn list(&self, org: &str) -> Vec<Invoice> {
        self.lock().get(org).cloned().unwrap_or_default()
    }

    fn create(&self, org: &str, created_by: &str, amount_cents: u64) -> Invoice {
        let mut orgs = self.lock();
        let invoices = orgs.entry(org.to_owned()).or_default();
        let invoice = Invoice {
            id: format!("inv-{}", invoices.len() + 1),
            org: org.to_owned(),
            created_by: created_by.to_owned(),
            amount_cents,
        };
        invoices.push(invoice.clone());
        invoice
    }
}

/// A member of an organisation, as `GET /orgs/{org}/members` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberRoles {
    /// The issuer of the member's tokens.
    pub issuer: String,
    /// The member's subject.
    pub subject: String,
    /// The roles assigned to it in the organisation, by name.
    pub roles: Vec<String>,
}

/// The router state.
#[derive(Debug, Clone)]
pub struct OrgsState {
    /// Token validation, and the role assignments routes in a tenant scope callers with.
    pub authz: Gate,
    /// The role assignments, for the management routes (the gate holds the same store).
    pub assignments: PgAssignments<Policy>,
    /// The invoices.
    pub invoices: Invoices,
}

impl OrgsState {
    /// No invoices yet, tokens checked by `validator`, and every role from `assignments`.
    pub fn new(validator: Validator, assignments: PgAssignments<Policy>) -> Self {
        OrgsState {
            authz: Gate::new(validator)
                .realm("orgs-api")
                .assignments(assignments.clone()),
            assignments,
            invoices: Invoices::default(),
        }
    }
}

impl FromRef<OrgsState> for Gate {
    fn from_ref(state: &OrgsState) -> Self {
        state.authz.clone()
    }
}

impl FromRef<OrgsState> for PgAssignments<Policy> {
    fn from_ref(state: &OrgsState) -> Self {
        state.assignments.clone()
    }
}

impl FromRef<OrgsState> for Invoices {
    fn from_ref(state: &OrgsState) -> Self {
        state.invoices.clone()
    }
}

/// The route table as served by `GET /routes`.
#[derive(Debug, Clone)]
struct RouteTableText(Arc<str>);

/// Every route of `orgs-api`, each with its access rule.
pub fn router() -> Router<OrgsState> {
    let org = Router::new()
        .route("/invoices", get(list_invoices).post(create_invoice))
        .route("/members", get(list_members))
        .route(
            "/members/{subject}/roles/{role}",
            put(grant_role).delete(revoke_role),
        );
    let router = Router::new()
        .route("/routes", get(routes))
        .nest("/orgs/{org}", org);
    // The table describes the router it is served by, itself included.
    let table = RouteTableText(Arc::from(router.route_table().to_string()));
    router.layer(Extension(table))
}

/// `GET /routes`: the route table, each route with its access rule.
#[public]
async fn routes(Extension(table): Extension<RouteTableText>) -> String {
    table.0.to_string()
}

/// The organisation the caller was scoped to by the route's guard. Every route under
/// `/orgs/{org}/` is declared in that tenant, so a caller without one never gets here; should
/// one, it is refused as a stranger is (404), not served from some default.
fn org_of(caller: &Caller) -> Result<&str, Denied> {
    caller.tenant().ok_or_else(Denied::not_found)
}

/// `GET /orgs/{org}/invoices`: the organisation's invoices.
#[require(permission = "invoices:read", tenant = "{org}")]
async fn list_invoices(
    #[caller] caller: Caller,
    State(invoices): State<Invoices>,
) -> Result<Json<Vec<Invoice>>, Rejection> {
    Ok(Json(invoices.list(org_of(&caller)?)))
}

/// The body of `POST /orgs/{org}/invoices`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInvoice {
    /// The amount, in cents.
    pub amount_cents: u64,
}

/// `POST /orgs/{org}/invoices`: 201 with the invoice, created in the organisation by the caller.
#[require(permission = "invoices:write", tenant = "{org}")]
async fn create_invoice(
    #[caller] caller: Caller,
    State(invoices): State<Invoices>,
    body: Result<Json<NewInvoice>, JsonRejection>,
) -> Result<Response, Rejection> {
    let Json(new) = match body {
        Ok(body) => body,
        Err(rejection) => {
            let shape = r#"expected {"amount_cents": <integer>}"#;
            return Ok(Problem::bad_body(&rejection, shape).into_response());
        }
    };
    let org = org_of(&caller)?;
    let invoice = invoices.create(org, caller.subject().unwrap_or_default(), new.amount_cents);
    Ok((StatusCode::CREATED, Json(invoice)).into_response())
}

/// `GET /orgs/{org}/members`: the organisation's members and their roles, as the database
/// holds them now; 503 when it cannot be read.
#[require(permission = "members:read", tenant = "{org}")]
async fn list_members(
    #[caller] caller: Caller,
    State(assignments): State<PgAssignments<Policy>>,
) -> Result<Response, Rejection> {
    Ok(match assignments.members_in(org_of(&caller)?).await {
        Ok(members) => Json(
            members
                .into_iter()
                .map(|member| MemberRoles {
                    issuer: member.issuer,
                    subject: member.subject,
                    roles: member
                        .assigned
                        .assigned()
                        .iter()
                        .map(|r| r.name().to_owned())
                        .collect(),
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(error) => {
            tracing::warn!(error = %ErrorChain(&error), "listing the members failed");
            let detail = "the members cannot be read right now";
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, detail).into_response()
        }
    })
}

/// The path of the role routes beside its `{org}`, which is read from the scoped caller.
#[derive(Debug, Deserialize)]
pub struct MemberRole {
    /// The member's subject (of the caller's issuer).
    pub subject: String,
    /// A role name of [`policy`].
    pub role: String,
}

/// The answer of the role routes.
#[derive(Debug, Serialize, Deserialize)]
pub struct RoleChange {
    /// The organisation: the caller's.
    pub org: String,
    /// The member's issuer: the caller's.
    pub issuer: String,
    /// The member's subject.
    pub subject: String,
    /// The role.
    pub role: String,
    /// Whether the member holds the role now.
    pub assigned: bool,
    /// Whether this request changed anything (false: it was so already).
    pub changed: bool,
}

/// The role a path names, or 400 naming the roles there are.
fn role_named(name: &str) -> Result<policy::Role, Problem> {
    policy::Role::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = policy::Role::ALL.iter().map(|role| role.name()).collect();
        Problem::new(
            StatusCode::BAD_REQUEST,
            format!("unknown role; the roles are {}", known.join(", ")),
        )
    })
}

/// `PUT /orgs/{org}/members/{subject}/roles/{role}`: assigns the role in the caller's
/// organisation to `subject` of the caller's issuer. 200 with the change; 400 an unknown role;
/// 403 a role with a permission the caller does not hold itself.
#[require(permission = "members:manage", tenant = "{org}")]
async fn grant_role(
    #[caller] caller: Caller,
    State(assignments): State<PgAssignments<Policy>>,
    Path(target): Path<MemberRole>,
) -> Result<Response, Rejection> {
    change(&caller, &assignments, &target, true).await
}

/// `DELETE /orgs/{org}/members/{subject}/roles/{role}`: takes the role back, under the same
/// rules as granting it (a manager cannot demote an owner).
#[require(permission = "members:manage", tenant = "{org}")]
async fn revoke_role(
    #[caller] caller: Caller,
    State(assignments): State<PgAssignments<Policy>>,
    Path(target): Path<MemberRole>,
) -> Result<Response, Rejection> {
    change(&caller, &assignments, &target, false).await
}

async fn change(
    caller: &Caller,
    assignments: &PgAssignments<Policy>,
    target: &MemberRole,
    grant: bool,
) -> Result<Response, Rejection> {
    let role = match role_named(&target.role) {
        Ok(role) => role,
        Err(problem) => return Ok(problem.into_response()),
    };
    let org = org_of(caller)?;
    let issuer = caller.issuer().unwrap_or_default();
    let member = Member::new(issuer, &target.subject, org);
    // The member is always in the caller's own organisation: these routes never cross
    // organisations, whatever the caller holds.
    let own = OwnTenantOnly::default();
    // 403 for a role beyond the caller's permissions, 503 when the database cannot be written.
    let changed = if grant {
        assignments.grant_by(caller, own, member, role).await?
    } else {
        assignments.revoke_by(caller, own, member, role).await?
    };
    Ok(Json(RoleChange {
        org: org.to_owned(),
        issuer: issuer.to_owned(),
        subject: target.subject.clone(),
        role: role.name().to_owned(),
        assigned: grant,
        changed,
    })
    .into_response())
}
