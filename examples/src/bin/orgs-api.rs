//! The organisations API: tokens only authenticate, every role comes from PostgreSQL. See
//! `examples/README.md` ("orgs-api") for what it serves and how to call it.
//!
//! Environment:
//! - `AUTHZ_DATABASE_URL` (required): the PostgreSQL database holding the role assignments, a
//!   libpq string (`host=127.0.0.1 port=5432 user=app dbname=app`) or a `postgresql://` URL.
//!   The migration is applied at start (idempotent). Never printed: it may hold a password.
//! - `AUTHZ_ADDR`: listen address, default `127.0.0.1:3002`.
//! - `AUTHZ_JWKS_URL`: verify tokens (RS256, ES256, EdDSA) against this JWKS. Without it: dev
//!   mode, an Ed25519 key made at start and sample tokens printed.
//! - `AUTHZ_ISSUER`: the required `iss`, default `https://id.orgs-api.invalid`.
//! - `AUTHZ_AUDIENCE`: the required `aud`, default `orgs-api`.
//! - `AUTHZ_BOOTSTRAP_OWNER`: `issuer,subject,org`, made owner of `org` at start (setup code:
//!   no caller is checked). How an organisation gets its first owner.

use std::process::ExitCode;

use authz_core::assignments::Member;
use authz_core::audit::ErrorChain;
use authz_core::testkit::{TestKey, now};
use authz_core::{Algorithm, Validator};
use authz_examples::orgs::policy::{Policy, Role};
use authz_examples::orgs::{AUDIENCE, ISSUER, OrgsState, router};
use authz_postgres::PgAssignments;
use serde_json::json;

const DEFAULT_ADDR: &str = "127.0.0.1:3002";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(true)
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("orgs-api: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let database = env("AUTHZ_DATABASE_URL").ok_or(
        "AUTHZ_DATABASE_URL is not set: give the PostgreSQL database that holds the role \
         assignments, as `host=... port=... user=... dbname=...` or a postgresql:// URL",
    )?;
    let bootstrap = env("AUTHZ_BOOTSTRAP_OWNER")
        .map(|value| Bootstrap::parse(&value))
        .transpose()?;
    let addr = env("AUTHZ_ADDR").unwrap_or_else(|| DEFAULT_ADDR.to_owned());
    let issuer = env("AUTHZ_ISSUER").unwrap_or_else(|| ISSUER.to_owned());
    let audience = env("AUTHZ_AUDIENCE").unwrap_or_else(|| AUDIENCE.to_owned());
    let builder = Validator::builder().issuer(&issuer).audience(&audience);
    let (validator, dev_key) = match env("AUTHZ_JWKS_URL") {
        Some(url) => {
            let validator = builder
                .algorithms([Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA])
                .jwks_url(url.as_str())
                .build()?;
            let shown = authz_core::token::redact_url(&url);
            println!("verifying tokens against {shown} (iss {issuer}, aud {audience})");
            (validator, None)
        }
        None => {
            let key = TestKey::generate(Algorithm::EdDSA, "dev");
            let validator = builder
                .algorithms([Algorithm::EdDSA])
                .key(key.verification_key())
                .build()?;
            (validator, Some(key))
        }
    };

    // The settings may hold a password: the messages name the variable, never its value.
    authz_postgres::migrate(&database).await.map_err(|error| {
        format!(
            "cannot apply the role assignments' migration on AUTHZ_DATABASE_URL: {}",
            ErrorChain(&error)
        )
    })?;
    let assignments = PgAssignments::<Policy>::connect(&database)
        .await
        .map_err(|error| {
            format!(
                "cannot load the role assignments from AUTHZ_DATABASE_URL: {}",
                ErrorChain(&error)
            )
        })?;
    println!(
        "role assignments: {} members loaded from PostgreSQL",
        assignments.members()
    );
    if let Some(owner) = &bootstrap {
        let member = Member::new(&owner.issuer, &owner.subject, &owner.org);
        let added = assignments
            .grant(member, Role::Owner)
            .await
            .map_err(|error| {
                format!("cannot write AUTHZ_BOOTSTRAP_OWNER: {}", ErrorChain(&error))
            })?;
        let how = if added { "made" } else { "already" };
        println!(
            "bootstrap: {} (issuer {}) {how} owner of {}",
            owner.subject, owner.issuer, owner.org
        );
    }

    let router = router();
    println!("routes:\n{}", router.route_table());
    let app = router
        .into_axum()
        .with_state(OrgsState::new(validator, assignments));

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let local = listener.local_addr()?;
    if let Some(key) = dev_key {
        print_dev_tokens(
            &key,
            &issuer,
            &audience,
            &local.to_string(),
            bootstrap.as_ref(),
        );
    }
    println!("listening on http://{local}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// `AUTHZ_BOOTSTRAP_OWNER`: `issuer,subject,org`.
struct Bootstrap {
    issuer: String,
    subject: String,
    org: String,
}

impl Bootstrap {
    /// The last two commas separate the fields, so an issuer may hold commas.
    fn parse(value: &str) -> Result<Self, String> {
        let mut fields = value.rsplitn(3, ',').map(str::trim);
        let (Some(org), Some(subject), Some(issuer)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!(
                "AUTHZ_BOOTSTRAP_OWNER is `{value}`: expected `issuer,subject,org`, such as \
                 `{ISSUER},olivia,acme`"
            ));
        };
        if !Member::new(issuer, subject, org).is_valid() {
            return Err(format!(
                "AUTHZ_BOOTSTRAP_OWNER is `{value}`: the subject and the org must be 1 to 256 \
                 bytes, the issuer at most 512"
            ));
        }
        Ok(Self {
            issuer: issuer.to_owned(),
            subject: subject.to_owned(),
            org: org.to_owned(),
        })
    }
}

