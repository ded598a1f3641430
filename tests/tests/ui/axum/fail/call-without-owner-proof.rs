authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write", "reports:delete" }
        roles { "viewer" = ["reports:read"], "admin" = "viewer" + ["reports:write", "reports:delete"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<reports::Policy, Token>;

struct Report {
    owner: String,
}

impl authz_core::HasOwner for Report {
    fn owner(&self) -> &str {
        &self.owner
    }
}

/// Domain code: only for reports whose owner check passed.
fn publish(report: &authz_core::Owned<Report>) -> &str {
    &report.owner
}

fn handler_that_forgot_the_check(report: Report) {
    publish(&report);
}

fn main() {}
