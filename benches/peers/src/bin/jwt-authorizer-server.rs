//! `GET /reports/{id}` behind jwt-authorizer 0.15 (see `authz_peers_bench::jwt_authorizer_app`),
//! served as `reports-api` serves its router: `#[tokio::main]`, `axum::serve` on a TCP listener.
//!
//! Environment: `PEERS_ADDR` (default `127.0.0.1:3001`), `PEERS_JWKS_URL` (required: RS256 keys,
//! tokens with `iss` = `https://id.bench` and `aud` = `reports-api`).

use authz_peers_bench::jwt_authorizer_app::{authorizer, router};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("PEERS_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    let jwks_url = std::env::var("PEERS_JWKS_URL").map_err(|_| "PEERS_JWKS_URL is required")?;
    let app = router(authorizer(&jwks_url).await?);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "jwt-authorizer-server: listening on http://{}",
        listener.local_addr()?
    );
    axum07::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
