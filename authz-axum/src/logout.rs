//! The back-channel logout endpoint's axum glue: read the body up to the limit, answer as
//! `authz_core` describes.

use authz_core::token::{BackChannelLogout, LogoutResponse, MAX_LOGOUT_BODY};
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub(crate) async fn respond(logout: &BackChannelLogout, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let answer = match axum::body::to_bytes(body, MAX_LOGOUT_BODY).await {
        Ok(bytes) => {
            let content_type = parts.headers.get(CONTENT_TYPE).map(HeaderValue::as_bytes);
            logout.respond(content_type, &bytes).await
        }
        Err(_) => LogoutResponse::body_too_large(),
    };
    into_response(&answer)
}

fn into_response(answer: &LogoutResponse) -> Response {
    let status = StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = match answer.body() {
        Some(body) => (status, body.to_owned()).into_response(),
        None => status.into_response(),
    };
    for (name, value) in answer.headers() {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}
