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

type Authz = authz_tonic::Authz<greet::Policy, Token>;

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
    // gRPC has no path parameters: an RPC method scopes its caller to a tenant in its body.
    #[require(permission = "greet:hello", tenant = credential)]
    async fn say_hello(&self, request: Request<Hello>) -> Result<Response<Hello>, Status> {
        Ok(Response::new(request.into_inner()))
    }

    #[require(permission = "greet:bye")]
    async fn say_goodbye(&self, request: Request<Hello>) -> Result<Response<Hello>, Status> {
        Ok(Response::new(request.into_inner()))
    }
}

fn main() {}
