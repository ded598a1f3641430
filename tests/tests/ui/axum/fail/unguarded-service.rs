// A tower service can only be routed behind a guard named explicitly; a type that is not a
// guard is refused.
use authz_axum::Router;

authz_core::policy! {
    pub mod invoices {
        permissions { "invoices:read" }
        roles { "clerk" = ["invoices:read"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

fn main() {
    let files = tower::service_fn(|_: axum::extract::Request| async {
        Ok::<_, std::convert::Infallible>("file")
    });
    let _app: Router<authz_axum::Gate> =
        Router::new().nest_service::<axum::http::HeaderMap>("/files", files);
}
