//! Routes declared in a tenant (`#[require(..., tenant = "{org}")]`): the caller is scoped to
//! the route's tenant, with the roles the application's store assigns it there, before the
//! requirement is checked; every way out of the tenant is refused.

use authz_axum::{Auth, Router, get, post};
use authz_core::assignments::{Assignments, Member, Membership, MemoryAssignments, Unavailable};
use authz_core::requirement::{CredentialTenant, InTenant, TenantFrom};
use authz_core::testkit::fixture::{Fixture, NotesClaims, notes};
use authz_core::{Authenticated, DenyReason, Gate, Granted, Requirement, require};
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use notes::{Role, perm};
use tower::ServiceExt;

type Authz = authz_axum::Authz<notes::Policy, NotesClaims>;
type Caller = Authenticated<notes::Policy, NotesClaims>;

/// The tenant the body sees is the one the caller was scoped to.
#[require(permission = "notes:read", tenant = "{org}")]
async fn list(#[caller] caller: Caller, _read: Granted<perm::NotesRead>) -> String {
    format!(
        "{} in {}",
        caller.subject().unwrap_or(""),
        caller.tenant().unwrap_or("?")
    )
}

#[require(permission = "notes:write", tenant = "{org}")]
async fn write() -> &'static str {
    "written"
}

#[require(permission = "notes:read", tenant = credential)]
async fn mine(#[caller] caller: Caller) -> String {
    caller.tenant().unwrap_or("?").to_owned()
}

fn router() -> Router<Gate> {
    Router::new()
        .route("/orgs/{org}/notes", get(list).post(write))
        .route("/my/notes", get(mine))
}

