//! The HTTP figure of roles from the database: one server, three routes with the same body,
//! driven by `scripts/tenant-http.sh` with wrk.
//!
//! - `GET /token/{org}/notes`: `#[require(permission = "notes:read")]`, the role (`viewer`) in
//!   the token (a path of the same shape, so that routing costs the same);
//! - `GET /orgs/{org}/notes`: `#[require(permission = "notes:read", tenant = "{org}")]`, a
//!   token without roles and `viewer` stored in PostgreSQL (`PgAssignments`, 10,000 other
//!   members in 100 organisations; the copy warm), the gate scoping the caller to `{org}`;
//! - `GET /open/{org}/notes`: `#[public]`, the same body unprotected.
//!
//! The verified-token cache is on (10,000 entries), as the issue's figure asks. It starts its
//! own PostgreSQL cluster (`authz_postgres::testing::PgServer`, Debian's `postgresql`) and
//! writes `addr`, `token_roles` and `token_plain` into the directory given as its argument.

use authz_axum::{Gate, Router, get};
use authz_core::assignments::Member;
use authz_core::testkit::fixture::{Fixture, ISSUER, NotesClaims, notes};
use authz_core::{public, require};
use authz_postgres::PgAssignments;
use authz_postgres::testing::PgServer;

type Authz = authz_axum::Authz<notes::Policy, NotesClaims>;

const BODY: &str = r#"[{"id":"n1","title":"quarterly"},{"id":"n2","title":"annual"}]"#;

#[require(permission = "notes:read")]
async fn token_notes() -> &'static str {
    BODY
}

#[require(permission = "notes:read", tenant = "{org}")]
async fn org_notes() -> &'static str {
    BODY
}

#[public]
async fn open_notes() -> &'static str {
    BODY
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).ok_or("usage: tenant_http DIR")?);
    let server = tokio::task::spawn_blocking(PgServer::start).await??;
    authz_postgres::migrate(&server.config()).await?;
    let (client, connection) =
        tokio_postgres::connect(&server.config(), tokio_postgres::NoTls).await?;
    let _driver = tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "INSERT INTO authz_role_assignments (issuer, subject, tenant, role) \
             SELECT '{ISSUER}', 'user' || i, 'org' || (i % 100), 'viewer' \
             FROM generate_series(1, 10000) AS i"
        ))
        .await?;
    let store = PgAssignments::<notes::Policy>::connect(&server.config()).await?;
    store
        .grant(Member::new(ISSUER, "ann", "acme"), notes::Role::Viewer)
        .await?;

    let fixture = Fixture::new();
    let validator = fixture.validator_builder().cache(10_000).build()?;
    let gate = Gate::new(validator).assignments(store);
    let app = Router::new()
        .route("/token/{org}/notes", get(token_notes))
        .route("/orgs/{org}/notes", get(org_notes))
        .route("/open/{org}/notes", get(open_notes))
        .into_axum()
        .with_state(gate);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    std::fs::write(dir.join("token_roles"), fixture.token("ann", &["viewer"]))?;
    std::fs::write(dir.join("token_plain"), fixture.token("ann", &[]))?;
    std::fs::write(dir.join("addr"), listener.local_addr()?.to_string())?;
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    drop(server);
    Ok(())
}
