//! Routes declared in a tenant: the gate scopes the caller to the route's tenant, with the
//! roles the application's store assigns it there, before it checks the requirement.

use std::any::Any;
use std::sync::Arc;

use super::{Gate, Refusal, RefusalKind};
use crate::assignments::{Assignments, ErasedAssignments, Scoping};
use crate::audit;
use crate::authorize::{Authenticated, Granted};
use crate::claims::Claims;
use crate::policy::Policy;
use crate::requirement::{Requirement, TenantFrom};

/// What a gate keeps of [`Gate::assignments`]: the store behind one pointer, of a type named
/// by its policy (a gate names none).
pub(super) type Stored = Arc<dyn Any + Send + Sync>;

/// The outcome of a route's checks: the caller they ran on and the proof, or the refusal.
type Outcome<R, C> = Result<(Authenticated<<R as Requirement>::Policy, C>, Granted<R>), Refusal>;

/// What [`Gate::authorize_route_now`] comes to without waiting.
#[must_use = "a route check that is not looked at neither admits nor refuses"]
pub enum RouteCheck<R: Requirement, C> {
    /// The checks ran: the caller they ran on (scoped to the route's tenant, when it has one)
    /// and the proof, or the refusal.
    Done(Outcome<R, C>),
    /// The route's tenant store must ask its database: the caller back, for
    /// [`Gate::authorize_route`].
    Wait(Authenticated<R::Policy, C>),
}

impl<R: Requirement, C> std::fmt::Debug for RouteCheck<R, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Done(Ok(_)) => f.write_str("RouteCheck::Done(Ok(..))"),
            Self::Done(Err(refusal)) => f.debug_tuple("RouteCheck::Done").field(refusal).finish(),
            Self::Wait(_) => f.write_str("RouteCheck::Wait(..)"),
        }
    }
}

/// [`RouteCheck`], with the store to ask and the tenant to ask it about.
enum Checked<'g, 'p, R: Requirement, C> {
    Done(Outcome<R, C>),
    Wait(
        Authenticated<R::Policy, C>,
        &'g Arc<dyn ErasedAssignments<R::Policy>>,
        Option<&'p str>,
    ),
}

const OTHER_POLICY: &str = "the gate's role assignments (Gate::assignments) are for another policy than this route's: give the gate a store of the route's policy";
const NO_PARAMETER: &str = "the route takes its tenant from a path parameter its path does not have: route it on a path with that parameter";

