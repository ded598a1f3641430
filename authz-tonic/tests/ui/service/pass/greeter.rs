// A complete service: every method declares its rule; the caller and the proof are received
// as extra parameters; a user's own `Result`, `Option` and `Status` names do not break the
// generated code.
use authz_core::{Authenticated, Granted};
use authz_tonic::{Gate, HasGate};
use authz_tonic_protos::greeter::{Hello, greeter_server};
use tonic::{Request, Response};

authz_core::policy! {
    pub mod greet {
        permissions { "greet:hello", "greet:bye" }
        roles { "friend" = ["greet:hello", "greet:bye"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
struct Token {
    sub: String,
}

type Authz = authz_tonic::Authz<greet::Policy, Token>;

#[allow(dead_code)]
type Result = ();
#[allow(dead_code)]
struct Status;

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
    async fn say_hello(
        &self,
        request: Request<Hello>,
        caller: Authenticated<greet::Policy, Token>,
        _proof: Granted<greet::perm::GreetHello>,
    ) -> std::result::Result<Response<Hello>, tonic::Status> {
        let name = request.into_inner().name;
        let who = caller.subject().unwrap_or_default();
        Ok(Response::new(Hello { name: format!("{name} from {who}") }))
    }

    #[public]
    async fn say_goodbye(
        &self,
        _request: Request<Hello>,
    ) -> std::result::Result<Response<Hello>, tonic::Status> {
        Ok(Response::new(Hello { name: "bye".into() }))
    }
}

fn main() {
    use authz_tonic::GuardedService as _;
    assert_eq!(
        Greeter::route_table().to_string(),
        "RPC     /greeter.v1.Greeter/SayHello    permission(greet:hello)\nRPC     /greeter.v1.Greeter/SayGoodbye  public\n"
    );
}
