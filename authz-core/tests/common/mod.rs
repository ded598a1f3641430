//! What the API key test binaries share: the policy, the claims type and the two kinds of
//! caller.
#![allow(dead_code)] // Each binary uses its own part of it.

use authz_core::testkit::{TestKey, claims_for};
use authz_core::{Algorithm, Authenticated, Validator, api_key::ApiKeys};

authz_core::policy! {
    /// Reports.
    pub mod reports {
        permissions {
            /// r
            "reports:read",
            /// w
            "reports:write",
            /// Issue and revoke keys of one's own subject.
            "keys:manage",
            /// Issue and revoke keys of any subject.
            "keys:manage_any",
        }
        roles {
            /// Everything.
            "admin" = ["reports:read", "reports:write", "keys:manage", "keys:manage_any"],
            /// Manages its own keys and reads.
            "self_service" = ["reports:read", "keys:manage"],
        }
    }
}

pub(crate) type P = reports::Policy;
pub(crate) type Caller = Authenticated<P, Token>;
pub(crate) const ANY: reports::perm::KeysManageAny = reports::perm::KeysManageAny;

#[derive(serde::Deserialize, authz_core::Claims)]
pub(crate) struct Token {
    sub: String,
    #[serde(default)]
    #[claims(roles)]
    roles: Vec<String>,
}

/// A caller presenting a JWT for `sub` with `roles`.
pub(crate) async fn token_caller(sub: &str, roles: &[&str]) -> Caller {
    let key = TestKey::generate(Algorithm::HS256, "k");
    let validator = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(key.verification_key())
        .issuer("https://id.test")
        .audience("keys")
        .build()
        .unwrap();
    let mut claims = claims_for("https://id.test", "keys", sub);
    claims["roles"] = serde_json::json!(roles);
    Authenticated::from(
        validator
            .validate::<Token>(&key.mint(&claims))
            .await
            .unwrap(),
    )
}

/// A caller presenting a verified API key.
pub(crate) async fn key_caller(keys: &ApiKeys, raw: &str) -> Caller {
    Authenticated::from_api_key(keys.verify(raw).await.unwrap())
}
