//! `reports-api` with the verified-token cache, which its binary has no setting for: the same
//! router and state (`authz_peers_bench::reports_api`), the same JWKS validator settings and the
//! same audit log on stderr, served the same way (`#[tokio::main]`, `axum::serve`).
//!
//! Also serves `GET /open/reports/{id}`: the same store lookup and JSON with no protection; and,
//! with `PEERS_FLOOR_DER` (the RS256 public key as DER), `GET /floor/reports/{id}`: the RS256
//! signature check alone (aws-lc-rs, key parsed once) before the same lookup, the least any
//! server that verifies the token can do; and `GET /digest/reports/{id}`: that check once per
//! token, then the token's SHA-256 looked up in a set, the least any cache keyed by the token's
//! SHA-256 (as authz's is) can do.
//!
//! Environment: `PEERS_ADDR` (default `127.0.0.1:3002`), `PEERS_JWKS_URL` (required),
//! `PEERS_TOKEN_CACHE` (entries, default 10000; 0 turns the cache off), `PEERS_AUDIT_LOG`
//! (`off`: no tracing subscriber, so the audit events are not written).

use authz_core::{Algorithm, Validator};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // PEERS_AUDIT_LOG=off: no subscriber, to measure what writing the audit log costs.
    if std::env::var("PEERS_AUDIT_LOG").as_deref() != Ok("off") {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_target(true)
            .init();
    }
    let addr = std::env::var("PEERS_ADDR").unwrap_or_else(|_| "127.0.0.1:3002".to_owned());
    let jwks_url = std::env::var("PEERS_JWKS_URL").map_err(|_| "PEERS_JWKS_URL is required")?;
    let cache = match std::env::var("PEERS_TOKEN_CACHE") {
        Ok(entries) => entries.parse()?,
        Err(_) => 10_000,
    };
    let builder = Validator::builder()
        .algorithms([Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA])
        .jwks_url(jwks_url);
    let (app, _) = authz_peers_bench::reports_api(builder, cache);
    // The same route's work with no protection, as the baseline of the same process.
    let mut app = app.merge(authz_peers_bench::store::open_reports());
    if let Ok(path) = std::env::var("PEERS_FLOOR_DER") {
        let der = std::fs::read(path)?;
        app = app.merge(authz_peers_bench::store::signature_only_reports(&der)?);
        app = app.merge(authz_peers_bench::store::digest_floor_reports(&der)?);
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "authz-server: listening on http://{} (token cache: {cache} entries)",
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