impl Gate {
    /// The application's store of role assignments ([`assignments`](crate::assignments)), for
    /// routes declared in a tenant (`#[require(..., tenant = "{org}")]`): the gate looks the
    /// caller up in the route's tenant and joins the roles the store assigns it there to its
    /// credential's before it checks the route's requirement. A warm store that answers from
    /// memory ([`Assignments::membership_now`]) costs a request no allocation.
    ///
    /// Without a store, a route declared in a tenant admits only callers whose credential
    /// names that tenant, with the credential's roles.
    #[must_use]
    pub fn assignments<P: Policy, A: Assignments<P> + 'static>(mut self, store: A) -> Self {
        let store: Arc<dyn ErasedAssignments<P>> = Arc::new(store);
        self.config_mut().assignments = Some(Arc::new(store));
        self
    }

    /// Checks requirement `R` for `caller`, as [`authorize`](Self::authorize) does, after
    /// scoping the caller to the route's tenant when `R` is declared in one
    /// ([`Requirement::TENANT`]): `path_param` reads a path parameter of the request by name.
    /// The caller the checks ran on (scoped, when they were) and the proof on success. What
    /// adapters' guards call.
    ///
    /// A caller with no membership in the tenant is refused as another tenant's resource is
    /// (404); a store that cannot answer gives 503.
    pub async fn authorize_route<'p, R, C>(
        &self,
        caller: Authenticated<R::Policy, C>,
        path_param: impl FnOnce(&str) -> Option<&'p str>,
        route: &str,
    ) -> Result<(Authenticated<R::Policy, C>, Granted<R>), Refusal>
    where
        R: Requirement,
        C: Claims + Send + Sync,
    {
        let (caller, store, tenant) = match self.check_route(caller, path_param, route) {
            Checked::Done(result) => return result,
            Checked::Wait(caller, store, tenant) => (caller, store, tenant),
        };
        // Boxed: the store's query future is large, and an adapter's guard holds this future
        // on every route.
        let scoped = Box::pin(caller.scope_into(&**store, tenant))
            .await
            .map_err(|error| self.refuse(RefusalKind::from(error)))?;
        let granted = self.authorize::<R, C>(&scoped, route)?;
        Ok((scoped, granted))
    }

    /// [`authorize_route`](Self::authorize_route) as far as it gets without waiting: every
    /// route but one declared in a tenant whose store must ask its database. Costs no
    /// allocation. An adapter whose guard answers at once when it can (a ready future instead
    /// of a state machine holding every step) calls this, and `authorize_route` with the
    /// caller it gives back when it answers [`RouteCheck::Wait`].
    pub fn authorize_route_now<'p, R, C>(
        &self,
        caller: Authenticated<R::Policy, C>,
        path_param: impl FnOnce(&str) -> Option<&'p str>,
        route: &str,
    ) -> RouteCheck<R, C>
    where
        R: Requirement,
        C: Claims + Send + Sync,
    {
        match self.check_route(caller, path_param, route) {
            Checked::Done(result) => RouteCheck::Done(result),
            Checked::Wait(caller, ..) => RouteCheck::Wait(caller),
        }
    }

    /// The checks of a route up to the store's database: the answer, or the caller and its
    /// tenant (`None`: the credential's) when the store must be asked.
    fn check_route<'p, R, C>(
        &self,
        caller: Authenticated<R::Policy, C>,
        path_param: impl FnOnce(&str) -> Option<&'p str>,
        route: &str,
    ) -> Checked<'_, 'p, R, C>
    where
        R: Requirement,
        C: Claims + Send + Sync,
    {
        let caller = match R::TENANT {
            None => caller,
            Some(from) => {
                // `None`: the tenant the credential names.
                let tenant = match from {
                    TenantFrom::Path(name) => match path_param(name) {
                        Some(tenant) => Some(tenant),
                        None => {
                            return Checked::Done(
                                Err(self.misconfigured::<R>(NO_PARAMETER, route)),
                            );
                        }
                    },
                    TenantFrom::Credential => None,
                };
                let scoped = match self.config.assignments.as_deref() {
                    None => caller.in_credential_tenant(tenant),
                    Some(_) => {
                        let store = match self.store::<R>(route) {
                            Ok(store) => store,
                            Err(refusal) => return Checked::Done(Err(refusal)),
                        };
                        match caller.scope_now(&**store, tenant) {
                            Scoping::Now(scoped) => scoped,
                            Scoping::Wait(caller) => return Checked::Wait(caller, store, tenant),
                        }
                    }
                };
                match scoped {
                    Ok(scoped) => scoped,
                    Err(error) => return Checked::Done(Err(self.refuse(RefusalKind::from(error)))),
                }
            }
        };
        let granted = self.authorize::<R, C>(&caller, route);
        Checked::Done(granted.map(|granted| (caller, granted)))
    }

    /// The gate's store of role assignments, for `R`'s policy.
    fn store<R: Requirement>(
        &self,
        route: &str,
    ) -> Result<&Arc<dyn ErasedAssignments<R::Policy>>, Refusal> {
        self.config
            .assignments
            .as_deref()
            .and_then(|stored| stored.downcast_ref::<Arc<dyn ErasedAssignments<R::Policy>>>())
            .ok_or_else(|| self.misconfigured::<R>(OTHER_POLICY, route))
    }

    fn misconfigured<R: Requirement>(&self, what: &'static str, route: &str) -> Refusal {
        tracing::error!(target: audit::AUDIT_TARGET, route, rule = %R::RULE, "{what}");
        self.refuse(RefusalKind::TenantNotConfigured(what))
    }
}
