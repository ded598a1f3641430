//! The reports store of the peer servers, seeded as `reports-api` seeds its own, and the same
//! route without any protection (the baseline with the same work as `GET /reports/{id}`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::Serialize;

/// A stored report, serialized as `reports-api` serializes its own.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Its id.
    pub id: String,
    /// Its owner's subject.
    pub owner: String,
    /// Its title.
    pub title: String,
}

/// The reports, seeded as `reports-api` seeds its store.
#[derive(Debug, Clone)]
pub struct Store(Arc<RwLock<HashMap<String, Report>>>);

impl Store {
    /// `r1` owned by `alice`, `r2` owned by `bob`.
    pub fn seeded() -> Self {
        let report = |id: &str, owner: &str, title: &str| {
            (
                id.to_owned(),
                Report {
                    id: id.to_owned(),
                    owner: owner.to_owned(),
                    title: title.to_owned(),
                },
            )
        };
        Store(Arc::new(RwLock::new(HashMap::from([
            report("r1", "alice", "Q3 numbers"),
            report("r2", "bob", "Bob's private notes"),
        ]))))
    }

    /// A copy of report `id`.
    pub fn get(&self, id: &str) -> Option<Report> {
        self.0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(id)
            .cloned()
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// Whether `token`'s RS256 signature verifies with `key` (no claim is read).
fn verify_rs256(key: &aws_lc_rs::signature::ParsedPublicKey, token: &str) -> bool {
    use base64::Engine as _;
    let Some((message, signature)) = token.rsplit_once('.') else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .is_ok_and(|signature| key.verify_sig(message.as_bytes(), &signature).is_ok())
}

/// `GET /floor/reports/{id}`: the RS256 signature of the bearer token checked with aws-lc-rs
/// against `public_der` (a PKCS#1 or SPKI RSA key, parsed once), then the same lookup and JSON
/// as [`open_reports`]; 401 when the signature does not verify. No claim is read: this is the
/// floor under any server that verifies RS256 tokens, not a validator.
pub fn signature_only_reports(
    public_der: &[u8],
) -> Result<axum::Router, aws_lc_rs::error::KeyRejected> {
    use std::sync::Arc;

    use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};

    let key = Arc::new(ParsedPublicKey::new(
        &RSA_PKCS1_2048_8192_SHA256,
        public_der,
    )?);
    async fn read(
        State((store, key)): State<(Store, Arc<ParsedPublicKey>)>,
        headers: HeaderMap,
        Path(id): Path<String>,
    ) -> Result<axum::Json<Report>, StatusCode> {
        if !bearer(&headers).is_some_and(|token| verify_rs256(&key, token)) {
            return Err(StatusCode::UNAUTHORIZED);
        }
        store.get(&id).map(axum::Json).ok_or(StatusCode::NOT_FOUND)
    }
    Ok(axum::Router::new()
        .route("/floor/reports/{id}", axum::routing::get(read))
        .with_state((Store::seeded(), key)))
}

/// `GET /digest/reports/{id}`: the floor of any cache keyed by the token's SHA-256, as
/// authz-core's verified-token cache is. The bearer token is hashed with the same `sha2` code and
/// its digest looked up in a set of digests; a digest not in the set is verified as
/// [`signature_only_reports`] verifies (RS256 against `public_der`) and added. So from the second
/// request of a token on, a request costs the hash, one lookup, and the same lookup and JSON as
/// [`open_reports`]; no claim is read, no clock, no revocation, no route check. 401 when the
/// signature does not verify.
pub fn digest_floor_reports(
    public_der: &[u8],
) -> Result<axum::Router, aws_lc_rs::error::KeyRejected> {
    use std::collections::HashSet;

    use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use sha2::Digest as _;

    struct Floor {
        key: ParsedPublicKey,
        seen: RwLock<HashSet<[u8; 32]>>,
    }
    let floor = Arc::new(Floor {
        key: ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_der)?,
        seen: RwLock::new(HashSet::new()),
    });
    async fn read(
        State((store, floor)): State<(Store, Arc<Floor>)>,
        headers: HeaderMap,
        Path(id): Path<String>,
    ) -> Result<axum::Json<Report>, StatusCode> {
        let token = bearer(&headers).ok_or(StatusCode::UNAUTHORIZED)?;
        let digest: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        let seen = floor
            .seen
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(&digest);
        if !seen {
            if !verify_rs256(&floor.key, token) {
                return Err(StatusCode::UNAUTHORIZED);
            }
            floor
                .seen
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(digest);
        }
        store.get(&id).map(axum::Json).ok_or(StatusCode::NOT_FOUND)
    }
    Ok(axum::Router::new()
        .route("/digest/reports/{id}", axum::routing::get(read))
        .with_state((Store::seeded(), floor)))
}

/// `GET /open/reports/{id}` on axum 0.8 with no authentication at all: the store lookup and JSON
/// answer of `reports-api`'s `read_report`, nothing else.
pub fn open_reports() -> axum::Router {
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    async fn read(
        State(store): State<Store>,
        Path(id): Path<String>,
    ) -> Result<axum::Json<Report>, StatusCode> {
        store.get(&id).map(axum::Json).ok_or(StatusCode::NOT_FOUND)
    }
    axum::Router::new()
        .route("/open/reports/{id}", axum::routing::get(read))
        .with_state(Store::seeded())
}
