//! A gRPC reports service on tonic whose every method declares who may call it.
//!
//! `cargo run -p authz-tonic --example reports_service` starts it on a loopback port, calls
//! it with a tonic client as three callers (none, a viewer, an editor), prints what each got
//! and the route table, and exits. With `-- --serve`, it keeps serving on 127.0.0.1:50051
//! and prints a viewer's and an editor's token (signed by a key made at start) to call it
//! with any gRPC client.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Mutex;

use authz_core::testkit::{TestKey, claims_for};
use authz_core::{Algorithm, Authenticated, Granted, HasOwner, Validator};
use authz_tonic::{Gate, HasGate, OrStatus as _, Services};
use authz_tonic_protos::reports::reports_client::ReportsClient;
use authz_tonic_protos::reports::reports_server::{self, ReportsServer};
use authz_tonic_protos::reports::{
    CreateReportRequest, GetReportRequest, Health, HealthRequest, ListReportsRequest, Report,
};
use tokio_stream::{Stream, StreamExt as _};
use tonic::transport::{Channel, Server};
use tonic::{Request, Response, Status};

authz_core::policy! {
    /// Who may do what with reports.
    pub mod reports {
        permissions {
            /// Read one's own reports.
            "reports:read",
            /// Create reports.
            "reports:write",
            /// Read anyone's reports.
            "reports:read_any",
        }
        roles {
            "viewer" = ["reports:read"],
            "editor" = "viewer" + ["reports:write"],
            "auditor" = "viewer" + ["reports:read_any"],
        }
    }
}

/// The access token's claims.
#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
    #[serde(default)]
    #[claims(roles)]
    roles: Vec<String>,
}

/// Declared once: the alias `#[require]` and `#[public]` read the policy and claims from.
type Authz = authz_tonic::Authz<reports::Policy, Token>;
type Caller = Authenticated<reports::Policy, Token>;

const ISSUER: &str = "https://id.example";
const AUDIENCE: &str = "reports";

/// A report, owned by its author.
#[derive(Clone)]
struct Stored(Report);

impl HasOwner for Stored {
    fn owner(&self) -> &str {
        &self.0.owner
    }
}

struct ReportsService {
    gate: Gate,
    reports: Mutex<HashMap<String, Stored>>,
}

impl HasGate for ReportsService {
    fn gate(&self) -> &Gate {
        &self.gate
    }
}

type ReportStream = Pin<Box<dyn Stream<Item = Result<Report, Status>> + Send>>;

#[authz_tonic::service]
#[tonic::async_trait]
impl reports_server::Reports for ReportsService {
    type ListReportsStream = ReportStream;

    #[public]
    async fn health(&self, _request: Request<HealthRequest>) -> Result<Response<Health>, Status> {
        Ok(Response::new(Health {
            status: "serving".into(),
        }))
    }

    /// Its owner sees a report, and so does an auditor; anyone else is told it does not exist.
    #[require(permission = "reports:read")]
    async fn get_report(
        &self,
        request: Request<GetReportRequest>,
        #[caller] caller: Caller,
    ) -> Result<Response<Report>, Status> {
        let id = request.into_inner().id;
        let stored = self.reports.lock().unwrap().get(&id).cloned();
        let stored = stored.ok_or_else(|| Status::not_found("not found"))?;
        let owned = caller
            .check_owner(stored, reports::perm::ReportsReadAny)
            .map_err(authz_core::Denied::conceal)
            .or_status()?;
        Ok(Response::new(owned.into_inner().0))
    }

    #[require(permission = "reports:write")]
    async fn create_report(
        &self,
        request: Request<CreateReportRequest>,
        #[caller] caller: Caller,
        _proof: Granted<reports::perm::ReportsWrite>,
    ) -> Result<Response<Report>, Status> {
        let mut reports = self.reports.lock().unwrap();
        let report = Report {
            id: format!("r{}", reports.len() + 1),
            owner: caller.subject().unwrap_or_default().to_owned(),
            title: request.into_inner().title,
        };
        reports.insert(report.id.clone(), Stored(report.clone()));
        Ok(Response::new(report))
    }

