//! An application whose only authz dependency is `authz-axum`: `policy!`, `#[derive(Claims)]`,
//! `#[require]` and `#[public]` reach `authz-core` through the re-export `authz_axum::core`,
//! named with `crate = path`. This crate has no `authz-core` in its `Cargo.toml`, so it compiles
//! only if every path the macros generate goes through that re-export.

use authz_axum::core::{AllOf, Authenticated, Granted, public, require};
use authz_axum::{Gate, Router, get};

authz_axum::core::policy! {
    #![crate = authz_axum::core]
    /// Reports.
    pub mod reports {
        permissions {
            /// Read reports.
            "reports:read",
            /// Export reports.
            "reports:export",
        }
        roles {
            /// Reads.
            "viewer" = ["reports:read"],
            /// Reads and exports.
            "analyst" = "viewer" + ["reports:export"],
        }
    }
}

/// The access token's claims.
#[derive(Debug, serde::Deserialize, authz_axum::core::Claims)]
#[claims(crate = authz_axum::core)]
pub struct Token {
    /// The subject.
    pub sub: String,
    /// Role names.
    #[serde(default)]
    #[claims(roles)]
    pub roles: Vec<String>,
}

/// The adapter `#[require]` and `#[public]` look for.
pub type Authz = authz_axum::Authz<reports::Policy, Token>;

/// Read and export.
pub type ExportReports = AllOf<(reports::perm::ReportsRead, reports::perm::ReportsExport)>;

#[public(crate = authz_axum::core)]
async fn health() -> &'static str {
    "ok"
}

#[require(permission = "reports:read", crate = authz_axum::core)]
async fn list(caller: Authenticated<reports::Policy, Token>) -> String {
    format!("reports of {}", caller.subject().unwrap_or_default())
}

#[require(ExportReports, crate = authz_axum::core)]
async fn export(_proof: Granted<ExportReports>) -> &'static str {
    "csv"
}

/// The service's routes.
pub fn router() -> Router<Gate> {
    Router::new()
        .route("/health", get(health))
        .route("/reports", get(list))
        .route("/reports/export", get(export))
}
