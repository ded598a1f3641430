//! A loopback JWKS for the HTTP comparison: generates an RS256 key, serves its public JWK at
//! `http://127.0.0.1:PORT/jwks.json` (`authz_core::testkit::JwksServer`), and writes into the
//! directory given as the first argument:
//! - `jwks_url`: that URL;
//! - `token`: an RS256 token for `alice` (a viewer), valid for 2 hours, for `GET /reports/r1`;
//! - `public.pem`: the public key.
//!
//! Serves until stopped (SIGINT/SIGTERM), or for at most 2 hours.

use std::path::PathBuf;
use std::time::Duration;

use authz_core::Algorithm;
use authz_core::testkit::{JwksServer, TestKey};
use authz_peers_bench::alice_claims;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: jwks-server DIR")?);
    let key = TestKey::generate(Algorithm::RS256, "k1");
    let server = JwksServer::start().await?;
    server.set_keys(&[&key]);
    std::fs::write(dir.join("jwks_url"), server.jwks_url())?;
    std::fs::write(dir.join("token"), key.mint(&alice_claims(2 * 3600)))?;
    std::fs::write(dir.join("public.pem"), key.public_pem().ok_or("RSA key")?)?;
    std::fs::write(dir.join("public.der"), key.public_der().ok_or("RSA key")?)?;
    println!("jwks-server: {}", server.jwks_url());

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = tokio::time::sleep(Duration::from_secs(2 * 3600)) => {}
    }
    println!("jwks-server: served {} requests", server.total_hits());
    Ok(())
}
