//! The invoices API: tenants, four eyes, separation of duties, API keys. See
//! `examples/README.md` ("invoices-api") for what it serves and how to call it.
//!
//! Environment:
//! - `AUTHZ_ADDR`: listen address, default `127.0.0.1:3001` (reports-api takes 3000).
//! - `AUTHZ_JWKS_URL`: verify tokens against this JWKS (RS256, ES256; a Keycloak realm's is
//!   `<issuer>/protocol/openid-connect/certs`). Without it: dev mode, an Ed25519 key made at
//!   start and sample Keycloak-shaped tokens printed.
//! - `AUTHZ_ISSUER`: the required `iss`, default `https://sso.invoices.invalid/realms/invoices`.
//! - `AUTHZ_AUDIENCE`: the required `aud`, default `invoices-api`.

use std::process::ExitCode;

use authz_core::testkit::{TestKey, now};
use authz_core::{Algorithm, Validator};
use authz_examples::invoices::{AUDIENCE, ISSUER, InvoicesState, keycloak, router};
use serde_json::json;

const DEFAULT_ADDR: &str = "127.0.0.1:3001";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(true)
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("invoices-api: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let addr = env("AUTHZ_ADDR").unwrap_or_else(|| DEFAULT_ADDR.to_owned());
    let issuer = env("AUTHZ_ISSUER").unwrap_or_else(|| ISSUER.to_owned());
    let audience = env("AUTHZ_AUDIENCE").unwrap_or_else(|| AUDIENCE.to_owned());
    let builder = keycloak(Validator::builder(), &issuer, &audience);
    let (validator, dev_key) = match env("AUTHZ_JWKS_URL") {
        Some(url) => {
            let validator = builder
                .algorithms([Algorithm::RS256, Algorithm::ES256])
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

    let router = router();
    println!("routes:\n{}", router.route_table());
    let app = router.into_axum().with_state(InvoicesState::new(validator));

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let local = listener.local_addr()?;
    if let Some(key) = dev_key {
        print_dev_tokens(&key, &issuer, &audience, &local.to_string());
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

/// Dev mode: Keycloak-shaped tokens for the sample users, valid for a day, with commands to
/// try. Seed data: tenant `acme` has `inv-1` (owner `dave`) and `inv-2` (owner `erin`), both
/// created by `carol`; tenant `globex` has `inv-3`.
fn print_dev_tokens(key: &TestKey, issuer: &str, audience: &str, addr: &str) {
    println!("dev mode: no AUTHZ_JWKS_URL, so tokens are signed by a key made at start (EdDSA).");
    let users: [(&str, Option<&str>, &[&str]); 7] = [
        ("carol", Some("acme"), &["clerk"]),
        ("anna", Some("acme"), &["accountant"]),
        ("audrey", Some("acme"), &["auditor"]),
        ("gus", Some("globex"), &["accountant"]),
        ("sam", None, &["support"]),
        ("mallory", Some("acme"), &["clerk", "accountant"]),
        // carol again, after a move to accounting: her new token cannot approve her invoices.
        ("carol", Some("acme"), &["accountant"]),
    ];
    let bearer = |var: &str| format!("curl -i -H \"Authorization: Bearer ${var}\"");
    for (n, (user, tenant, roles)) in users.into_iter().enumerate() {
        let token = key.mint(&keycloak_token(issuer, audience, user, tenant, roles));
        let var = if n == 6 {
            "CAROL_ACCOUNTANT".to_owned()
        } else {
            user.to_uppercase()
        };
        let tenant = tenant.unwrap_or("no tenant");
        println!(
            "\n# {user} ({}, {tenant})\n{var}={token}",
            roles.join(" + ")
        );
        let curl = bearer(&var);
        let url = |path: &str| format!("http://{addr}{path}");
        match n {
            0 => {
                println!(
                    "{curl} -H 'content-type: application/json' -d '{{\"amount_cents\":5000}}' {}   # 201: inv-4, created by carol",
                    url("/invoices")
                );
                println!(
                    "{curl} -H 'content-type: application/json' -d '{{\"permissions\":[\"invoices:read\",\"invoices:create\"]}}' {}   # 201: an API key acting as carol, in acme",
                    url("/api-keys")
                );
            }
            1 => println!(
                "{curl} -X POST {}   # 200: carol created it, anna approves",
                url("/invoices/inv-1/approve")
            ),
            2 => {
                println!(
                    "{curl} {}   # 200: read_any within acme",
                    url("/invoices/inv-2")
                );
                println!(
                    "{curl} {}   # 404: globex's, concealed",
                    url("/invoices/inv-3")
                );
            }
            3 => println!(
                "{curl} -X POST {}   # 404: acme's, concealed",
                url("/invoices/inv-2/approve")
            ),
            4 => {
                println!(
                    "{curl} {}   # 200: any tenant",
                    url("/support/invoices/inv-3")
                );
                println!(
                    "{curl} {}   # 403: no invoices:read",
                    url("/invoices/inv-3")
                );
            }
            5 => println!(
                "{curl} {}   # 403: invoices:create and invoices:approve in one token",
                url("/invoices")
            ),
            _ => println!(
                "{curl} -X POST {}   # 403: four eyes, she created it",
                url("/invoices/inv-2/approve")
            ),
        }
    }
    println!(
        "\ncurl -i http://{addr}/invoices   # 401 with WWW-Authenticate: Bearer realm=\"invoices-api\"\n"
    );
}

/// A Keycloak access token's payload: realm roles (the realm's defaults), the roles in the
/// `invoices-api` client (the client `KeycloakClaims` reads, whatever the audience), the
/// OpenID Connect scopes, payload `typ` `Bearer`.
fn keycloak_token(
    issuer: &str,
    audience: &str,
    user: &str,
    tenant: Option<&str>,
    roles: &[&str],
) -> serde_json::Value {
    let issued = now();
    let mut claims = json!({
        "exp": issued + 24 * 3600, "iat": issued, "iss": issuer,
        "aud": [audience, "account"], "sub": user, "typ": "Bearer", "azp": "invoices-web",
        "realm_access": { "roles": ["offline_access", "uma_authorization", "default-roles-invoices"] },
        "resource_access": {
            "invoices-api": { "roles": roles },
            "account": { "roles": ["manage-account", "view-profile"] }
        },
        "scope": "openid profile email", "preferred_username": user,
    });
    if let Some(tenant) = tenant {
        claims["tenant"] = json!(tenant);
    }
    claims
}

async fn shutdown() {
    // If the signal handler cannot be installed, serve until killed.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
