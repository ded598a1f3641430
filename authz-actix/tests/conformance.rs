//! authz-actix passes the adapter conformance kit of `authz_core::testkit::conformance`, in
//! process (`actix_web::test`) and through a real `HttpServer` on loopback, whose requests are
//! handled on worker threads.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, HttpResponse, HttpServer, test, web};
use authz_actix::{MaybeAuth, Rejection, Routes};
use authz_core::testkit::conformance::{self, DocsClaims, Kit, Outcome, Request, docs};
use authz_core::{Authenticated, Gate, public, require};

type Authz = authz_actix::Authz<docs::Policy, DocsClaims>;

#[public]
async fn public_page() -> &'static str {
    "hello"
}

#[require(permission = "docs:read")]
async fn read() -> &'static str {
    "doc"
}

#[require(permission = "docs:write")]
async fn write() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[require(permission = "docs:read")]
async fn note(caller: Authenticated<docs::Policy, DocsClaims>) -> Result<&'static str, Rejection> {
    Ok(conformance::read_note(&caller)?)
}

#[public]
async fn whoami(caller: MaybeAuth<Authz>) -> String {
    conformance::whoami(caller.as_ref())
}

fn routes() -> Routes {
    Routes::new()
        .get("/public", public_page)
        .get("/docs", read)
        .post("/docs", write)
        .get("/notes", note)
        .get("/whoami", whoami)
}

fn outcome<B: actix_web::body::MessageBody>(response: &ServiceResponse<B>) -> Outcome {
    let mut outcome = Outcome::new(response.status().as_u16());
    for (name, value) in response.headers() {
        outcome = outcome.header(name.as_str(), value.to_str().unwrap());
    }
    outcome
}

#[actix_web::test]
async fn actix_adapter_passes_the_conformance_kit_in_process() {
    let kit = Kit::new();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(kit.gate()))
            .configure(routes().configure()),
    )
    .await;
    let send = |request: Request| {
        let mut builder = test::TestRequest::default()
            .method(request.method.parse().unwrap())
            .uri(&request.uri());
        for value in &request.authorization {
            builder = builder.append_header(("authorization", value.as_str()));
        }
        let call = app.call(builder.to_request());
        async move {
            let response = call.await.unwrap();
            let outcome = outcome(&response);
            let body = test::read_body(response).await;
            outcome.body(String::from_utf8(body.to_vec()).unwrap())
        }
    };
    let passed = kit
        .run(send)
        .await
        .unwrap_or_else(|failures| panic!("{failures:#?}"));
    assert_eq!(passed, kit.cases().len());
}

/// A plain HTTP/1.1 client on a TCP stream: one request, the status, headers and body.
async fn http_get(address: std::net::SocketAddr, request: &Request) -> Outcome {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut head = format!(
        "{} {} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\ncontent-length: 0\r\n",
        request.method,
        request.uri()
    );
    for value in &request.authorization {
        head.push_str(&format!("authorization: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut outcome = Outcome::new(status);
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        outcome = outcome.header(name.trim(), value.trim());
    }
    outcome.body(body)
}

#[actix_web::test]
async fn actix_adapter_passes_the_conformance_kit_on_worker_threads() {
    let kit = Kit::new();
    let gate: Gate = kit.gate();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(gate.clone()))
            .configure(routes().configure())
    })
    .workers(2)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let address = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let result = kit
        .run(|request| async move { http_get(address, &request).await })
        .await;
    handle.stop(true).await;
    let passed = result.unwrap_or_else(|failures| panic!("{failures:#?}"));
    assert_eq!(passed, kit.cases().len());
}
