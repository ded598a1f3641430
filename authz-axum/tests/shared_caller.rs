//! A handler that takes the caller beside its guard authenticates the request once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use authz_axum::{Auth, Gate, Router, get};
use authz_core::testkit::{TestKey, claims_for};
use authz_core::token::{
    BoxFuture, Revocation, RevocationError, RevocationQuery, RevocationStatus,
};
use authz_core::{Algorithm, Validator, require};
use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

authz_core::policy! {
    /// Reports.
    pub mod reports {
        permissions { "reports:read" }
        roles { "viewer" = ["reports:read"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
    #[serde(default)]
    #[claims(roles)]
    roles: Vec<String>,
}

type Authz = authz_axum::Authz<reports::Policy, Token>;

/// Counts authentications: the validator consults it once per valid token it checks.
#[derive(Clone, Default)]
struct Validations(Arc<AtomicUsize>);

impl Revocation for Validations {
    fn check<'a>(
        &'a self,
        _: RevocationQuery<'a>,
    ) -> BoxFuture<'a, Result<RevocationStatus, RevocationError>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(RevocationStatus::Active) })
    }
}

#[require(permission = "reports:read")]
async fn both(me: Auth<Authz>, again: Option<Auth<Authz>>) -> String {
    assert!(again.is_some());
    me.subject().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_guard_and_the_caller_share_one_authentication() {
    let key = TestKey::generate(Algorithm::ES256, "k");
    let validations = Validations::default();
    let validator = Validator::builder()
        .algorithms([Algorithm::ES256])
        .key(key.verification_key())
        .issuer("https://id")
        .audience("reports")
        .revocation(validations.clone())
        .build()
        .unwrap();
    let app = Router::new()
        .route("/both", get(both))
        .into_axum()
        .with_state(Gate::new(validator));
    let mut claims = claims_for("https://id", "reports", "vic");
    claims["roles"] = serde_json::json!(["viewer"]);
    let request = Request::get("/both")
        .header("authorization", format!("Bearer {}", key.mint(&claims)))
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(validations.0.load(Ordering::SeqCst), 1);
}
