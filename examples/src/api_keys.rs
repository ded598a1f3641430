//! API keys in reports-api: `POST /admin/api-keys` issues one (shown once), `DELETE
//! /admin/api-keys/{id}` revokes it. A key then reaches the same routes, with the same
//! permission checks and owner checks, as a JWT: both end in the same `Authenticated` caller.
//!
//! Both routes need `api_keys:manage`, and act through `ApiKeys::issue_by` and `revoke_by`: a
//! caller grants only permissions it holds; a key acts as the caller's own subject, or as a
//! declared service account (`AUTHZ_SERVICE_ACCOUNTS`) with `api_keys:manage_any` (role
//! `admin`), never as another user; revoking another subject's keys needs
//! `api_keys:manage_any` too. The library writes the audit events, naming the caller.

use std::time::Duration;

use authz_axum::Rejection;
use authz_core::{
    Authenticated, api_key::ApiKeys, api_key::IssueError, api_key::RevokeError, require,
};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::revocations::Problem;
use crate::{Authz, ReportsClaims, reports};

/// The prefix of reports-api keys: `rpt_<id>_<secret>`.
pub const API_KEY_PREFIX: &str = "rpt";

const SHAPE: &str = r#"expected {"sub": "...", "permissions": ["..."], "expires_in": <seconds>}"#;

/// The body of `POST /admin/api-keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// The subject the key acts as (the owner in owner checks): the caller's own, or a
    /// service account's.
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
/// known ones) or a bad subject; 400, 415 or 422 for a malformed body; 403 for a permission
/// the caller does not hold, for another user (never), for a service account without
/// `api_keys:manage_any`, or (an API key caller) a key outliving the caller's; 409 for a subject revoked past now; 503 when a
/// store is down. With `AUTHZ_STEP_UP_ACR` set: 401 `insufficient_user_authentication` for a
/// login that is not fresh or strong enough.
#[require(crate::IssueApiKeys)]
pub(crate) async fn create(
    caller: Authenticated<reports::Policy, ReportsClaims>,
    State(keys): State<ApiKeys>,
    body: Result<Json<NewApiKey>, JsonRejection>,
) -> Result<(StatusCode, Json<CreatedApiKey>), Response> {
    let Json(new) =
        body.map_err(|rejection| Problem::bad_body(&rejection, SHAPE).into_response())?;
    let lifetime = new.expires_in.map(Duration::from_secs);
    let issued = keys
        .issue_by(
            &caller,
            reports::perm::ApiKeysManageAny,
            &new.sub,
            &new.permissions,
            lifetime,
        )
        .await
        .map_err(not_issued)?;
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

/// The answer to a refused issuance. Another subject without the override is a 403 naming it
/// in the challenge, like any missing permission; server-side failures do not describe the
/// backend to the client.
fn not_issued(error: IssueError) -> Response {
    if let IssueError::OtherSubject(denied) = error {
        return Rejection::new(denied).into_response();
    }
    let status =
        StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let problem = match status {
        StatusCode::SERVICE_UNAVAILABLE => {
            tracing::error!(%error, "api key not issued");
            Problem::new(status, "a store is unavailable; retry later")
        }
        status if status.is_server_error() => {
            tracing::error!(%error, "api key not issued");
            Problem::new(status, "the key could not be issued")
        }
        status => Problem::new(status, error.to_string()),
    };
    problem.into_response()
}

/// `DELETE /admin/api-keys/{id}`: 204 once revoked, 404 for an unknown id, 403 for a key of
/// another subject without `api_keys:manage_any`, 503 when the store is down.
#[require(permission = "api_keys:manage")]
pub(crate) async fn revoke(
    caller: Authenticated<reports::Policy, ReportsClaims>,
    State(keys): State<ApiKeys>,
    Path(id): Path<String>,
) -> Result<StatusCode, Response> {
    match keys
        .revoke_by(&caller, reports::perm::ApiKeysManageAny, &id)
        .await
    {
        Ok(true) => Ok(StatusCode::NO_CONTENT),
        Ok(false) => {
            Err(Problem::new(StatusCode::NOT_FOUND, "no api key with that id").into_response())
        }
        Err(RevokeError::OtherSubject(denied)) => Err(Rejection::new(denied).into_response()),
        Err(error) => {
            tracing::error!(%error, "api key not revoked");
            Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the key store is unavailable; retry later",
            )
            .into_response())
        }
    }
}
