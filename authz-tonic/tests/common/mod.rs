//! The conformance service over gRPC, a tonic server for it on loopback, a client, and an
//! audit-event recorder, shared by the test binaries.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use authz_core::testkit::conformance::{self, DocsClaims, docs};
use authz_core::{Authenticated, Gate, Granted};
use authz_tonic::{HasGate, OrStatus as _};
use authz_tonic_protos::conformance::docs_client::DocsClient;
use authz_tonic_protos::conformance::docs_server::{self, DocsServer};
use authz_tonic_protos::conformance::{Empty, Text};
use tokio_stream::{Stream, StreamExt as _};
use tonic::transport::{Channel, Server};
use tonic::{Request, Response, Status, Streaming};

pub type Authz = authz_tonic::Authz<docs::Policy, DocsClaims>;

/// The full name of a method of the conformance service.
pub fn route(method: &str) -> String {
    format!("/authz.conformance.Docs/{method}")
}

/// The conformance service. `read_messages` counts the messages the client-streaming and
/// bidirectional methods took from their request streams.
pub struct DocsService {
    pub gate: Gate,
    pub read_messages: Arc<AtomicUsize>,
}

impl HasGate for DocsService {
    fn gate(&self) -> &Gate {
        &self.gate
    }
}

fn text(text: impl Into<String>) -> Response<Text> {
    Response::new(Text { text: text.into() })
}

type TextStream = Pin<Box<dyn Stream<Item = Result<Text, Status>> + Send>>;

#[authz_tonic::service]
#[tonic::async_trait]
impl docs_server::Docs for DocsService {
    type WatchStream = TextStream;
    type ChatStream = TextStream;

    #[public]
    async fn public(&self, _request: Request<Empty>) -> Result<Response<Text>, Status> {
        Ok(text("hello"))
    }

    #[require(permission = "docs:read")]
    async fn read(&self, _request: Request<Empty>) -> Result<Response<Text>, Status> {
        Ok(text("doc"))
    }

    #[require(permission = "docs:write")]
    async fn write(
        &self,
        _request: Request<Empty>,
        _proof: Granted<docs::perm::DocsWrite>,
    ) -> Result<Response<Text>, Status> {
        Ok(text("written"))
    }

    #[require(permission = "docs:read")]
    async fn note(
        &self,
        _request: Request<Empty>,
        caller: Authenticated<docs::Policy, DocsClaims>,
    ) -> Result<Response<Text>, Status> {
        Ok(text(conformance::read_note(&caller).or_status()?))
    }

    #[public]
    async fn whoami(
        &self,
        _request: Request<Empty>,
        caller: Option<Authenticated<docs::Policy, DocsClaims>>,
    ) -> Result<Response<Text>, Status> {
        Ok(text(conformance::whoami(caller.as_ref())))
    }

    #[require(permission = "docs:read")]
    async fn watch(
        &self,
        _request: Request<Empty>,
        caller: Authenticated<docs::Policy, DocsClaims>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let who = caller.subject().unwrap_or_default().to_owned();
        let items = (1..=3).map(move |i| {
            Ok(Text {
                text: format!("{who} {i}"),
            })
        });
        Ok(Response::new(Box::pin(tokio_stream::iter(items))))
    }

    #[require(permission = "docs:write")]
    async fn upload(&self, request: Request<Streaming<Text>>) -> Result<Response<Text>, Status> {
        let mut stream = request.into_inner();
        let mut texts = Vec::new();
        while let Some(message) = stream.next().await {
            self.read_messages.fetch_add(1, Ordering::SeqCst);
            texts.push(message?.text);
        }
        Ok(text(texts.join(" ")))
    }

    #[require(permission = "docs:read")]
    async fn chat(
        &self,
        request: Request<Streaming<Text>>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        let read = self.read_messages.clone();
        let echo = request.into_inner().map(move |message| {
            read.fetch_add(1, Ordering::SeqCst);
            message.map(|m| Text {
                text: format!("echo {}", m.text),
            })
        });
        Ok(Response::new(Box::pin(echo)))
    }
}

/// A server of the conformance service on a loopback port, and its read counter.
pub async fn serve(gate: Gate) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let read_messages = Arc::new(AtomicUsize::new(0));
    let service = DocsService {
        gate,
        read_messages: read_messages.clone(),
    };
    let mut services = authz_tonic::Services::new();
    let server = Server::builder()
        .add_service(DocsServer::new(services.guard(service)))
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
    tokio::spawn(server);
    (address, read_messages)
}

/// A tonic client of the server at `address`.
pub async fn client(address: SocketAddr) -> DocsClient<Channel> {
    let channel = Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    DocsClient::new(channel)
}

/// A request with these `authorization` entries, in order.
pub fn with_authorization<T>(message: T, authorization: &[String]) -> Request<T> {
    let mut request = Request::new(message);
    for value in authorization {
        request
            .metadata_mut()
            .append("authorization", value.parse().unwrap());
    }
    request
}

/// An audit event (target `authz::audit`) as recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    pub event: String,
    pub decision: Option<String>,
    pub category: Option<String>,
    pub route: Option<String>,
}

/// Records the audit events of the whole test binary: a global `tracing` subscriber, so that
/// events written on the server's worker threads are seen.
pub struct Recorder {
    events: Arc<Mutex<Vec<Event>>>,
}

impl Recorder {
    /// The process's recorder, installed as the global subscriber on first use.
    pub fn global() -> &'static Recorder {
        static RECORDER: OnceLock<Recorder> = OnceLock::new();
        RECORDER.get_or_init(|| {
            let events = Arc::new(Mutex::new(Vec::new()));
            tracing::subscriber::set_global_default(Capture {
                events: events.clone(),
                next_span: AtomicUsize::new(0),
            })
            .expect("no other global subscriber in this test binary");
            Recorder { events }
        })
    }

    /// The events recorded since the last call.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.events.lock().unwrap())
    }
}

struct Capture {
    events: Arc<Mutex<Vec<Event>>>,
    next_span: AtomicUsize,
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == authz_core::audit::AUDIT_TARGET
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed) as u64 + 1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        struct Fields(Event);
        impl tracing::field::Visit for Fields {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                let value = value.to_owned();
                match field.name() {
                    "event" => self.0.event = value,
                    "decision" => self.0.decision = Some(value),
                    "category" => self.0.category = Some(value),
                    "route" => self.0.route = Some(value),
                    _ => {}
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut fields = Fields(Event::default());
        event.record(&mut fields);
        self.events.lock().unwrap().push(fields.0);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}
