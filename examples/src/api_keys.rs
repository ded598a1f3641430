//! API keys in reports-api: `POST /admin/api-keys` issues one (shown once), `DELETE
//! /admin/api-keys/{id}` revokes it. A key then reaches the same routes, with the same
//! permission checks and owner checks, as a JWT: both end in the same `Authenticated` caller.

use std::time::Duration;

use authz_core::{ApiKeys, IssueError, require};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::revocations::Problem;
use crate::{Authz, reports};

/// The prefix of reports-api keys: `rpt_<id>_<secret>`.
pub const API_KEY_PREFIX: &str = "rpt";

const SHAPE: &str = r#"expected {"sub": "...", "permissions": ["..."], "expires_in": <seconds>}"#;

/// The body of `POST /admin/api-keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// The subject the key acts as (the owner in owner checks).
    pub sub: String,
    /// Permission names of the reports policy.
    pub permissions: Vec<String>,
    /// Lifetime in seconds; absent: no expiry.
    pub expires_in: Option<u64>,
}

/// The answer to `POST /admin/api-keys`: the only time the raw key is shown.
#[derive(Debug, Serialize)]
pub struct CreatedApiKey {
    /// The public id.
    pub id: String,
    /// The raw key, `rpt_<id>_<secret>`.
    pub key: String,
    /// The subject.
    pub sub: String,
    /// The granted permissions.
    pub permissions: Vec<String>,
    /// Unix seconds of expiry, if any.
    pub expires_at: Option<u64>,
}

/// `POST /admin/api-keys`: 201 with the key; 400 for unknown permission names (listing the
/// known ones) or a bad subject; 400, 415 or 422 for a malformed body; 503 when the store is
/// down.
#[require(permission = "api_keys:manage")]
pub(crate) async fn create(
    State(keys): State<ApiKeys>,
    body: Result<Json<NewApiKey>, JsonRejection>,
) -> Result<(StatusCode, Json<CreatedApiKey>), Problem> {
    let Json(new) = body.map_err(|rejection| Problem::bad_body(&rejection, SHAPE))?;
    let lifetime = new.expires_in.map(Duration::from_secs);
    let issued = keys
        .issue::<reports::Policy>(&new.sub, &new.permissions, lifetime)
        .await
        .map_err(|error| match error {
            IssueError::UnknownPermission { .. } | IssueError::BadSubject => {
                Problem::new(StatusCode::BAD_REQUEST, error.to_string())
            }
            IssueError::Store(_) => {
                tracing::error!(%error, "api key not issued");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the key store is unavailable; retry later",
                )
            }
            _ => {
                tracing::error!(%error, "api key not issued");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the key could not be issued",
                )
            }
        })?;
    tracing::info!(target: "authz::audit", event = "api_key", action = "issued", key_id = %issued.id(), sub = ?new.sub);
    let record = issued.record();
    let created = CreatedApiKey {
        id: record.id.clone(),
        key: issued.raw().to_owned(),
        sub: record.subject.clone(),
        permissions: record.permissions.clone(),
        expires_at: record.expires_at,
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// `DELETE /admin/api-keys/{id}`: 204 once revoked, 404 for an unknown id, 503 when the store
/// is down.
#[require(permission = "api_keys:manage")]
pub(crate) async fn revoke(
    State(keys): State<ApiKeys>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    match keys.revoke(&id).await {
        Ok(true) => {
            tracing::info!(target: "authz::audit", event = "api_key", action = "revoked", key_id = ?id);
            Ok(StatusCode::NO_CONTENT)
        }
        Ok(false) => Err(Problem::new(
            StatusCode::NOT_FOUND,
            "no api key with that id",
        )),
        Err(error) => {
            tracing::error!(%error, "api key not revoked");
            Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the key store is unavailable; retry later",
            ))
        }
    }
}
