use authz_tonic::{Gate, HasGate};
use authz_tonic_protos::greeter::Hello;
use authz_tonic_protos::greeter::greeter_server::Greeter;
use tonic::{Request, Response, Status};

authz_core::policy! {
    pub mod greet {
        permissions { "greet:hello", "greet:bye" }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_tonic::Authz<greet::Policy, Token>;

struct MyGreeter {
    gate: Gate,
}

impl HasGate for MyGreeter {
    fn gate(&self) -> &Gate {
        &self.gate
    }
}

// The trait named without its module: where is its full name?
#[authz_tonic::service]
#[tonic::async_trait]
impl Greeter for MyGreeter {
    #[require(permission = "greet:hello")]
    async fn say_hello(&self, request: Request<Hello>) -> Result<Response<Hello>, Status> {
        Ok(Response::new(request.into_inner()))
    }

    #[public]
    async fn say_goodbye(&self, request: Request<Hello>) -> Result<Response<Hello>, Status> {
        Ok(Response::new(request.into_inner()))
    }
}

fn main() {}
