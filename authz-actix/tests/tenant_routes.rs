//! Routes declared in a tenant (`#[require(..., tenant = "{org}")]`) on actix-web: the caller
//! is scoped to the route's tenant, with the roles the application's store assigns it there,
//! before the requirement is checked; every way out of the tenant is refused. The same
//! behaviours as `authz-axum/tests/tenant_routes.rs`.

use actix_web::test::{TestRequest, call_service, init_service, read_body};
use actix_web::{App, web};
use authz_actix::{Auth, Routes};
use authz_core::assignments::{Assignments, Member, Membership, MemoryAssignments, Unavailable};
use authz_core::testkit::fixture::{Fixture, NotesClaims, notes};
use authz_core::{Authenticated, Gate, Granted, require};
use notes::perm;

type Authz = authz_actix::Authz<notes::Policy, NotesClaims>;
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

fn routes() -> Routes {
    Routes::new()
        .get("/orgs/{org}/notes", list)
        .post("/orgs/{org}/notes", write)
        .get("/my/notes", mine)
}

/// What the service answered.
#[derive(Debug)]
struct Reply {
    status: u16,
    body: String,
    challenge: Option<String>,
    retry_after: Option<String>,
}

impl Reply {
    /// The problem body's `detail`.
    fn detail(&self) -> String {
        let problem: serde_json::Value = serde_json::from_str(&self.body)
            .unwrap_or_else(|_| panic!("not a problem body: {}", self.body));
        problem["detail"].as_str().unwrap_or_default().to_owned()
    }
}

async fn call_routes(gate: Gate, routes: Routes, method: &str, path: &str, bearer: &str) -> Reply {
    let app = init_service(
        App::new()
            .app_data(web::Data::new(gate))
            .configure(routes.configure()),
    )
    .await;
    let request = TestRequest::default()
        .method(method.parse().unwrap())
        .uri(path)
        .insert_header(("authorization", bearer))
        .to_request();
    let response = call_service(&app, request).await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let (challenge, retry_after) = (header("www-authenticate"), header("retry-after"));
    let status = response.status().as_u16();
    let body = read_body(response).await;
    Reply {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
        challenge,
        retry_after,
    }
}

async fn call(gate: Gate, method: &str, path: &str, bearer: &str) -> Reply {
    call_routes(gate, routes(), method, path, bearer).await
}

#[actix_web::test]
async fn a_member_acts_in_its_tenant_with_the_roles_assigned_there() {
    let fixture = Fixture::new();
    let gate = fixture.gate().assignments(fixture.assignments());
    // The token carries no roles: everything comes from the store.
    let ann = fixture.bearer("ann", &[]);
    let reply = call(gate.clone(), "GET", "/orgs/acme/notes", &ann).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ann in acme"));
    let reply = call(gate, "POST", "/orgs/globex/notes", &ann).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "written"));
}

#[actix_web::test]
async fn roles_of_one_tenant_do_not_follow_the_caller_into_another() {
    let fixture = Fixture::new();
    let gate = fixture.gate().assignments(fixture.assignments());
    let ann = fixture.bearer("ann", &[]);
    // An editor in globex, a viewer in acme: writing in acme is refused, for the permission
    // (a member of acme may learn that acme exists).
    let reply = call(gate, "POST", "/orgs/acme/notes", &ann).await;
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(
        reply.detail(),
        "the caller's roles in this tenant do not grant what this request requires"
    );
    let challenge = reply.challenge.unwrap_or_default();
    assert!(
        challenge.contains("error=\"insufficient_scope\"") && challenge.contains("notes:write"),
        "{challenge}"
    );
}

#[actix_web::test]
async fn a_tenant_the_caller_is_no_member_of_is_not_found() {
    let fixture = Fixture::new();
    let gate = fixture.gate().assignments(fixture.assignments());
    // Ann asks for a tenant she has no membership in; Bob has none at all, even with a
    // token role that would grant the permission outside any tenant.
    let reply = call(
        gate.clone(),
        "GET",
        "/orgs/initech/notes",
        &fixture.bearer("ann", &[]),
    )
    .await;
    assert_eq!(reply.status, 404, "{reply:?}");
    assert_eq!(reply.detail(), "not found");
    assert!(!reply.body.contains("initech"), "{}", reply.body);
    assert_eq!(reply.challenge, None);
    let reply = call(
        gate,
        "GET",
        "/orgs/acme/notes",
        &fixture.bearer("bob", &["viewer"]),
    )
    .await;
    assert_eq!(reply.status, 404, "{reply:?}");
    assert!(!reply.body.contains("acme"), "{}", reply.body);
}

#[actix_web::test]
async fn a_credential_bound_to_a_tenant_never_acts_in_another() {
    let fixture = Fixture::new();
    let gate = fixture.gate().assignments(fixture.assignments());
    // Ann's token names acme; her globex membership does not take it there.
    let ann_in_acme = fixture.bearer_in("ann", &[], "acme");
    let reply = call(gate.clone(), "POST", "/orgs/globex/notes", &ann_in_acme).await;
    assert_eq!(reply.status, 404, "{reply:?}");
    assert_eq!(reply.detail(), "not found");
    let reply = call(gate, "GET", "/orgs/acme/notes", &ann_in_acme).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ann in acme"));
}

