// A role's proof implies everything its ancestors grant, however it inherits them: through a
// chain of single parents (which `policy!` forwards to the parent, one impl per role), through
// several parents at once (every grant its own impl), a permission granted again below the
// role that first grants it, and a diamond whose two sides reach the same grant. Each
// `weaken` below must have exactly one path, or the compiler could not infer it.
use authz_core::{AllOf, AnyOf, Granted, require};

authz_core::policy! {
    pub mod docs {
        permissions {
            "docs:read", "docs:comment", "docs:write", "docs:publish", "docs:delete",
            "audit:read", "audit:export",
        }
        roles {
            "reader" = ["docs:read"],
            "commenter" = "reader" + ["docs:comment"],
            // Grants `docs:read` again, which it also inherits.
            "writer" = "commenter" + ["docs:write", "docs:read"],
            "publisher" = "writer" + ["docs:publish"],
            "auditor" = ["audit:read", "docs:read"],
            // Two parents that both reach `docs:read`.
            "chief" = "publisher" + "auditor" + ["docs:delete"],
            // One parent with several of its own.
            "head" = "chief" + ["audit:export"],
        }
    }
}
use docs::{perm, role};

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
    #[claims(roles)]
    roles: Vec<String>,
}

type Authz = authz_axum::Authz<docs::Policy, Token>;

#[require(role = "publisher")]
async fn publisher(proof: Granted<role::Publisher>) {
    let _: Granted<perm::DocsPublish> = proof.weaken();
    let _: Granted<perm::DocsWrite> = proof.weaken();
    let _: Granted<perm::DocsComment> = proof.weaken();
    let _: Granted<perm::DocsRead> = proof.weaken();
    let _: Granted<role::Writer> = proof.weaken();
    let _: Granted<role::Commenter> = proof.weaken();
    let _: Granted<role::Reader> = proof.weaken();
    let _: Granted<role::Publisher> = proof.weaken();
    let _: Granted<AllOf<(perm::DocsRead, perm::DocsPublish, role::Reader)>> = proof.weaken();
    let _: Granted<AnyOf<(perm::AuditRead, perm::DocsComment)>> = proof.weaken();
}

#[require(role = "head")]
async fn head(proof: Granted<role::Head>) {
    let _: Granted<perm::AuditExport> = proof.weaken();
    let _: Granted<perm::DocsDelete> = proof.weaken();
    let _: Granted<perm::DocsRead> = proof.weaken();
    let _: Granted<perm::AuditRead> = proof.weaken();
    let _: Granted<perm::DocsPublish> = proof.weaken();
    let _: Granted<role::Chief> = proof.weaken();
    let _: Granted<role::Auditor> = proof.weaken();
    let _: Granted<role::Reader> = proof.weaken();
    let _: Granted<AllOf<(role::Auditor, role::Writer, perm::AuditExport)>> = proof.weaken();
}

#[require(role = "chief")]
async fn chief(proof: Granted<role::Chief>) {
    let _: Granted<perm::DocsRead> = proof.weaken();
    let _: Granted<role::Publisher> = proof.weaken();
    let _: Granted<role::Auditor> = proof.weaken();
    let _: Granted<AnyOf<(perm::AuditExport, perm::DocsDelete)>> = proof.weaken();
}

#[require(permission = "docs:read", role = "writer")]
async fn both(proof: Granted<AllOf<(perm::DocsRead, role::Writer)>>) {
    let _: Granted<perm::DocsComment> = proof.weaken();
    let _: Granted<role::Reader> = proof.weaken();
}

fn main() {
    let _ = authz_axum::Router::<authz_axum::Gate>::new()
        .route("/publisher", authz_axum::get(publisher))
        .route("/head", authz_axum::get(head))
        .route("/chief", authz_axum::get(chief))
        .route("/both", authz_axum::get(both));
}
