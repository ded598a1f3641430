// A role's proof implies what its parents grant, never what a role below it adds: `commenter`
// inherits `reader`, so a reader's proof cannot be weakened into `docs:comment`, nor into the
// `commenter` role, however many single parents lie between them.
authz_core::policy! {
    pub mod docs {
        permissions { "docs:read", "docs:comment", "docs:write" }
        roles {
            "reader" = ["docs:read"],
            "commenter" = "reader" + ["docs:comment"],
            "writer" = "commenter" + ["docs:write"],
        }
    }
}
use docs::{perm, role};

fn comment(_: &authz_core::Granted<perm::DocsComment>) {}
fn as_writer(_: &authz_core::Granted<role::Writer>) {}

fn reader(proof: authz_core::Granted<role::Reader>) {
    comment(&proof.weaken());
}

fn commenter(proof: authz_core::Granted<role::Commenter>) {
    as_writer(&proof.weaken());
}

fn main() {}