/// Dev mode: tokens for the sample users, valid for a day, with the commands of a session:
/// the owner grants roles, the members use them. The tokens carry no roles; `mallory`'s
/// carries `"roles": ["owner"]`, which grants nothing.
fn print_dev_tokens(
    key: &TestKey,
    issuer: &str,
    audience: &str,
    addr: &str,
    bootstrap: Option<&Bootstrap>,
) {
    println!("dev mode: no AUTHZ_JWKS_URL, so tokens are signed by a key made at start (EdDSA).");
    let owner = bootstrap.map_or("olivia", |owner| owner.subject.as_str());
    let org = bootstrap.map_or("acme", |owner| owner.org.as_str());
    if bootstrap.is_none() {
        println!(
            "no AUTHZ_BOOTSTRAP_OWNER: restart with AUTHZ_BOOTSTRAP_OWNER={issuer},olivia,acme \
             to give acme its first owner"
        );
    }
    let mut mallory = token_claims(issuer, audience, "mallory");
    mallory["roles"] = json!(["owner"]);
    let users = [
        (owner, token_claims(issuer, audience, owner)),
        ("carl", token_claims(issuer, audience, "carl")),
        ("mallory", mallory),
    ];
    for (user, claims) in &users {
        println!("\n{}={}", user.to_uppercase(), key.mint(claims));
    }
    let owner_var = owner.to_uppercase();
    let url = |path: &str| format!("http://{addr}/orgs/{org}{path}");
    println!("\n# {owner}, owner of {org}, makes carl a clerk there; carl creates an invoice:");
    println!(
        "curl -i -X PUT -H \"Authorization: Bearer ${owner_var}\" {}",
        url("/members/carl/roles/clerk")
    );
    println!(
        "curl -i -H \"Authorization: Bearer $CARL\" -H 'content-type: application/json' -d '{{\"amount_cents\":5000}}' {}   # 201",
        url("/invoices")
    );
    println!(
        "curl -i -H \"Authorization: Bearer ${owner_var}\" {}   # carl's and {owner}'s roles",
        url("/members")
    );
    println!(
        "curl -i -H \"Authorization: Bearer $CARL\" http://{addr}/orgs/globex/invoices   # 404: no membership in globex"
    );
    println!(
        "curl -i -H \"Authorization: Bearer $MALLORY\" {}   # 404: roles in a token grant nothing",
        url("/invoices")
    );
    println!(
        "curl -i -X DELETE -H \"Authorization: Bearer ${owner_var}\" {}   # carl loses it at once",
        url("/members/carl/roles/clerk")
    );
    println!("curl -i http://{addr}/routes   # the route table\n");
}

/// A token that only authenticates: `iss`, `aud`, `sub`, a day's lifetime.
fn token_claims(issuer: &str, audience: &str, subject: &str) -> serde_json::Value {
    let issued = now();
    json!({
        "iss": issuer, "aud": audience, "sub": subject,
        "iat": issued, "exp": issued + 24 * 3600,
    })
}

async fn shutdown() {
    // If the signal handler cannot be installed, serve until killed.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
