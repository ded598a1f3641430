// A syntax mistake in one entry: one error, and the module is still generated with the
// other entries, so code that uses them reports nothing more.
authz_core::policy! {
    pub mod reports {
        permissions {
            "reports:read",
            reports:write,
            "reports:delete",
        }
        roles {
            "viewer" = ["reports:read"],
            "editor" = "viewer" + ["reports:delete"],
        }
    }
}

fn main() {
    let _: reports::Permission = reports::Permission::ReportsRead;
    let _ = reports::perm::ReportsDelete;
    let _ = reports::role::Editor;
}
