//! The reports API. See `examples/README.md` ("reports-api") for what it serves and how to call
//! it.
//!
//! Environment:
//! - `AUTHZ_ADDR`: listen address, default `127.0.0.1:3000`.
//! - `AUTHZ_JWKS_URL`: verify tokens against this JWKS (RS256, ES256, EdDSA). Plain `http://`
//!   is accepted for loopback hosts only. Without it: dev mode, an Ed25519 key made at start and
//!   sample tokens printed.
//! - `AUTHZ_ISSUER`: the required `iss`, default `https://reports-api.invalid`.
//! - `AUTHZ_AUDIENCE`: the required `aud`, default `reports-api`.
//! - `AUTHZ_JWKS_COOLDOWN_SECS`: the least time between two JWKS fetches (refetch on an unknown
//!   `kid`, retry after a failure), default 5 s: a new key is picked up within 5 s, and forged
//!   kids cannot cause more than one fetch per 5 s.
//! - `AUTHZ_REDIS_URL`: keep revocations (`POST /admin/revocations`) on this Redis
//!   (`redis://[user:password@]host:port/db`), shared by every instance using it, under the key
//!   prefix `reports-api:revoked:`. While it is unreachable, tokens are refused with 503. Without
//!   it: revocations are kept in this process only. API keys (`POST /admin/api-keys`) are kept
//!   on the same Redis under `reports-api:api-key:`, or in this process without it.
//! - `AUTHZ_MAX_TOKEN_LIFETIME_SECS`: tokens living longer than this (`exp - iat`, or without
//!   `iat`, `exp - now`) are refused, default 86400 (a day); revocations are kept this long.
//!   (`iat` is optional. A token without `iat` whose `exp` is more than this far ahead is
//!   refused until it is within it, so a `jti` revocation of such a token can run out before
//!   the token does; tokens with `iat` have no such gap.)
//! - `AUTHZ_TOKEN_CACHE`: entries of the verified-token cache (see `docs/guide.md`, "Token validation"); a
//!   repeated token is then not verified or parsed again. Default 0: off.
//! - `AUTHZ_COOKIE_NAME`: also read the access token from this cookie (name it
//!   `__Host-...`); state-changing requests with it need `Sec-Fetch-Site: same-origin` or an
//!   allowed `Origin`. Unset: the `Authorization` header only.
//! - `AUTHZ_ALLOWED_ORIGINS`: comma-separated origins allowed for state-changing requests with
//!   cookie credentials.
//! - `AUTHZ_STEP_UP_ACR`: space-separated `acr` values; when set, `POST /admin/api-keys` and
//!   `POST /admin/revocations` require a login with one of them (RFC 9470).
//! - `AUTHZ_STEP_UP_MAX_AGE_SECS`: with `AUTHZ_STEP_UP_ACR`, the oldest login accepted there
//!   (`auth_time`), default 300.
//! - `AUTHZ_LOGOUT_CLIENT_ID`: when set, `POST /backchannel-logout` accepts OpenID Connect
//!   back-channel logout tokens from `AUTHZ_ISSUER` addressed to this client id, verified with
//!   the same keys, and revokes the tokens they name (on every instance sharing
//!   `AUTHZ_REDIS_URL`).
//! - `AUTHZ_SERVICE_ACCOUNTS`: space-separated subjects of service accounts (`ci-bot ops-bot`):
//!   an admin may issue API keys for these (`POST /admin/api-keys` with their `sub`); any other
//!   key acts as the caller's own subject, never as another user's.

use std::process::ExitCode;
use std::time::Duration;

use authz_axum::Gate;
use authz_core::gate::StepUpPolicy;
use authz_core::testkit::{TestKey, now};
use authz_core::token::ValidatorBuilder;
use authz_core::{
    Algorithm, Validator, api_key::ApiKeys, api_key::InMemoryApiKeyStore, store::RedisApiKeyStore,
    store::RedisRevocation, token::RemoteConfig,
};
use authz_examples::{API_KEY_PREFIX, AppState, Revocations, Store, router};

