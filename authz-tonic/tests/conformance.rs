//! authz-tonic passes the adapter conformance kit of `authz_core::testkit::conformance` over
//! gRPC: each of the kit's cases is sent by a tonic client to a tonic server on loopback, and
//! its expectation read through the gRPC mapping. The mapping, written out here apart from
//! the library's so that the test checks it:
//!
//! - the routes become methods of `authz.conformance.Docs` (`GET /docs` is `Read`, `POST
//!   /docs` is `Write`, ...) and the audit events name them in full,
//!   `/authz.conformance.Docs/Read`;
//! - `Authorization` headers become `authorization` metadata entries; the query string, which
//!   gRPC has not, becomes an `access_token` entry (any entry but `authorization` is ignored);
//! - the HTTP status becomes a gRPC code (200 OK, 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED,
//!   403 PERMISSION_DENIED, 404 NOT_FOUND, 503 UNAVAILABLE), `WWW-Authenticate` and
//!   `Retry-After` become `www-authenticate` and `retry-after` metadata, the problem body's
//!   detail the status message, and the body of an allowed call the reply's text.
//!
//! No answer (message, metadata, reply) may contain the request's token.

mod common;

use authz_core::gate::RETRY_AFTER_SECONDS;
use authz_core::testkit::conformance::{Audit, Case, Challenge, Kit, REALM};
use authz_tonic_protos::conformance::Empty;
use common::{Event, Recorder, client, route, serve, with_authorization};
use tonic::Code;

/// The method a kit request is sent to.
fn method(request: &authz_core::testkit::conformance::Request) -> &'static str {
    match (request.method, request.path) {
        ("GET", "/public") => "Public",
        ("GET", "/docs") => "Read",
        ("POST", "/docs") => "Write",
        ("GET", "/notes") => "Note",
        ("GET", "/whoami") => "Whoami",
        other => panic!("the kit has a route this mapping lacks: {other:?}"),
    }
}

/// The gRPC code for a kit status.
fn expected_code(status: u16) -> Code {
    match status {
        200 => Code::Ok,
        400 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::NotFound,
        503 => Code::Unavailable,
        other => panic!("the kit has a status this mapping lacks: {other}"),
    }
}

/// What came back: the code, the message, every metadata entry (headers and trailers) as
/// text, and the reply's text.
struct Answer {
    code: Code,
    message: String,
    metadata: Vec<(String, String)>,
    text: Option<String>,
}

impl Answer {
    fn values(&self, name: &str) -> Vec<&str> {
        self.metadata
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

fn entries(metadata: &tonic::metadata::MetadataMap) -> Vec<(String, String)> {
    metadata
        .clone()
        .into_headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect()
}

async fn send(
    client: &mut authz_tonic_protos::conformance::docs_client::DocsClient<
        tonic::transport::Channel,
    >,
    case: &Case,
) -> Answer {
    let mut request = with_authorization(Empty {}, &case.request.authorization);
    if let Some(query) = &case.request.query {
        let (_, token) = query.split_once('=').unwrap();
        request
            .metadata_mut()
            .insert("access_token", token.parse().unwrap());
    }
    let result = match method(&case.request) {
        "Public" => client.public(request).await,
        "Read" => client.read(request).await,
        "Write" => client.write(request).await,
        "Note" => client.note(request).await,
        _ => client.whoami(request).await,
    };
    match result {
        Ok(response) => Answer {
            code: Code::Ok,
            message: String::new(),
            metadata: entries(response.metadata()),
            text: Some(response.into_inner().text),
        },
        Err(status) => Answer {
            code: status.code(),
            message: status.message().to_owned(),
            metadata: entries(status.metadata()),
            text: None,
        },
    }
}

fn check(case: &Case, answer: &Answer, events: &[Event]) -> Result<(), String> {
    let code = expected_code(case.status);
    if answer.code != code {
        return Err(format!("code {:?} (expected {code:?})", answer.code));
    }
    let challenges = answer.values("www-authenticate");
    let realm = format!("realm=\"{REALM}\"");
    let fine = match (case.challenge, challenges.as_slice()) {
        (Challenge::Absent, []) => true,
        (Challenge::Bare, [c]) => *c == format!("Bearer {realm}"),
        (Challenge::Error { code, scope }, [c]) => {
            c.starts_with("Bearer ")
                && c.contains(&realm)
                && c.contains(&format!("error=\"{code}\""))
                && scope.is_none_or(|s| c.contains(&format!("scope=\"{s}\"")))
        }
        _ => false,
    };
    if !fine {
        return Err(format!(
            "www-authenticate {challenges:?} (expected {:?})",
            case.challenge
        ));
    }
    let retry = answer.values("retry-after");
    let expected_retry: Vec<String> = (case.status == 503)
        .then(|| RETRY_AFTER_SECONDS.to_string())
        .into_iter()
        .collect();
    if retry != expected_retry {
        return Err(format!(
            "retry-after {retry:?} (expected {expected_retry:?})"
        ));
    }
    if case.status >= 400 && answer.message.is_empty() {
        return Err("a refusal without a message".to_owned());
    }
    if let (Some(body), Some(text)) = (case.body, &answer.text)
        && body != text
    {
        return Err(format!("reply {text:?} (expected {body:?})"));
    }
    for secret in secrets(case) {
        let leaked = answer.message.contains(secret)
            || answer.text.as_deref().is_some_and(|t| t.contains(secret))
            || answer.metadata.iter().any(|(_, v)| v.contains(secret));
        if leaked {
            return Err("the answer contains the request's token".to_owned());
        }
    }
    let route = route(method(&case.request));
    let matching = events.len() == case.audit.len()
        && events.iter().zip(&case.audit).all(|(event, audit)| {
            let (name, field, value) = match *audit {
                Audit::Authentication(category) => ("authentication", &event.category, category),
                Audit::Authorization(decision) => ("authorization", &event.decision, decision),
                Audit::OwnerCheck(decision) => ("owner_check", &event.decision, decision),
            };
            event.event == name
                && field.as_deref() == Some(value)
                && event.route.as_deref() == Some(route.as_str())
        });
    if !matching {
        return Err(format!(
            "audit events {events:?} (expected {:?}, each naming route {route})",
            case.audit
        ));
    }
    Ok(())
}

/// The request's credentials, which no answer may contain.
fn secrets(case: &Case) -> Vec<&str> {
    let header = case.request.authorization.iter().map(|value| {
        let value = value.trim();
        value.split_once(' ').map_or(value, |(_, rest)| rest.trim())
    });
    let query = case
        .request
        .query
        .iter()
        .filter_map(|q| q.split_once('=').map(|(_, token)| token));
    header.chain(query).filter(|s| s.len() >= 16).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tonic_adapter_passes_the_conformance_kit_over_grpc() {
    let recorder = Recorder::global();
    let kit = Kit::new();
    let (address, _) = serve(kit.gate()).await;
    let mut client = client(address).await;
    let cases = kit.cases();
    assert!(cases.len() >= 20, "the kit has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        recorder.take();
        let answer = send(&mut client, case).await;
        let events = recorder.take();
        if let Err(failure) = check(case, &answer, &events) {
            failures.push(format!("{}: {failure}", case.name));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
