//! The actix-web 4 adapter for authz: bearer authentication, permission checks before the
//! handler body runs, RFC 6750 rejections, and routes on which a forgotten check does not
//! compile.
//!
//! ```
//! use actix_web::{App, HttpResponse, http::StatusCode, test, web};
//! use authz_actix::{Gate, Routes};
//! use authz_core::{Algorithm, Granted, Validator, public, require, testkit::{TestKey, claims_for}};
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
//! type Authz = authz_actix::Authz<reports::Policy, Token>;
//!
//! #[public]
//! async fn health() -> &'static str { "ok" }
//!
//! #[require(permission = "reports:write")]
//! async fn create(_proof: Granted<reports::perm::ReportsWrite>) -> HttpResponse {
//!     HttpResponse::Created().finish()
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let key = TestKey::generate(Algorithm::HS256, "k1");
//! let validator = Validator::builder()
//!     .algorithms([Algorithm::HS256])
//!     .key(key.verification_key())
//!     .issuer("https://id.example")
//!     .audience("reports")
//!     .build()
//!     .unwrap();
//! let routes = Routes::new()
//!     .get("/health", health)
//!     .post("/reports", create);
//! assert_eq!(routes.route_table().to_string(), "\
//! GET     /health   public
//! POST    /reports  permission(reports:write)
//! ");
//! let app = test::init_service(
//!     App::new()
//!         .app_data(web::Data::new(Gate::new(validator)))
//!         .configure(routes.configure()),
//! )
//! .await;
//!
//! let mut claims = claims_for("https://id.example", "reports", "erin");
//! claims["roles"] = serde_json::json!(["viewer"]);
//! let request = test::TestRequest::post()
//!     .uri("/reports")
//!     .insert_header(("authorization", format!("Bearer {}", key.mint(&claims))));
//! let response = test::call_service(&app, request.to_request()).await;
//! assert_eq!(response.status(), StatusCode::FORBIDDEN);
//!
//! claims["roles"] = serde_json::json!(["editor"]);
//! let request = test::TestRequest::post()
//!     .uri("/reports")
//!     .insert_header(("authorization", format!("Bearer {}", key.mint(&claims))));
//! let response = test::call_service(&app, request.to_request()).await;
//! assert_eq!(response.status(), StatusCode::CREATED);
//! # });
//! ```
//!
//! The gate is read from the app data, as `web::Data<Gate>` (or a plain `Gate`).
//!
//! **An optional caller is [`MaybeAuth`], never `Option<Auth<_>>`.** actix-web implements its
//! extractor for any `Option<T>` by turning every error of `T` into `None`, so
//! `Option<Auth<_>>` would serve a forged or expired token as an anonymous request.
//! [`MaybeAuth`] is `None` only when the request carries no credentials at all, and refuses
//! bad ones.
//!
//! A handler that takes the caller beside its guard authenticates the request once: the
//! extractors share the caller through the request extensions.
// docs.rs marks items that need a feature (`--cfg docsrs`, see Cargo.toml).
#![cfg_attr(docsrs, feature(doc_cfg))]

mod extract;
mod rejection;
mod routing;

pub use authz_core::Gate;
pub use authz_core::routes::{Access, RouteInfo, RouteTable};
pub use extract::{ActixAdapter, Auth, Authz, GuardedArgs, MaybeAuth, Public, Require, RouteGuard};
pub use rejection::{ProblemJson, RefusalResponder, Rejection, problem_response};
pub use routing::Routes;

/// The core crate, re-exported so an application can name one dependency.
pub use authz_core as core;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