async fn call(gate: Gate, method: &str, path: &str, bearer: &str) -> (u16, String) {
    let app = router().into_axum().with_state(gate);
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", bearer)
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn a_member_acts_in_its_tenant_with_the_roles_assigned_there() {
    let fixture = Fixture::new();
    let gate = fixture.gate().assignments(fixture.assignments());
    // The token carries no roles: everything comes from the store.
    let ann = fixture.bearer("ann", &[]);
    let (status, body) = call(gate.clone(), "GET", "/orgs/acme/notes", &ann).await;
    assert_eq!((status, body.as_str()), (200, "ann in acme"));
    let (status, body) = call(gate, "POST", "/orgs/globex/notes", &ann).await;
    assert_eq!((status, body.as_str()), (200, "written"));
}

#[tokio::test]
async fn roles_of_one_tenant_do_not_follow_the_caller_into_another() {
    let fixture = Fixture::new();
    let gate = fixture.gate().assignments(fixture.assignments());
    let ann = fixture.bearer("ann", &[]);
    // An editor in globex, a viewer in acme: writing in acme is refused.
    let (status, _) = call(gate, "POST", "/orgs/acme/notes", &ann).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_tenant_the_caller_is_no_member_of_is_not_found() {
    let fixture = Fixture::new();
    let gate = fixture.gate().assignments(fixture.assignments());
    // Ann asks for a tenant she has no membership in; Bob has none at all, even with a
    // token role that would grant the permission outside any tenant.
    let (status, body) = call(
        gate.clone(),
        "GET",
        "/orgs/initech/notes",
        &fixture.bearer("ann", &[]),
    )
    .await;
    assert_eq!(status, 404);
    assert!(!body.contains("initech"), "{body}");
    let (status, _) = call(
        gate,
        "GET",
        "/orgs/acme/notes",
        &fixture.bearer("bob", &["viewer"]),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_credential_bound_to_a_tenant_never_acts_in_another() {
    let fixture = Fixture::new();
    let gate = fixture.gate().assignments(fixture.assignments());
    // Ann's token names acme; her globex membership does not take it there.
    let ann_in_acme = fixture.bearer_in("ann", &[], "acme");
    let (status, _) = call(gate.clone(), "POST", "/orgs/globex/notes", &ann_in_acme).await;
    assert_eq!(status, 404);
    let (status, body) = call(gate, "GET", "/orgs/acme/notes", &ann_in_acme).await;
    assert_eq!((status, body.as_str()), (200, "ann in acme"));
}

#[tokio::test]
async fn without_a_store_only_the_credentials_own_tenant_is_admitted() {
    let fixture = Fixture::new();
    let gate = fixture.gate();
    let carol = fixture.bearer_in("carol", &["viewer"], "acme");
    let (status, body) = call(gate.clone(), "GET", "/orgs/acme/notes", &carol).await;
    assert_eq!((status, body.as_str()), (200, "carol in acme"));
    let (status, _) = call(gate.clone(), "GET", "/orgs/globex/notes", &carol).await;
    assert_eq!(status, 404);
    // A token naming no tenant acts in none.
    let (status, _) = call(
        gate,
        "GET",
        "/orgs/acme/notes",
        &fixture.bearer("dan", &["viewer"]),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_credentials_tenant_route_needs_a_credential_that_names_one() {
    let fixture = Fixture::new();
    let gate = fixture.gate().assignments(fixture.assignments());
    let (status, body) = call(
        gate.clone(),
        "GET",
        "/my/notes",
        &fixture.bearer_in("ann", &[], "acme"),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "acme"));
    let (status, _) = call(
        gate,
        "GET",
        "/my/notes",
        &fixture.bearer("ann", &["viewer"]),
    )
    .await;
    assert_eq!(status, 404);
}

/// A store whose database is down and whose copy is not current.
struct Down;
impl Assignments<notes::Policy> for Down {
    async fn membership(
        &self,
        _: Member<'_>,
    ) -> Result<Option<Membership<notes::Policy>>, Unavailable> {
        Err(Unavailable::new("connection refused"))
    }
}

#[tokio::test]
async fn a_store_that_cannot_answer_gives_503_never_a_grant() {
    let fixture = Fixture::new();
    let gate = fixture.gate().assignments(Down);
    let (status, body) = call(
        gate,
        "GET",
        "/orgs/acme/notes",
        &fixture.bearer("ann", &["admin"]),
    )
    .await;
    assert_eq!(status, 503);
    assert!(body.contains("role assignments"), "{body}");
}

/// The fixture's assignments, answered only through the store's future, as a database is:
/// every tenant route must wait for it.
struct Remote(MemoryAssignments<notes::Policy>);
impl Assignments<notes::Policy> for Remote {
    async fn membership(
        &self,
        member: Member<'_>,
    ) -> Result<Option<Membership<notes::Policy>>, Unavailable> {
        tokio::task::yield_now().await;
        self.0.membership(member).await
    }
}

/// The guard answers a cache hit at once, without a future of its own; on a tenant route
/// whose store must be asked it takes the long road from the caller it authenticated. Both
/// the grant and the refusal must still be the store's, on the request that fills the cache
/// and on the hits after it.
#[tokio::test]
async fn a_cached_caller_on_a_route_whose_store_must_wait_gets_the_stores_answer() {
    let fixture = Fixture::new();
    let validator = fixture.validator_builder().cache(64).build().unwrap();
    let gate = Gate::new(validator).assignments(Remote(fixture.assignments()));
    let ann = fixture.bearer("ann", &[]);
    for round in 0..3 {
        // A viewer in acme: reads there, may not write; an editor in globex: writes there.
        let (status, body) = call(gate.clone(), "GET", "/orgs/acme/notes", &ann).await;
        assert_eq!(
            (status, body.as_str()),
            (200, "ann in acme"),
            "round {round}"
        );
        let (status, _) = call(gate.clone(), "POST", "/orgs/acme/notes", &ann).await;
        assert_eq!(status, 403, "round {round}: a viewer wrote");
        let (status, body) = call(gate.clone(), "POST", "/orgs/globex/notes", &ann).await;
        assert_eq!((status, body.as_str()), (200, "written"), "round {round}");
        let (status, _) = call(gate.clone(), "GET", "/orgs/initech/notes", &ann).await;
        assert_eq!(
            status, 404,
            "round {round}: read in a tenant she is no member of"
        );
    }
    let stats = gate.validator().cache_stats().unwrap();
    assert!(
        stats.hits >= 11,
        "the rounds after the first were not cache hits: {stats:?}"
    );
}

authz_core::policy! {
    /// Another service's policy.
    pub mod other {
        permissions {
            /// Read.
            "other:read",
        }
    }
}

#[tokio::test]
async fn a_store_of_another_policy_is_a_configuration_error_not_a_pass() {
    let fixture = Fixture::new();
    let gate = fixture
        .gate()
        .assignments(MemoryAssignments::<other::Policy>::new());
    let (status, _) = call(
        gate,
        "GET",
        "/orgs/acme/notes",
        &fixture.bearer_in("ann", &["admin"], "acme"),
    )
    .await;
    assert_eq!(status, 500);
}

#[test]
fn the_route_table_shows_where_each_tenant_comes_from() {
    let table = router().route_table().to_string();
    assert!(
        table.contains("GET     /orgs/{org}/notes  permission(notes:read) in tenant {org}"),
        "{table}"
    );
    assert!(
        table.contains("POST    /orgs/{org}/notes  permission(notes:write) in tenant {org}"),
        "{table}"
    );
    assert!(
        table.contains("/my/notes          permission(notes:read) in the credential's tenant"),
        "{table}"
    );
}

#[test]
fn a_nested_router_finds_the_parameter_in_its_prefix() {
    let inner = Router::<Gate>::new().route("/notes", get(list));
    let app = Router::new().nest("/orgs/{org}", inner);
    assert!(app.route_table().to_string().contains("/orgs/{org}/notes"));
    let _ = app.into_axum();
}

#[test]
#[should_panic(
    expected = "route `GET /notes` takes its tenant from the path parameter `{org}`, which its path does not have"
)]
fn a_route_without_its_tenant_parameter_does_not_start() {
    let _ = Router::<Gate>::new().route("/notes", get(list)).into_axum();
}

#[tokio::test]
async fn a_proof_in_a_tenant_comes_only_from_a_scoped_caller() {
    let fixture = Fixture::new();
    let gate = fixture.gate();
    let header = fixture.bearer("erin", &["admin"]);
    let caller: Caller = gate.authenticate([header.as_bytes()], "/").await.unwrap();
    type InOrg = InTenant<CredentialTenant, perm::NotesRead>;
    assert_eq!(InOrg::TENANT, Some(TenantFrom::Credential));
    // The permission is held, but no tenant was checked: no proof of one.
    let denied = caller.require::<InOrg>().unwrap_err();
    assert_eq!(denied.reason(), DenyReason::OtherTenant);
    assert!(!caller.meets::<InOrg>());
    // Scoped by the store, the same check passes.
    let store = MemoryAssignments::<notes::Policy>::new();
    store.grant(
        Member::new(authz_core::testkit::fixture::ISSUER, "erin", "acme"),
        Role::Viewer,
    );
    let scoped = caller.in_tenant(&store, "acme").await.unwrap();
    assert!(scoped.require::<InOrg>().is_ok());
}

#[tokio::test]
async fn an_optional_caller_beside_a_tenant_route_is_the_unscoped_one() {
    #[require(permission = "notes:read", tenant = "{org}")]
    async fn both(#[caller] scoped: Caller, plain: Auth<Authz>) -> String {
        format!("{:?} {:?}", scoped.tenant(), plain.tenant())
    }
    let fixture = Fixture::new();
    let app = Router::new()
        .route("/orgs/{org}/both", post(both))
        .into_axum()
        .with_state(fixture.gate().assignments(fixture.assignments()));
    let request = Request::post("/orgs/acme/both")
        .header("authorization", fixture.bearer("ann", &[]))
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"Some(\"acme\") None");
}
