//! The test kit (feature `test-util`): token minting with generated keys (access tokens with
//! [`claims_for`], back-channel logout tokens with [`TestKey::logout_token`], tokens shaped like
//! an identity provider's with [`ProviderClaims`], tampered tokens with [`tamper`]), a JWKS
//! server on loopback whose keys and failure mode a test can change while it runs, a throwaway
//! `redis-server` ([`RedisServer`]), the adapter [`conformance`] kit, and the [`fixture`] most
//! tests start from (a policy, claims, a key, its validator and gate, tokens). Meant for your own
//! test suites (`[dev-dependencies] authz-core = { features = ["test-util"] }`).
//!
//! ```
//! use authz_core::testkit::{JwksServer, TestKey, claims_for};
//! use authz_core::{Algorithm, Validator};
//!
//! # #[derive(serde::Deserialize, authz_core::Claims)] struct MyClaims { sub: String }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let key = TestKey::generate(Algorithm::ES256, "key-1");
//! let server = JwksServer::start().await.unwrap();
//! server.set_keys(&[&key]);
//!
//! let validator = Validator::builder()
//!     .algorithms([Algorithm::ES256])
//!     .jwks_url(server.jwks_url())
//!     .issuer("https://id.example")
//!     .audience("reports-api")
//!     .build()
//!     .unwrap();
//! let token = key.mint(&claims_for("https://id.example", "reports-api", "alice"));
//! let ok = validator.validate::<MyClaims>(&token).await.unwrap();
//! assert_eq!(ok.claims.sub, "alice");
//!
//! server.set_keys(&[]); // rotated away: the cached key keeps working until the cache expires
//! assert!(validator.validate::<MyClaims>(&token).await.is_ok());
//! assert_eq!(server.hits("/jwks.json"), 1);
//! # });
//! ```

pub mod conformance;
pub mod fixture;
mod provider;
mod redis_server;
pub mod tamper;
mod tokens;

pub use provider::{Provider, ProviderClaims};
pub use redis_server::RedisServer;
pub use tokens::*;