const DEFAULT_ADDR: &str = "127.0.0.1:3000";
const DEFAULT_ISSUER: &str = "https://reports-api.invalid";
const DEFAULT_AUDIENCE: &str = "reports-api";
const DEFAULT_COOLDOWN_SECS: u64 = 5;
const DEFAULT_MAX_TOKEN_LIFETIME_SECS: u64 = 24 * 3600;
const DEFAULT_STEP_UP_MAX_AGE_SECS: u64 = 300;
const REDIS_PREFIX: &str = "reports-api:revoked:";
const API_KEY_REDIS_PREFIX: &str = "reports-api:api-key:";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(true)
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("reports-api: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let addr = env("AUTHZ_ADDR").unwrap_or_else(|| DEFAULT_ADDR.to_owned());
    let issuer = env("AUTHZ_ISSUER").unwrap_or_else(|| DEFAULT_ISSUER.to_owned());
    let audience = env("AUTHZ_AUDIENCE").unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned());
    let lifetime = match env("AUTHZ_MAX_TOKEN_LIFETIME_SECS") {
        Some(secs) => secs
            .parse()
            .map_err(|_| "AUTHZ_MAX_TOKEN_LIFETIME_SECS must be whole seconds")?,
        None => DEFAULT_MAX_TOKEN_LIFETIME_SECS,
    };
    let lifetime = Duration::from_secs(lifetime);
    let revocations = match env("AUTHZ_REDIS_URL") {
        Some(url) => {
            let store = RedisRevocation::builder(url).prefix(REDIS_PREFIX).build()?;
            // The URL may hold a password: not printed.
            println!("revocations: shared on Redis (AUTHZ_REDIS_URL, prefix {REDIS_PREFIX})");
            Revocations::redis(store, lifetime)
        }
        None => {
            println!("revocations: in this process only (set AUTHZ_REDIS_URL to share them)");
            Revocations::in_memory(lifetime)
        }
    };
    let api_keys = match env("AUTHZ_REDIS_URL") {
        Some(url) => ApiKeys::new(
            RedisApiKeyStore::builder(url.as_str())
                .prefix(API_KEY_REDIS_PREFIX)
                .build()?,
            API_KEY_PREFIX,
        )?,
        None => ApiKeys::new(InMemoryApiKeyStore::default(), API_KEY_PREFIX)?,
    };
    // Keys act as their issuer or as a declared service account, never as a colleague.
    let service_accounts = env("AUTHZ_SERVICE_ACCOUNTS").unwrap_or_default();
    if !service_accounts.trim().is_empty() {
        println!("service accounts (AUTHZ_SERVICE_ACCOUNTS): {service_accounts}");
    }
    let api_keys = api_keys.service_accounts(service_accounts.split_whitespace());
    let cache = match env("AUTHZ_TOKEN_CACHE") {
        Some(entries) => entries
            .parse()
            .map_err(|_| "AUTHZ_TOKEN_CACHE must be a number of entries")?,
        None => 0,
    };
    if cache > 0 {
        println!("verified-token cache: {cache} entries (AUTHZ_TOKEN_CACHE)");
    }
    let builder = Validator::builder()
        .issuer(&issuer)
        .audience(&audience)
        .max_lifetime(lifetime)
        // Given once: the gate hands it to the API keys and the logout receiver.
        .revocation_store(revocations.clone())
        .cache(cache);

    let jwks_url = env("AUTHZ_JWKS_URL");
    let dev_key = match &jwks_url {
        Some(_) => None,
        None => Some(TestKey::generate(Algorithm::EdDSA, "dev")),
    };
    // The issuer's keys, for access tokens and (another audience) logout tokens alike.
    let keys = |builder: ValidatorBuilder| -> Result<ValidatorBuilder, Box<dyn std::error::Error>> {
        Ok(match (&jwks_url, &dev_key) {
            (Some(url), _) => {
                let cooldown = match env("AUTHZ_JWKS_COOLDOWN_SECS") {
                    Some(secs) => secs
                        .parse()
                        .map_err(|_| "AUTHZ_JWKS_COOLDOWN_SECS must be whole seconds")?,
                    None => DEFAULT_COOLDOWN_SECS,
                };
                let remote = RemoteConfig {
                    refetch_cooldown: Duration::from_secs(cooldown),
                    ..RemoteConfig::default()
                };
                builder
                    .algorithms([Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA])
                    .jwks_url(url.as_str())
                    .remote_config(remote)
            }
            (None, Some(key)) => builder
                .algorithms([Algorithm::EdDSA])
                .key(key.verification_key()),
            (None, None) => unreachable!("a dev key is made when there is no JWKS URL"),
        })
    };
    let validator = keys(builder)?.build()?;
    if let Some(url) = &jwks_url {
        let shown = authz_core::token::redact_url(url);
        println!("verifying tokens against {shown} (iss {issuer}, aud {audience})");
    }

    let mut gate = Gate::new(validator)
        .realm("reports-api")
        .api_keys(api_keys.clone());
    if let Some(name) = env("AUTHZ_COOKIE_NAME") {
        if !name.starts_with("__Host-") {
            return Err("AUTHZ_COOKIE_NAME must start with __Host- (say __Host-access_token), so that no sibling subdomain can set it".into());
        }
        let origins: Vec<String> = env("AUTHZ_ALLOWED_ORIGINS")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "access tokens also read from the cookie {name} (AUTHZ_COOKIE_NAME); origins allowed for state-changing requests: {}",
            if origins.is_empty() {
                "none".to_owned()
            } else {
                origins.join(", ")
            }
        );
        gate = gate.cookie(name).allowed_origins(origins);
    }
    if let Some(acr) = env("AUTHZ_STEP_UP_ACR") {
        let max_age = match env("AUTHZ_STEP_UP_MAX_AGE_SECS") {
            Some(secs) => secs
                .parse()
                .map_err(|_| "AUTHZ_STEP_UP_MAX_AGE_SECS must be whole seconds")?,
            None => DEFAULT_STEP_UP_MAX_AGE_SECS,
        };
        println!(
            "step-up (AUTHZ_STEP_UP_ACR): acr {acr}, at most {max_age} s old, for issuing API keys and revoking tokens"
        );
        gate = gate.step_up(
            StepUpPolicy::acr(acr.split_whitespace()).max_age(Duration::from_secs(max_age)),
        );
    } else {
        // Said explicitly: a gate with no policy refuses step-up routes (500).
        println!(
            "step-up: AUTHZ_STEP_UP_ACR unset, any login may issue API keys and revoke tokens"
        );
        gate = gate.step_up(StepUpPolicy::any_login());
    }
    let logout = match env("AUTHZ_LOGOUT_CLIENT_ID") {
        Some(client_id) => {
            let validator =
                keys(Validator::builder().issuer(&issuer).audience(&client_id))?.build()?;
            println!(
                "back-channel logout: POST /backchannel-logout for client {client_id} (AUTHZ_LOGOUT_CLIENT_ID)"
            );
            Some(gate.backchannel_logout(validator)?.token_lifetime(lifetime))
        }
        None => None,
    };

    let router = router();
    println!("routes:\n{}", router.route_table());
    let app = router.into_axum().with_state(AppState {
        authz: gate,
        store: Store::seeded(),
        revocations,
        api_keys,
        logout,
    });

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let local = listener.local_addr()?;
    if let Some(key) = &dev_key {
        print_dev_tokens(key, &issuer, &audience, &local.to_string());
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

/// Dev mode: tokens for the three sample users, valid for a day, with commands to try.
fn print_dev_tokens(key: &TestKey, issuer: &str, audience: &str, addr: &str) {
    println!("dev mode: no AUTHZ_JWKS_URL, so tokens are signed by a key made at start (EdDSA).");
    for (user, role) in [("alice", "viewer"), ("erin", "editor"), ("root", "admin")] {
        let issued = now();
        let claims = serde_json::json!({
            "iss": issuer, "aud": audience, "sub": user, "roles": [role],
            "iat": issued, "exp": issued + 24 * 3600,
        });
        let token = key.mint(&claims);
        let var = user.to_uppercase();
        println!("\n# {user} ({role})\n{var}={token}");
        match user {
            "alice" => {
                println!(
                    "curl -i -H \"Authorization: Bearer ${var}\" http://{addr}/reports/r1   # 200: her own"
                );
                println!(
                    "curl -i -H \"Authorization: Bearer ${var}\" http://{addr}/reports/r2   # 403: bob's"
                );
            }
            "erin" => println!(
                "curl -i -H \"Authorization: Bearer ${var}\" -H 'content-type: application/json' -d '{{\"title\":\"draft\"}}' http://{addr}/reports   # 201"
            ),
            _ => {
                println!(
                    "curl -i -H \"Authorization: Bearer ${var}\" http://{addr}/reports/r2   # 200: read_any"
                );
                println!(
                    "curl -i -X DELETE -H \"Authorization: Bearer ${var}\" http://{addr}/reports/r2   # 204"
                );
                println!(
                    "curl -i -H \"Authorization: Bearer ${var}\" -H 'content-type: application/json' -d '{{\"sub\":\"alice\",\"before\":{}}}' http://{addr}/admin/revocations   # 204: alice's tokens so far stop working",
                    issued + 1
                );
            }
        }
    }
    println!(
        "\ncurl -i http://{addr}/reports/r1   # 401 with WWW-Authenticate: Bearer realm=\"reports-api\"\n"
    );
}

async fn shutdown() {
    // If the signal handler cannot be installed, serve until killed.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
