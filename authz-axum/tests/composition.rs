//! Deny by default through composition: guards hold in nested and merged routers, on the
//! fallback and on services, and the route table lists every route with its full path.

use authz_axum::{Gate, Public, Require, Router, get};
use authz_core::testkit::{TestKey, claims_for};
use authz_core::{Algorithm, Validator, public, require};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use http_body_util::BodyExt;
use tower::ServiceExt;

authz_core::policy! {
    /// Invoices.
    pub mod invoices {
        permissions {
            /// Read.
            "invoices:read",
            /// Administer.
            "invoices:admin",
        }
        roles {
            /// Reads.
            "clerk" = ["invoices:read"],
            /// Everything.
            "admin" = "clerk" + ["invoices:admin"],
        }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
    #[serde(default)]
    #[claims(roles)]
    roles: Vec<String>,
}

type Authz = authz_axum::Authz<invoices::Policy, Token>;

#[require(permission = "invoices:read")]
async fn list() -> &'static str {
    "invoices"
}

#[require(role = "admin")]
async fn audit() -> &'static str {
    "audit"
}

#[public]
async fn health() -> &'static str {
    "ok"
}

#[public]
async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "no such page")
}

async fn stamp(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert("x-layer", HeaderValue::from_static("1"));
    response
}

/// What the service under `/files` saw as its path.
async fn echo_path(request: Request) -> Result<String, std::convert::Infallible> {
    Ok(request.uri().path().to_owned())
}

fn router() -> Router<Gate> {
    let admin = Router::new()
        .route("/audit", get(audit))
        .route_service::<Require<Authz, invoices::perm::InvoicesAdmin>>(
            "/metrics",
            tower::service_fn(|_: Request| async { Ok::<_, std::convert::Infallible>("0") }),
        );
    let api = Router::new()
        .route("/invoices", get(list).head(list))
        .nest("/admin", admin);
    Router::new()
        .route("/health", get(health))
        .merge(api)
        .nest_service::<Public<Authz>>("/files", tower::service_fn(echo_path))
        .fallback(not_found)
        .layer(axum::middleware::map_response(stamp))
}

#[test]
fn the_route_table_lists_every_composed_route_with_its_full_path() {
    assert_eq!(
        router().route_table().to_string(),
        "\
GET     /health         public
GET     /invoices       permission(invoices:read)
HEAD    /invoices       permission(invoices:read)
GET     /admin/audit    role(admin)
ANY     /admin/metrics  permission(invoices:admin)
ANY     /files          public
ANY     /files/{*rest}  public
ANY     *               public
"
    );
}

struct App {
    app: axum::Router,
    key: TestKey,
}

impl App {
    fn new() -> Self {
        let key = TestKey::generate(Algorithm::HS256, "k");
        let validator = Validator::builder()
            .algorithms([Algorithm::HS256])
            .key(key.verification_key())
            .issuer("https://id")
            .audience("invoices")
            .build()
            .unwrap();
        let app = router().with_state::<()>(Gate::new(validator)).into_axum();
        Self { app, key }
    }

    fn token(&self, role: &str) -> String {
        let mut claims = claims_for("https://id", "invoices", "ann");
        claims["roles"] = serde_json::json!([role]);
        self.key.mint(&claims)
    }

    async fn get(&self, path: &str, token: Option<String>) -> (StatusCode, String, bool) {
        let mut request = axum::http::Request::get(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let layered = response.headers().contains_key("x-layer");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned(), layered)
    }
}

#[tokio::test]
async fn guards_hold_in_nested_and_merged_routers_services_and_the_fallback() {
    let app = App::new();
    let clerk = || Some(app.token("clerk"));
    let admin = || Some(app.token("admin"));

    // Merged: the guard runs.
    assert_eq!(app.get("/invoices", None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/invoices", clerk()).await.0, StatusCode::OK);
    // Nested: the guard runs under the prefix.
    assert_eq!(
        app.get("/admin/audit", clerk()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get("/admin/audit", admin()).await.0, StatusCode::OK);
    // A service behind an explicit guard: refused before the service runs.
    assert_eq!(
        app.get("/admin/metrics", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/admin/metrics", clerk()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/admin/metrics", admin()).await,
        (StatusCode::OK, "0".to_owned(), true)
    );
    // A nested service sees the path without the prefix, as with axum's nest_service.
    assert_eq!(
        app.get("/files/a/b.txt", None).await,
        (StatusCode::OK, "/a/b.txt".to_owned(), true)
    );
    // The fallback is the guarded (here public) handler, and the layer wraps it too.
    assert_eq!(
        app.get("/nowhere", None).await,
        (StatusCode::NOT_FOUND, "no such page".to_owned(), true)
    );
    assert_eq!(app.get("/health", None).await.1, "ok");
}
