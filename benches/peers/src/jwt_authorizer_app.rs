//! `GET /reports/{id}` behind jwt-authorizer 0.15, the peer for the HTTP comparison.
//!
//! jwt-authorizer 0.15 is an axum 0.7 layer (`axum07` here), so this is an axum 0.7 router. It
//! verifies the token (RS256 from a JWKS URL, `iss` and `aud` checked) and hands the claims to
//! the handler; the role and owner checks are written by hand in the handler, as a user of
//! jwt-authorizer writes them, and give the same answers as `reports-api`'s `read_report`.

use axum07::extract::{Path, State};
use axum07::http::StatusCode;
use axum07::routing::get;
use axum07::{Json, Router};
use jwt_authorizer::{Authorizer, IntoLayer, JwtAuthorizer, JwtClaims, Validation};
use serde::Deserialize;

use crate::store::{Report, Store};

/// The claims the handler reads.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    /// The caller.
    pub sub: String,
    /// Role names.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// The authorizer: RS256 keys from `jwks_url`, `iss` and `aud` required.
pub async fn authorizer(
    jwks_url: &str,
) -> Result<Authorizer<User>, jwt_authorizer::error::InitError> {
    JwtAuthorizer::<User>::from_jwks_url(jwks_url)
        .validation(validation())
        .build()
        .await
}

/// The same authorizer with the JWKS given as text (for the in-process bench).
pub async fn authorizer_from_jwks_text(
    jwks: &str,
) -> Result<Authorizer<User>, jwt_authorizer::error::InitError> {
    JwtAuthorizer::<User>::from_jwks_text(jwks)
        .validation(validation())
        .build()
        .await
}

fn validation() -> Validation {
    Validation::new()
        .iss(&[crate::ISSUER])
        .aud(&[crate::AUDIENCE])
}

/// `GET /reports/:id` behind the authorizer, `GET /health` open.
pub fn router(authorizer: Authorizer<User>) -> Router {
    let protected = Router::new()
        .route("/reports/:id", get(read_report))
        .layer(authorizer.into_layer());
    Router::new()
        .route("/health", get(health))
        .merge(protected)
        .with_state(Store::seeded())
}

async fn health() -> &'static str {
    "ok"
}

async fn read_report(
    JwtClaims(user): JwtClaims<User>,
    State(store): State<Store>,
    Path(id): Path<String>,
) -> Result<Json<Report>, StatusCode> {
    let has = |role: &str| user.roles.iter().any(|r| r == role);
    let (admin, editor, viewer) = (has("admin"), has("editor"), has("viewer"));
    // reports:read comes with every role; reports:read_any with admin only.
    if !(admin || editor || viewer) {
        return Err(StatusCode::FORBIDDEN);
    }
    let report = store.get(&id).ok_or(StatusCode::NOT_FOUND)?;
    if report.owner != user.sub && !admin {
        return Err(StatusCode::FORBIDDEN);
    }
    Ok(Json(report))
}
