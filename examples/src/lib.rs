//! The policy and claims of the `reports-api` example, shared by its binary and the tests.
//!
//! ```
//! use authz_core::Claims;
//! use authz_examples::{ReportsClaims, reports::Permission};
//!
//! let erin: ReportsClaims = serde_json::from_str(r#"{"sub":"erin","roles":["editor"]}"#).unwrap();
//! assert!(erin.permissions::<authz_examples::reports::Policy>().contains(Permission::ReportsWrite));
//! let nobody: ReportsClaims = serde_json::from_str(r#"{"sub":"x"}"#).unwrap();
//! assert!(nobody.permissions::<authz_examples::reports::Policy>().is_empty());
//! ```

use authz_core::Claims;
use serde::Deserialize;

authz_core::policy! {
    /// Who may do what with reports. Rendered for review in `examples/policy.md`.
    pub mod reports {
        permissions {
            /// Read a report one owns.
            "reports:read",
            /// Create reports.
            "reports:write",
            /// Delete reports.
            "reports:delete",
            /// Read any report, whoever owns it (the owner-check override).
            "reports:read_any",
        }
        roles {
            /// Reads their own reports.
            "viewer" = ["reports:read"],
            /// Also writes reports.
            "editor" = "viewer" + ["reports:write"],
            /// Also deletes, and reads everyone's reports.
            "admin" = "editor" + ["reports:delete", "reports:read_any"],
        }
    }
}

/// The access token claims `reports-api` reads: a subject and optional role names.
#[derive(Debug, Clone, Deserialize, Claims)]
pub struct ReportsClaims {
    /// The caller.
    pub sub: String,
    /// Role names; unknown ones grant nothing.
    #[serde(default)]
    #[claims(roles)]
    pub roles: Vec<String>,
}

/// The checked-in rendering of [`reports`], compared with the code by a test.
pub const POLICY_MARKDOWN: &str = include_str!("../policy.md");
