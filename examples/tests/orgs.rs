//! orgs-api end to end: a real PostgreSQL cluster (`authz_postgres::testing::PgServer`) holds
//! every role, the app is served on a loopback port and called over HTTP with reqwest, with
//! tokens that only authenticate. One cluster per test, so each test's memberships are its own.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use authz_core::Algorithm;
use authz_core::Validator;
use authz_core::assignments::Member;
use authz_core::testkit::{JwksServer, TestKey, claims_for};
use authz_examples::orgs::policy::{Policy, Role};
use authz_examples::orgs::{AUDIENCE, OrgsState, router};
use authz_postgres::PgAssignments;
use authz_postgres::testing::PgServer;
use serde_json::{Value, json};

const ISSUER: &str = "https://id.orgs.test";

/// The detail of a concealed refusal: the same for an organisation one is no member of and
/// for one that does not exist.
const NOT_FOUND: &str = "not found";
/// The detail of the guard's refusal for a permission the caller's roles lack.
const LACKS_PERMISSION: &str =
    "the caller's roles in this tenant do not grant what this request requires";
/// The detail of the no-escalation refusal.
const NOT_HELD: &str = "a caller assigns only roles within its own permissions";
/// The detail while the role assignments cannot be read.
const UNAVAILABLE: &str = "the role assignments cannot be read right now";

/// A response: status, `Retry-After`, and the body as JSON (a string when it is not JSON).
#[derive(Debug)]
struct Reply {
    status: u16,
    retry_after: Option<String>,
    body: Value,
}

impl Reply {
    fn detail(&self) -> &str {
        self.body["detail"].as_str().unwrap_or_default()
    }
}

/// orgs-api served on a loopback port against its own cluster.
struct App {
    db: PgServer,
    base: String,
    key: TestKey,
    http: reqwest::Client,
    /// Another handle on the app's store, for setup (`grant` checks no caller).
    assignments: PgAssignments<Policy>,
    _serve: tokio::task::JoinHandle<()>,
}

async fn cluster() -> PgServer {
    let db = tokio::task::spawn_blocking(|| PgServer::start().expect("a PostgreSQL cluster"))
        .await
        .unwrap();
    authz_postgres::migrate(&db.config()).await.unwrap();
    db
}

impl App {
    async fn start() -> Self {
        let db = cluster().await;
        let assignments = PgAssignments::<Policy>::connect(&db.config())
            .await
            .unwrap();
        let key = TestKey::generate(Algorithm::EdDSA, "orgs-test");
        let validator = Validator::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .algorithms([Algorithm::EdDSA])
            .key(key.verification_key())
            .build()
            .unwrap();
        let state = OrgsState::new(validator, assignments.clone());
        let app = router().into_axum().with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let serve = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        App {
            db,
            base,
            key,
            http: reqwest::Client::new(),
            assignments,
            _serve: serve,
        }
    }

    /// Setup: `role` for `subject` (of the test issuer) in `org`, no caller checked.
    async fn seed(&self, subject: &str, org: &str, role: Role) {
        let member = Member::new(ISSUER, subject, org);
        assert!(self.assignments.grant(member, role).await.unwrap());
    }

    /// A token that only authenticates `subject`.
    fn token(&self, subject: &str) -> String {
        self.key.mint(&claims_for(ISSUER, AUDIENCE, subject))
    }

    async fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("a response");
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|value| value.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            retry_after,
            body,
        }
    }

    async fn get(&self, path: &str, token: &str) -> Reply {
        self.call("GET", path, token, None).await
    }

    async fn invoice(&self, org: &str, token: &str, amount_cents: u64) -> Reply {
        let path = format!("/orgs/{org}/invoices");
        let body = json!({ "amount_cents": amount_cents });
        self.call("POST", &path, token, Some(body)).await
    }

    async fn grant(&self, org: &str, subject: &str, role: &str, token: &str) -> Reply {
        let path = format!("/orgs/{org}/members/{subject}/roles/{role}");
        self.call("PUT", &path, token, None).await
    }

    async fn revoke(&self, org: &str, subject: &str, role: &str, token: &str) -> Reply {
        let path = format!("/orgs/{org}/members/{subject}/roles/{role}");
        self.call("DELETE", &path, token, None).await
    }
}

