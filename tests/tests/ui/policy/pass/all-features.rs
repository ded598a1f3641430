//! Every feature of `policy!` in one invocation, used the way an application would.

use authz_core::{Permission as _, PermissionSet, Policy as _, Requirement, Role as _};

authz_core::policy! {
    /// The example policy, plus payments for separation of duties.
    pub mod policy {
        permissions {
            /// Read one's own reports.
            "reports:read",
            /// Create reports.
            "reports:write",
            /// Delete reports.
            "reports:delete",
            /// Read anybody's reports.
            "reports:read_any",
            /// Start a payment.
            "payments:initiate",
            /// Approve a payment.
            "payments:approve",
            "audit-log:read",
        }
        roles {
            /// Reads.
            "viewer" = ["reports:read"],
            /// Writes.
            "editor" = "viewer" + ["reports:write"],
            /// Everything about reports.
            "admin" = "editor" + ["reports:delete", "reports:read_any"],
            "clerk" = ["payments:initiate"],
            "approver" = ["payments:approve"],
            /// Two parents.
            "auditor" = "viewer" + "approver" + ["audit-log:read"],
            "Ops.Team-1" = "admin",
        }
        separation_of_duties {
            ["payments:initiate", "payments:approve"],
        }
    }
}

fn needs_delete<R: Requirement<Policy = policy::Policy>>(_: R) -> String {
    R::RULE.to_string()
}

const READ_WRITE: PermissionSet<policy::Policy> =
    policy::Permission::ReportsRead.set().union(policy::Permission::ReportsWrite.set());

fn main() {
    use policy::{Permission, Role};
    assert_eq!(Role::Admin.grants().len(), 4);
    assert_eq!(Role::Auditor.parents(), &[Role::Viewer, Role::Approver]);
    assert!(Role::OpsTeam1.grants().contains(Permission::ReportsDelete));
    assert_eq!(Role::OpsTeam1.name(), "Ops.Team-1");
    assert_eq!(Permission::AuditLogRead.to_string(), "audit-log:read");
    assert_eq!(needs_delete(policy::perm::ReportsDelete), "permission(reports:delete)");
    assert!(Role::Admin.lineage().contains(Role::Viewer));
    assert!(!Role::Viewer.lineage().contains(Role::Admin));
    assert!(Role::Editor.grants() == READ_WRITE);
    assert_eq!(<policy::Policy as authz_core::Policy>::NAME, "policy");
    assert_eq!(policy::Policy::PERMISSIONS.len(), 7);
    assert_eq!(policy::Role::from_name("auditor"), Some(Role::Auditor));
    let _ = Permission::from_name("x");
}
