//! A small actix-web service guarded by authz: `cargo run -p authz-actix --example
//! docs-service`, then call it with the tokens it prints.
//!
//! ```text
//! curl -i localhost:8081/docs                                  # 401, a bare challenge
//! curl -i -H "authorization: Bearer $READER" localhost:8081/docs    # 200
//! curl -i -X POST -H "authorization: Bearer $READER" localhost:8081/docs  # 403 insufficient_scope
//! curl -i -X POST -H "authorization: Bearer $WRITER" localhost:8081/docs  # 201
//! ```
//!
//! The signing key is generated at start-up (the test kit's `TestKey`); a real service
//! configures its identity provider's keys on the `Validator` instead.

use std::sync::Mutex;

use actix_web::{App, HttpResponse, HttpServer, web};
use authz_actix::{Gate, MaybeAuth, Rejection, Routes};
use authz_core::testkit::{TestKey, claims_for};
use authz_core::{Algorithm, Authenticated, Granted, HasOwner, Validator, public, require};

authz_core::policy! {
    /// Documents.
    pub mod docs {
        permissions {
            /// Read one's own documents.
            "docs:read",
            /// Create documents.
            "docs:write",
            /// Read anyone's documents.
            "docs:read_any",
        }
        roles {
            /// Reads their own documents.
            "reader" = ["docs:read"],
            /// Also writes.
            "writer" = "reader" + ["docs:write"],
            /// Reads everyone's.
            "auditor" = "reader" + ["docs:read_any"],
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

type Authz = authz_actix::Authz<docs::Policy, Token>;
type Caller = Authenticated<docs::Policy, Token>;

#[derive(Clone)]
struct Doc {
    owner: String,
    text: String,
}

impl HasOwner for Doc {
    fn owner(&self) -> &str {
        &self.owner
    }
}

/// The documents, shared by every worker.
type Store = web::Data<Mutex<Vec<Doc>>>;

#[public]
async fn health() -> &'static str {
    "ok"
}

#[public]
async fn hello(caller: MaybeAuth<Authz>) -> String {
    let name = caller
        .as_ref()
        .and_then(|c| c.subject())
        .unwrap_or("stranger");
    format!("hello {name}\n")
}

#[require(permission = "docs:read")]
async fn list(#[caller] caller: Caller, store: Store) -> String {
    let docs = store.lock().map(|d| d.clone()).unwrap_or_default();
    docs.into_iter()
        .filter_map(|doc| caller.check_owner(doc, docs::perm::DocsReadAny).ok())
        .map(|doc| format!("{}: {}\n", doc.owner, doc.text))
        .collect()
}

#[require(permission = "docs:read")]
async fn first(#[caller] caller: Caller, store: Store) -> Result<HttpResponse, Rejection> {
    let Some(doc) = store.lock().ok().and_then(|d| d.first().cloned()) else {
        return Ok(HttpResponse::NotFound().finish());
    };
    // Another's document answers 404 as a missing one does: ids cannot be probed.
    let doc = caller
        .check_owner(doc, docs::perm::DocsReadAny)
        .map_err(authz_core::Denied::conceal)?;
    Ok(HttpResponse::Ok().body(format!("{}\n", doc.text)))
}

#[require(permission = "docs:write")]
async fn create(
    _proof: Granted<docs::perm::DocsWrite>,
    #[caller] caller: Caller,
    store: Store,
    body: String,
) -> HttpResponse {
    let owner = caller.subject().unwrap_or_default().to_owned();
    if let Ok(mut docs) = store.lock() {
        docs.push(Doc { owner, text: body });
    }
    HttpResponse::Created().finish()
}

fn routes() -> Routes {
    Routes::new()
        .get("/health", health)
        .get("/hello", hello)
        .get("/docs", list)
        .post("/docs", create)
        .get("/docs/first", first)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let key = TestKey::generate(Algorithm::ES256, "dev");
    let validator = Validator::builder()
        .algorithms([Algorithm::ES256])
        .key(key.verification_key())
        .issuer("https://id.example")
        .audience("docs")
        .build()
        .map_err(std::io::Error::other)?;
    let gate = Gate::new(validator).realm("docs");
    for (name, role) in [
        ("READER", "reader"),
        ("WRITER", "writer"),
        ("AUDITOR", "auditor"),
    ] {
        let mut claims = claims_for("https://id.example", "docs", &role.to_lowercase());
        claims["roles"] = serde_json::json!([role]);
        claims["exp"] = serde_json::json!(authz_core::testkit::now() + 3600);
        println!("{name}={}", key.mint(&claims));
    }
    print!("{}", routes().route_table());
    let port = std::env::var("PORT").unwrap_or_else(|_| "8081".into());
    let store: Store = web::Data::new(Mutex::new(Vec::new()));
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(gate.clone()))
            .app_data(store.clone())
            .configure(routes().configure())
    })
    .bind(("127.0.0.1", port.parse().unwrap_or(8081)))?
    .run()
    .await
}