/// Calls `request` until `done` holds, for at most `limit`; the last reply.
async fn poll<F, Fut>(limit: Duration, mut request: F, done: impl Fn(&Reply) -> bool) -> Reply
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Reply>,
{
    let started = Instant::now();
    loop {
        let reply = request().await;
        if done(&reply) || started.elapsed() >= limit {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn subjects(members: &Value) -> Vec<(&str, Vec<&str>)> {
    members
        .as_array()
        .expect("a list of members")
        .iter()
        .map(|member| {
            let roles = member["roles"].as_array().unwrap();
            (
                member["subject"].as_str().unwrap(),
                roles.iter().map(|role| role.as_str().unwrap()).collect(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_makes_a_clerk_who_then_writes_in_that_org_only() {
    let app = App::start().await;
    app.seed("olivia", "acme", Role::Owner).await;
    app.seed("gus", "globex", Role::Owner).await;
    let (olivia, carl, gus) = (app.token("olivia"), app.token("carl"), app.token("gus"));

    // Before: carl is nobody anywhere.
    let reply = app.invoice("acme", &carl, 5_000).await;
    assert_eq!((reply.status, reply.detail()), (404, NOT_FOUND));

    let reply = app.grant("acme", "carl", "clerk", &olivia).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        reply.body,
        json!({"org": "acme", "issuer": ISSUER, "subject": "carl", "role": "clerk",
               "assigned": true, "changed": true})
    );
    // Granting again changes nothing.
    let reply = app.grant("acme", "carl", "clerk", &olivia).await;
    assert_eq!((reply.status, &reply.body["changed"]), (200, &json!(false)));

    let reply = app.invoice("acme", &carl, 5_000).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.body["org"], "acme");
    assert_eq!(reply.body["created_by"], "carl");
    let reply = app.get("/orgs/acme/invoices", &carl).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.as_array().unwrap().len(), 1);

    // Another organisation: absent, for reading and for writing, whatever exists there.
    assert_eq!(app.invoice("globex", &gus, 990_000).await.status, 201);
    for reply in [
        app.invoice("globex", &carl, 1).await,
        app.get("/orgs/globex/invoices", &carl).await,
        app.get("/orgs/initech/invoices", &carl).await,
    ] {
        assert_eq!((reply.status, reply.detail()), (404, NOT_FOUND));
    }
    // globex's list holds globex's invoice only, acme's acme's.
    let reply = app.get("/orgs/globex/invoices", &gus).await;
    assert_eq!(reply.body[0]["org"], "globex");
    assert_eq!(reply.body.as_array().unwrap().len(), 1);

    // The owner sees the membership as the database holds it.
    let reply = app.get("/orgs/acme/members", &olivia).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        subjects(&reply.body),
        [("carl", vec!["clerk"]), ("olivia", vec!["owner"])]
    );
    assert_eq!(reply.body[0]["issuer"], ISSUER);
    // A clerk may not list members.
    let reply = app.get("/orgs/acme/members", &carl).await;
    assert_eq!((reply.status, reply.detail()), (403, LACKS_PERMISSION));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_grants_only_roles_within_its_own_permissions() {
    let app = App::start().await;
    app.seed("olivia", "acme", Role::Owner).await;
    app.seed("vic", "acme", Role::Viewer).await;
    app.seed("mia", "acme", Role::Manager).await;
    let (vic, mia, carl) = (app.token("vic"), app.token("mia"), app.token("carl"));

    // A viewer manages no members at all: refused by the route's own permission.
    for reply in [
        app.grant("acme", "carl", "clerk", &vic).await,
        app.grant("acme", "vic", "clerk", &vic).await,
        app.revoke("acme", "mia", "manager", &vic).await,
        app.get("/orgs/acme/members", &vic).await,
    ] {
        assert_eq!((reply.status, reply.detail()), (403, LACKS_PERMISSION));
    }

    // A manager manages members but cannot write invoices: it cannot make anyone, itself
    // included, a clerk or an owner, nor take an owner's role away.
    for reply in [
        app.grant("acme", "carl", "clerk", &mia).await,
        app.grant("acme", "mia", "clerk", &mia).await,
        app.grant("acme", "mia", "owner", &mia).await,
        app.revoke("acme", "olivia", "owner", &mia).await,
    ] {
        assert_eq!((reply.status, reply.detail()), (403, NOT_HELD), "{reply:?}");
    }
    // Nothing of it was written: carl is still nobody, olivia still the owner.
    let reply = app.get("/orgs/acme/invoices", &carl).await;
    assert_eq!((reply.status, reply.detail()), (404, NOT_FOUND));
    assert_eq!(app.invoice("acme", &mia, 1).await.status, 403);
    let members = app.get("/orgs/acme/members", &mia).await;
    assert_eq!(
        subjects(&members.body),
        [
            ("mia", vec!["manager"]),
            ("olivia", vec!["owner"]),
            ("vic", vec!["viewer"])
        ]
    );

    // Within its permissions it may: carl becomes a viewer.
    let reply = app.grant("acme", "carl", "viewer", &mia).await;
    assert_eq!((reply.status, &reply.body["changed"]), (200, &json!(true)));
    assert_eq!(app.get("/orgs/acme/invoices", &carl).await.status, 200);
    assert_eq!(app.invoice("acme", &carl, 1).await.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_of_one_org_manages_nothing_in_another_and_unknown_roles_are_named() {
    let app = App::start().await;
    app.seed("olivia", "acme", Role::Owner).await;
    app.seed("gus", "globex", Role::Owner).await;
    let (olivia, gus, carl) = (app.token("olivia"), app.token("gus"), app.token("carl"));

    for reply in [
        app.grant("globex", "carl", "viewer", &olivia).await,
        app.grant("globex", "olivia", "owner", &olivia).await,
        app.revoke("globex", "gus", "owner", &olivia).await,
        app.get("/orgs/globex/members", &olivia).await,
    ] {
        assert_eq!((reply.status, reply.detail()), (404, NOT_FOUND));
    }
    // globex is as it was.
    let members = app.get("/orgs/globex/members", &gus).await;
    assert_eq!(subjects(&members.body), [("gus", vec!["owner"])]);
    let reply = app.get("/orgs/globex/invoices", &carl).await;
    assert_eq!(reply.status, 404);

    // A role the policy does not declare: 400, naming those it does.
    let reply = app.grant("acme", "carl", "admin", &olivia).await;
    assert_eq!(
        (reply.status, reply.detail()),
        (
            400,
            "unknown role; the roles are viewer, clerk, manager, owner"
        )
    );
    let reply = app.revoke("acme", "carl", "Owner", &olivia).await;
    assert_eq!(reply.status, 400);
    // ... but only to a member: a stranger learns nothing of the roles or of the organisation.
    let reply = app.grant("acme", "carl", "admin", &gus).await;
    assert_eq!((reply.status, reply.detail()), (404, NOT_FOUND));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_membership_stops_working() {
    let app = App::start().await;
    app.seed("olivia", "acme", Role::Owner).await;
    app.seed("dora", "acme", Role::Viewer).await;
    let (olivia, carl, dora) = (app.token("olivia"), app.token("carl"), app.token("dora"));
    assert_eq!(
        app.grant("acme", "carl", "clerk", &olivia).await.status,
        200
    );
    assert_eq!(app.invoice("acme", &carl, 1).await.status, 201);

    // Revoked through the API: the instance that wrote it reads it back before answering.
    let reply = app.revoke("acme", "carl", "clerk", &olivia).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        (&reply.body["assigned"], &reply.body["changed"]),
        (&json!(false), &json!(true))
    );
    // No wait: the very next request is refused.
    let reply = app.get("/orgs/acme/invoices", &carl).await;
    assert_eq!((reply.status, reply.detail()), (404, NOT_FOUND));
    assert_eq!(app.invoice("acme", &carl, 1).await.status, 404);

    // Revoked by another instance of the service (or a back-office): this one hears of it
    // through LISTEN/NOTIFY.
    assert_eq!(app.get("/orgs/acme/invoices", &dora).await.status, 200);
    let other = PgAssignments::<Policy>::connect(&app.db.config())
        .await
        .unwrap();
    let member = Member::new(ISSUER, "dora", "acme");
    assert!(other.revoke(member, Role::Viewer).await.unwrap());
    let started = Instant::now();
    let reply = poll(
        Duration::from_secs(1),
        || app.get("/orgs/acme/invoices", &dora),
        |reply| reply.status != 200,
    )
    .await;
    assert_eq!((reply.status, reply.detail()), (404, NOT_FOUND));
    eprintln!(
        "revoked elsewhere, refused here after {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_in_the_token_grant_nothing() {
    let app = App::start().await;
    app.seed("vic", "acme", Role::Viewer).await;
    let with_roles = |subject: &str| {
        let mut claims = claims_for(ISSUER, AUDIENCE, subject);
        claims["roles"] = json!(["owner"]);
        claims["tenant"] = json!("acme");
        app.key.mint(&claims)
    };
    // No membership: the token's `owner` opens nothing.
    let mallory = with_roles("mallory");
    for reply in [
        app.get("/orgs/acme/invoices", &mallory).await,
        app.invoice("acme", &mallory, 1).await,
        app.grant("acme", "mallory", "viewer", &mallory).await,
    ] {
        assert_eq!((reply.status, reply.detail()), (404, NOT_FOUND));
    }
    // A viewer in the database stays a viewer, whatever its token says.
    let vic = with_roles("vic");
    assert_eq!(app.get("/orgs/acme/invoices", &vic).await.status, 200);
    let reply = app.invoice("acme", &vic, 1).await;
    assert_eq!((reply.status, reply.detail()), (403, LACKS_PERMISSION));
    let reply = app.grant("acme", "vic", "owner", &vic).await;
    assert_eq!((reply.status, reply.detail()), (403, LACKS_PERMISSION));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_route_table_shows_each_routes_tenant() {
    let app = App::start().await;
    // Public: no token needed.
    let response = app
        .http
        .get(format!("{}/routes", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let table = response.text().await.unwrap();
    for line in [
        "GET     /routes                                     public",
        "GET     /orgs/{org}/invoices                        permission(invoices:read) in tenant {org}",
        "POST    /orgs/{org}/invoices                        permission(invoices:write) in tenant {org}",
        "GET     /orgs/{org}/members                         permission(members:read) in tenant {org}",
        "PUT     /orgs/{org}/members/{subject}/roles/{role}  permission(members:manage) in tenant {org}",
        "DELETE  /orgs/{org}/members/{subject}/roles/{role}  permission(members:manage) in tenant {org}",
    ] {
        assert!(table.lines().any(|l| l == line), "{line:?} not in\n{table}");
    }
    assert_eq!(table, router().route_table().to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_database_down_the_answer_is_503_never_200() {
    let mut app = App::start().await;
    app.seed("olivia", "acme", Role::Owner).await;
    let olivia = app.token("olivia");
    assert_eq!(app.get("/orgs/acme/invoices", &olivia).await.status, 200);

    tokio::task::block_in_place(|| app.db.kill());
    let killed = Instant::now();
    // The copy stays trusted until its last barrier's deadline (750 ms at most), then every
    // lookup asks the database, which cannot answer.
    let reply = poll(
        Duration::from_secs(2),
        || app.get("/orgs/acme/invoices", &olivia),
        |reply| reply.status != 200,
    )
    .await;
    assert_eq!((reply.status, reply.detail()), (503, UNAVAILABLE));
    eprintln!("database killed, 503 after {:?}", killed.elapsed());
    let retry_after = authz_axum::core::gate::RETRY_AFTER_SECONDS.to_string();
    assert_eq!(reply.retry_after, Some(retry_after));
    for _ in 0..20 {
        let reply = app.get("/orgs/acme/invoices", &olivia).await;
        assert_eq!((reply.status, reply.detail()), (503, UNAVAILABLE));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for reply in [
        app.invoice("acme", &olivia, 1).await,
        app.get("/orgs/acme/members", &olivia).await,
        app.grant("acme", "carl", "viewer", &olivia).await,
        // A stranger too: 503, not 404, since the store cannot say it is a stranger.
        app.get("/orgs/acme/invoices", &app.token("mallory")).await,
    ] {
        assert_eq!(
            (reply.status, reply.detail()),
            (503, UNAVAILABLE),
            "{reply:?}"
        );
    }
}

/// The binary as an operator runs it: the migration applied, the first owner seeded from
/// `AUTHZ_BOOTSTRAP_OWNER`, tokens verified against a JWKS, the route table printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_seeds_its_first_owner_and_serves() {
    let db = tokio::task::spawn_blocking(|| PgServer::start().expect("a PostgreSQL cluster"))
        .await
        .unwrap();
    let key = TestKey::generate(Algorithm::ES256, "op-1");
    let jwks = JwksServer::start().await.unwrap();
    jwks.set_keys(&[&key]);
    let bootstrap = format!("{ISSUER},olivia,acme");
    let (_process, startup, base) = tokio::task::block_in_place(|| {
        use std::io::{BufRead, BufReader};
        let mut process = Process(
            Command::new(env!("CARGO_BIN_EXE_orgs-api"))
                .env("AUTHZ_DATABASE_URL", db.config())
                .env("AUTHZ_ADDR", "127.0.0.1:0")
                .env("AUTHZ_JWKS_URL", jwks.jwks_url())
                .env("AUTHZ_ISSUER", ISSUER)
                .env("AUTHZ_BOOTSTRAP_OWNER", &bootstrap)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let mut startup = Vec::new();
        let lines = BufReader::new(process.0.stdout.take().unwrap()).lines();
        for line in lines {
            let line = line.unwrap();
            if let Some(base) = line.strip_prefix("listening on ") {
                return (process, startup, base.to_owned());
            }
            startup.push(line);
        }
        panic!("orgs-api exited without listening: {startup:?}");
    });
    let printed = startup.join("\n");
    assert!(
        printed.contains(&format!(
            "bootstrap: olivia (issuer {ISSUER}) made owner of acme"
        )),
        "{printed}"
    );
    assert!(printed.contains("permission(invoices:write) in tenant {org}"));

    let http = reqwest::Client::new();
    let token = |subject: &str| key.mint(&claims_for(ISSUER, AUDIENCE, subject));
    let grant = http
        .put(format!("{base}/orgs/acme/members/carl/roles/clerk"))
        .bearer_auth(token("olivia"))
        .send()
        .await
        .unwrap();
    assert_eq!(grant.status(), 200);
    let create = http
        .post(format!("{base}/orgs/acme/invoices"))
        .bearer_auth(token("carl"))
        .header("content-type", "application/json")
        .body(json!({"amount_cents": 5000}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), 201);
    let elsewhere = http
        .get(format!("{base}/orgs/globex/invoices"))
        .bearer_auth(token("carl"))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 404);
}

/// A child process, killed when the test ends however it ends.
struct Process(std::process::Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Without a usable database the binary does not start, and says why without a panic and
/// without printing the settings (they may hold a password).
#[test]
fn the_binary_explains_a_missing_or_unreachable_database() {
    let run = |database: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_orgs-api"));
        command.env_remove("AUTHZ_DATABASE_URL");
        if let Some(database) = database {
            command.env("AUTHZ_DATABASE_URL", database);
        }
        let output = command.env("AUTHZ_ADDR", "127.0.0.1:0").output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!output.status.success());
        assert!(!stderr.contains("panicked"), "{stderr}");
        stderr
    };
    let stderr = run(None);
    assert!(
        stderr.contains("orgs-api: AUTHZ_DATABASE_URL is not set"),
        "{stderr}"
    );
    // Port 1 on loopback: nothing listens there.
    let stderr = run(Some("postgresql://app:s3cret@127.0.0.1:1/app"));
    assert!(
        stderr.contains(
            "AUTHZ_DATABASE_URL: PostgreSQL failed: error connecting to server: Connection refused"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
    let stderr = run(Some("host=127.0.0.1 port=not-a-port"));
    assert!(
        stderr.contains("invalid PostgreSQL connection settings"),
        "{stderr}"
    );
}