#[actix_web::test]
async fn without_a_store_only_the_credentials_own_tenant_is_admitted() {
    let fixture = Fixture::new();
    let gate = fixture.gate();
    let carol = fixture.bearer_in("carol", &["viewer"], "acme");
    let reply = call(gate.clone(), "GET", "/orgs/acme/notes", &carol).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "carol in acme"));
    let reply = call(gate.clone(), "GET", "/orgs/globex/notes", &carol).await;
    assert_eq!(reply.status, 404, "{reply:?}");
    // A token naming no tenant acts in none.
    let reply = call(
        gate,
        "GET",
        "/orgs/acme/notes",
        &fixture.bearer("dan", &["viewer"]),
    )
    .await;
    assert_eq!(reply.status, 404, "{reply:?}");
}

#[actix_web::test]
async fn the_credentials_tenant_route_needs_a_credential_that_names_one() {
    let fixture = Fixture::new();
    let gate = fixture.gate().assignments(fixture.assignments());
    let reply = call(
        gate.clone(),
        "GET",
        "/my/notes",
        &fixture.bearer_in("ann", &[], "acme"),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "acme"));
    // The token's viewer role does not stand in for a tenant.
    let reply = call(
        gate,
        "GET",
        "/my/notes",
        &fixture.bearer("ann", &["viewer"]),
    )
    .await;
    assert_eq!(reply.status, 404, "{reply:?}");
    assert_eq!(reply.detail(), "not found");
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

#[actix_web::test]
async fn a_store_that_cannot_answer_gives_503_never_a_grant() {
    let fixture = Fixture::new();
    let gate = fixture.gate().assignments(Down);
    let reply = call(
        gate,
        "GET",
        "/orgs/acme/notes",
        &fixture.bearer("ann", &["admin"]),
    )
    .await;
    assert_eq!(reply.status, 503, "{reply:?}");
    assert_eq!(
        reply.detail(),
        "the role assignments cannot be read right now"
    );
    assert!(reply.retry_after.is_some(), "{reply:?}");
    // The store's own error stays in the logs.
    assert!(!reply.body.contains("connection refused"), "{}", reply.body);
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

#[actix_web::test]
async fn a_store_of_another_policy_is_a_configuration_error_not_a_pass() {
    let fixture = Fixture::new();
    let gate = fixture
        .gate()
        .assignments(MemoryAssignments::<other::Policy>::new());
    // Even a token that names the tenant, with a role granting everything, is not let through.
    let reply = call(
        gate,
        "GET",
        "/orgs/acme/notes",
        &fixture.bearer_in("ann", &["admin"], "acme"),
    )
    .await;
    assert_eq!(reply.status, 500, "{reply:?}");
    assert_eq!(reply.detail(), "the service cannot authorize this request");
}

#[test]
fn the_route_table_shows_where_each_tenant_comes_from() {
    let table = routes().route_table().to_string();
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

#[actix_web::test]
async fn a_nested_scope_finds_the_parameter_in_its_prefix() {
    let inner = Routes::new().get("/notes", list);
    let app = Routes::new().nest("/orgs/{org}", inner);
    let table = app.route_table().to_string();
    assert!(
        table.contains("/orgs/{org}/notes  permission(notes:read) in tenant {org}"),
        "{table}"
    );
    // Configured without a panic, and the scope's parameter reaches the guard.
    let fixture = Fixture::new();
    let reply = call_routes(
        fixture.gate().assignments(fixture.assignments()),
        app,
        "GET",
        "/orgs/acme/notes",
        &fixture.bearer("ann", &[]),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ann in acme"));
}

#[actix_web::test]
async fn a_parameter_with_a_pattern_is_the_routes_parameter() {
    // actix-web writes a parameter with a pattern as `{org:regex}`.
    let app = Routes::new().get("/orgs/{org:[a-z]+}/notes", list);
    let fixture = Fixture::new();
    let reply = call_routes(
        fixture.gate().assignments(fixture.assignments()),
        app,
        "GET",
        "/orgs/acme/notes",
        &fixture.bearer("ann", &[]),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ann in acme"));
}

#[test]
#[should_panic(
    expected = "route `GET /notes` takes its tenant from the path parameter `{org}`, which its path does not have"
)]
fn a_route_without_its_tenant_parameter_does_not_start() {
    let _ = Routes::new().get("/notes", list).configure();
}

#[actix_web::test]
async fn an_optional_caller_beside_a_tenant_route_is_the_unscoped_one() {
    #[require(permission = "notes:read", tenant = "{org}")]
    async fn both(#[caller] scoped: Caller, plain: Auth<Authz>) -> String {
        format!("{:?} {:?}", scoped.tenant(), plain.tenant())
    }
    let fixture = Fixture::new();
    let reply = call_routes(
        fixture.gate().assignments(fixture.assignments()),
        Routes::new().post("/orgs/{org}/both", both),
        "POST",
        "/orgs/acme/both",
        &fixture.bearer("ann", &[]),
    )
    .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "Some(\"acme\") None")
    );
}
