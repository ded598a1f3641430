//! The axum 0.8 adapter for authz: bearer authentication, permission checks before the handler
//! body runs, RFC 6750 rejections, and a router on which a forgotten check does not compile.
//!
//! ```
//! use authz_axum::{Gate, Router, get, post};
//! use authz_core::{Algorithm, Granted, Validator, public, require, testkit::{TestKey, claims_for}};
//! use axum::{body::Body, http::{Request, StatusCode}};
//! use tower::ServiceExt;
//!
//! authz_core::policy! {
//!     /// Reports.
//!     pub mod reports {
//!         permissions { "reports:read", "reports:write" }
//!         roles { "viewer" = ["reports:read"], "editor" = "viewer" + ["reports:write"] }
//!     }
//! }
//!
//! #[derive(serde::Deserialize, authz_core::Claims)]
//! struct Token { sub: String, #[serde(default)] #[claims(roles)] roles: Vec<String> }
//!
//! // Declared once: the alias `#[require]` and `#[public]` look for.
//! type Authz = authz_axum::Authz<reports::Policy, Token>;
//!
//! #[public]
//! async fn health() -> &'static str { "ok" }
//!
//! #[require(permission = "reports:write")]
//! async fn create(_proof: Granted<reports::perm::ReportsWrite>) -> StatusCode { StatusCode::CREATED }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let key = TestKey::generate(Algorithm::HS256, "k1");
//! let validator = Validator::builder()
//!     .algorithms([Algorithm::HS256])
//!     .key(key.verification_key())
//!     .issuer("https://id.example")
//!     .audience("reports")
//!     .build()
//!     .unwrap();
//! let router = Router::new()
//!     .route("/health", get(health))
//!     .route("/reports", post(create));
//! assert_eq!(router.route_table().to_string(), "\
//! GET     /health   public
//! POST    /reports  permission(reports:write)
//! ");
//! let app = router.into_axum().with_state(Gate::new(validator));
//!
//! let call = |token: Option<String>| {
//!     let mut request = Request::post("/reports");
//!     if let Some(token) = token {
//!         request = request.header("authorization", format!("Bearer {token}"));
//!     }
//!     app.clone().oneshot(request.body(Body::empty()).unwrap())
//! };
//! let mut claims = claims_for("https://id.example", "reports", "erin");
//! claims["roles"] = serde_json::json!(["editor"]);
//! assert_eq!(call(Some(key.mint(&claims))).await.unwrap().status(), StatusCode::CREATED);
//! claims["roles"] = serde_json::json!(["viewer"]);
//! assert_eq!(call(Some(key.mint(&claims))).await.unwrap().status(), StatusCode::FORBIDDEN);
//! assert_eq!(call(None).await.unwrap().status(), StatusCode::UNAUTHORIZED);
//! # });
//! ```
//!
//! A library author writing an adapter for another framework needs nothing from this crate:
//! it shows one way to implement [`authz_core::Adapter`].
// docs.rs marks items that need a feature (`--cfg docsrs`, see Cargo.toml).
#![cfg_attr(docsrs, feature(doc_cfg))]

mod extract;
mod logout;
mod rejection;
mod routing;

pub use authz_core::Gate;
/// `RouteTable::document`: the route table in an OpenAPI document (feature `openapi`), from
/// `authz-core`, which writes it for every adapter's table.
#[cfg(feature = "openapi")]
pub use authz_core::routes::openapi;
pub use authz_core::routes::{Access, RouteInfo, RouteTable};
pub use extract::{Auth, Authz, AxumAdapter, Public, Require};
pub use rejection::{ProblemJson, RefusalResponder, Rejection, problem_response};
pub use routing::{
    GuardedArgs, GuardedService, MethodRoutes, RouteGuard, Router, any, delete, get, head, options,
    patch, post, put, trace,
};

/// The core crate, re-exported so an application can name one dependency.
pub use authz_core as core;
