authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write", "reports:delete", "reports:audit" }
        roles { "viewer" = ["reports:read"], "admin" = "viewer" + ["reports:write", "reports:delete"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_axum::Authz<reports::Policy, Token>;

// A mistake in the attribute is one error; the handler is still guarded, so routing it adds none.
#[authz_core::require(any("reports:read"))]
async fn read() {}

fn router() -> authz_axum::Router<authz_axum::Gate> {
    authz_axum::Router::new().route("/reports", authz_axum::get(read))
}

fn main() {}