    /// Server streaming: authorized once, when the call starts.
    #[require(permission = "reports:read")]
    async fn list_reports(
        &self,
        _request: Request<ListReportsRequest>,
        #[caller] caller: Caller,
    ) -> Result<Response<Self::ListReportsStream>, Status> {
        let me = caller.subject().unwrap_or_default().to_owned();
        let mine: Vec<_> = self
            .reports
            .lock()
            .unwrap()
            .values()
            .filter(|stored| stored.0.owner == me)
            .map(|stored| Ok(stored.0.clone()))
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(mine))))
    }
}

fn token(key: &TestKey, subject: &str, role: &str) -> String {
    let mut claims = claims_for(ISSUER, AUDIENCE, subject);
    claims["roles"] = serde_json::json!([role]);
    // An hour, for `--serve`.
    claims["exp"] = serde_json::json!(authz_core::testkit::now() + 3600);
    key.mint(&claims)
}

fn authorized<T>(message: T, token: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().expect("a token is ASCII");
        request.metadata_mut().insert("authorization", value);
    }
    request
}

fn outcome<T: std::fmt::Debug>(result: Result<Response<T>, Status>) -> String {
    match result {
        Ok(response) => format!("OK {:?}", response.into_inner()),
        Err(status) => {
            let challenge = status
                .metadata()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .map(|c| format!(" [www-authenticate: {c}]"))
                .unwrap_or_default();
            format!("{:?}: {}{challenge}", status.code(), status.message())
        }
    }
}

async fn demo(address: SocketAddr, viewer: &str, editor: &str) {
    let channel = Channel::from_shared(format!("http://{address}"))
        .expect("a valid address")
        .connect()
        .await
        .expect("the server is up");
    let mut client = ReportsClient::new(channel);
    let create = |token| authorized(CreateReportRequest { title: "Q3".into() }, token);
    println!(
        "health, no token:        {}",
        outcome(client.health(authorized(HealthRequest {}, None)).await)
    );
    println!(
        "create, no token:        {}",
        outcome(client.create_report(create(None)).await)
    );
    println!(
        "create, viewer:          {}",
        outcome(client.create_report(create(Some(viewer))).await)
    );
    println!(
        "create, editor:          {}",
        outcome(client.create_report(create(Some(editor))).await)
    );
    let get = |token| authorized(GetReportRequest { id: "r1".into() }, token);
    println!(
        "get r1, editor (owner):  {}",
        outcome(client.get_report(get(Some(editor))).await)
    );
    println!(
        "get r1, viewer:          {}",
        outcome(client.get_report(get(Some(viewer))).await)
    );
    let listed = client
        .list_reports(authorized(ListReportsRequest {}, Some(editor)))
        .await
        .expect("an editor may list")
        .into_inner()
        .map(|report| report.map_or_else(|status| status.to_string(), |r| r.id))
        .collect::<Vec<_>>()
        .await;
    println!("list, editor (stream):   {listed:?}");
}

#[tokio::main]
async fn main() {
    let serve_forever = std::env::args().any(|arg| arg == "--serve");
    let key = TestKey::generate(Algorithm::ES256, "demo");
    let validator = Validator::builder()
        .algorithms([Algorithm::ES256])
        .key(key.verification_key())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .expect("a valid validator");
    let service = ReportsService {
        gate: Gate::new(validator).realm("reports"),
        reports: Mutex::new(HashMap::new()),
    };
    let mut services = Services::new();
    let router = Server::builder().add_service(ReportsServer::new(services.guard(service)));
    println!("Route table:\n{}", services.route_table());

    let bind = if serve_forever {
        "127.0.0.1:50051"
    } else {
        "127.0.0.1:0"
    };
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("bound");
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    let (viewer, editor) = (
        token(&key, "vera", "viewer"),
        token(&key, "eddie", "editor"),
    );
    if serve_forever {
        println!("Serving reports.v1.Reports on {address}. Tokens for an hour:");
        println!("viewer: {viewer}\neditor: {editor}");
        router
            .serve_with_incoming(incoming)
            .await
            .expect("the server runs");
        return;
    }
    let server = tokio::spawn(router.serve_with_incoming(incoming));
    demo(address, &viewer, &editor).await;
    server.abort();
}
