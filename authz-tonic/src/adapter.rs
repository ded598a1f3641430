//! The application's authorization setup as a type ([`Authz`]), the service's gate
//! ([`HasGate`]), and what the service attribute calls at the start of each RPC.

use std::fmt;
use std::marker::PhantomData;

use authz_core::adapter::Guard;
use authz_core::{Adapter, Authenticated, Claims, Gate, Granted, Policy, Requirement};
use serde::de::DeserializeOwned;
use tonic::Status;
use tonic::metadata::MetadataMap;

use crate::metadata::Metadata;
use crate::status::status;

/// The application's authorization setup as a type: policy `P` and claims `C`. Declare it
/// once, as the alias `#[require]` and `#[public]` look for, beside the service's `impl`:
///
/// ```text
/// type Authz = authz_tonic::Authz<reports::Policy, ReportsClaims>;
/// ```
pub struct Authz<P, C>(PhantomData<fn() -> (P, C)>);

impl<P, C> fmt::Debug for Authz<P, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Authz")
    }
}

impl<P, C> Adapter for Authz<P, C>
where
    P: Policy,
    C: Claims + DeserializeOwned + Send + Sync + 'static,
{
    type Policy = P;
    type Claims = C;
    type Guard<R: Requirement<Policy = P>> = Require<Self, R>;
    type Public = Public<Self>;
}

mod sealed {
    pub trait Sealed {}
}

/// authz-tonic's [`Adapter`]: only [`Authz`] is one (sealed), so that the alias a service's
/// rules are read through is this crate's.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not authz-tonic's adapter",
    label = "the `Authz` alias of a gRPC service must name `authz_tonic::Authz`",
    note = "declare `type Authz = authz_tonic::Authz<my_policy::Policy, MyClaims>;` beside the service's `impl`"
)]
pub trait TonicAdapter:
    Adapter<Claims: DeserializeOwned + Send + Sync + 'static> + sealed::Sealed + 'static
{
}

impl<P, C> sealed::Sealed for Authz<P, C> {}

impl<P, C> TonicAdapter for Authz<P, C>
where
    P: Policy,
    C: Claims + DeserializeOwned + Send + Sync + 'static,
{
}

/// Where a service keeps its [`Gate`] (the validator, realm, API keys...). Implemented by the
/// application on each service type that carries `#[authz_tonic::service]`:
///
/// ```text
/// impl authz_tonic::HasGate for MyDocs {
///     fn gate(&self) -> &authz_tonic::Gate { &self.gate }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not say where its authz gate is",
    label = "a service with `#[authz_tonic::service]` authenticates its calls through a `Gate`",
    note = "implement `authz_tonic::HasGate` for `{Self}`: `fn gate(&self) -> &authz_tonic::Gate {{ &self.gate }}`"
)]
pub trait HasGate {
    /// The gate the service's calls are authenticated and authorized by.
    fn gate(&self) -> &Gate;
}

/// A caller authorized for `R`: what a `#[require(...)]` method starts with. The method
/// receives its parts, the caller ([`Authenticated`]) and the proof ([`Granted<R>`]), as
/// parameters it declares.
pub struct Require<A: Adapter, R> {
    caller: Authenticated<A::Policy, A::Claims>,
    granted: Granted<R>,
}

impl<A: Adapter, R: Requirement> Require<A, R> {
    /// The caller.
    pub fn caller(&self) -> &Authenticated<A::Policy, A::Claims> {
        &self.caller
    }

    /// The proof.
    pub fn granted(&self) -> &Granted<R> {
        &self.granted
    }
}

impl<A: Adapter, R: Requirement> fmt::Debug for Require<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Require")
            .field("caller", &self.caller)
            .field("granted", &self.granted)
            .finish()
    }
}

impl<A: Adapter, R> Guard<A::Policy, A::Claims, R> for Require<A, R> {
    fn into_parts(self) -> (Authenticated<A::Policy, A::Claims>, Granted<R>) {
        (self.caller, self.granted)
    }
}

/// The marker of a `#[public]` method: anyone may call it.
pub struct Public<A>(PhantomData<fn() -> A>);

impl<A> fmt::Debug for Public<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Public")
    }
}

/// Authenticates a call from its metadata and checks `R`: the caller and the proof, or the
/// refusal as a gRPC [`status`]. `route` is the full method name, `/package.Service/Method`,
/// written into the audit events.
pub async fn authorize<A, R>(
    gate: &Gate,
    metadata: &MetadataMap,
    route: &str,
) -> Result<Require<A, R>, Status>
where
    A: TonicAdapter,
    R: Requirement<Policy = A::Policy>,
{
    let caller = gate
        .authenticate_request::<A::Policy, A::Claims>(&Metadata(metadata), route)
        .await
        .map_err(|refusal| status(&refusal))?;
    let granted = gate
        .authorize::<R, A::Claims>(&caller, route)
        .map_err(|refusal| status(&refusal))?;
    Ok(Require { caller, granted })
}

/// The caller of a call, when it sends credentials: `None` without an `authorization` entry
/// (or with another scheme than `Bearer`); bad credentials are still refused.
pub async fn optional_caller<A: TonicAdapter>(
    gate: &Gate,
    metadata: &MetadataMap,
    route: &str,
) -> Result<Option<Authenticated<A::Policy, A::Claims>>, Status> {
    let request = Metadata(metadata);
    if !gate.has_credentials(&request) {
        return Ok(None);
    }
    gate.authenticate_request::<A::Policy, A::Claims>(&request, route)
        .await
        .map(Some)
        .map_err(|refusal| status(&refusal))
}
