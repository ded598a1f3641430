use authz_tonic::{Gate, HasGate};
use authz_tonic_protos::greeter::{Hello, greeter_server};
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

// No `type Authz = ...;` in scope.

struct Greeter {
    gate: Gate,
}

impl HasGate for Greeter {
    fn gate(&self) -> &Gate {
        &self.gate
    }
}

#[authz_tonic::service]
#[tonic::async_trait]
impl greeter_server::Greeter for Greeter {
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
