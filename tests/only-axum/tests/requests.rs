//! The application built only on `authz-axum` serves and refuses as any other would.

use authz_axum::Gate;
use authz_axum::core::{Algorithm, Key, Validator};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

const SECRET: &[u8] = b"a test secret that is long enough for HS256 keys";

fn token(roles: &[&str]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "iss": "https://id.test", "aud": "reports", "sub": "ana",
        "iat": now, "exp": now + 300, "roles": roles,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

async fn status(path: &str, token: Option<String>) -> StatusCode {
    let validator = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(Key::hmac_secret(SECRET))
        .issuer("https://id.test")
        .audience("reports")
        .build()
        .unwrap();
    let app = authz_only_axum::router()
        .into_axum()
        .with_state(Gate::new(validator));
    let mut request = Request::get(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    app.oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn guards_hold_through_the_reexport() {
    assert_eq!(status("/health", None).await, StatusCode::OK);
    assert_eq!(status("/reports", None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        status("/reports", Some(token(&["viewer"]))).await,
        StatusCode::OK
    );
    assert_eq!(
        status("/reports/export", Some(token(&["viewer"]))).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status("/reports/export", Some(token(&["analyst"]))).await,
        StatusCode::OK
    );
}
