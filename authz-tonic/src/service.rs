//! What `#[authz_tonic::service]` records about a service: each method's full name and rule,
//! for the route table.

use authz_core::routes::RouteTable;

/// A service whose `impl` carries `#[authz_tonic::service]`: every method declared its rule,
/// and the table lists them, one row per method, `RPC /package.Service/Method rule`.
/// Implemented by the attribute only (one service trait per type).
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not declare who may call its methods",
    label = "no `#[authz_tonic::service]` on this service's `impl`",
    note = "put `#[authz_tonic::service]` above `#[tonic::async_trait]` on `impl my_server::My for {Self}`, and `#[require(...)]` or `#[public]` on each method"
)]
pub trait GuardedService {
    /// The full gRPC name of the service, `package.Service`.
    const SERVICE: &'static str;

    /// Every method and its rule, in the order of the `impl`.
    fn route_table() -> RouteTable;
}

/// The services of a server, each checked to be guarded, and their route table. Only a
/// service type with `#[authz_tonic::service]` on its `impl` passes through
/// [`guard`](Self::guard):
///
/// ```text
/// let mut services = authz_tonic::Services::new();
/// Server::builder()
///     .add_service(DocsServer::new(services.guard(MyDocs::new(gate))))
///     .serve(address);
/// print!("{}", services.route_table());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Services {
    table: RouteTable,
}

impl Services {
    /// No services yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// `service`, unchanged, once its rules are in the table.
    pub fn guard<S: GuardedService>(&mut self, service: S) -> S {
        self.table.extend(S::route_table());
        service
    }

    /// Every method of the guarded services and its rule.
    pub fn route_table(&self) -> &RouteTable {
        &self.table
    }
}
