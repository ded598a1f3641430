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
        let caller = match R::TENANT {
            None => caller,
            Some(from) => {
                // `None`: the tenant the credential names.
                let tenant = match from {
                    TenantFrom::Path(name) => match path_param(name) {
                        Some(tenant) => Some(tenant),
                        None => return Err(self.misconfigured::<R>(NO_PARAMETER, route)),
                    },
                    TenantFrom::Credential => None,
                };
                match self.scope_now::<R, C>(caller, tenant, route) {
                    Scoping::Now(scoped) => scoped?,
                    Scoping::Wait(wait) => wait.await?,
                }
            }
        };
        let granted = self.authorize::<R, C>(&caller, route)?;
        Ok((caller, granted))
    }

    /// The caller scoped to `tenant` (`None`: its credential's), as far as that gets without
    /// waiting: in memory, or without a store, at once and with no allocation; the wait for a
    /// database boxed. So a guard's future holds a pointer for the scoping, on every route.
    fn scope_now<'a, R: Requirement, C: Claims + Send + Sync + 'a>(
        &'a self,
        caller: Authenticated<R::Policy, C>,
        tenant: Option<&'a str>,
        route: &str,
    ) -> Scoping<'a, Authenticated<R::Policy, C>, Refusal> {
        let scoping = match self.config.assignments.as_deref() {
            None => Scoping::Now(caller.in_credential_tenant(tenant)),
            Some(stored) => {
                let Some(store) = stored.downcast_ref::<Arc<dyn ErasedAssignments<R::Policy>>>()
                else {
                    return Scoping::Now(Err(self.misconfigured::<R>(OTHER_POLICY, route)));
                };
                caller.scope_now(&**store, tenant)
            }
        };
        match scoping {
            Scoping::Now(scoped) => {
                Scoping::Now(scoped.map_err(|error| self.refuse(RefusalKind::from(error))))
            }
            Scoping::Wait(wait) => Scoping::Wait(Box::pin(async move {
                wait.await
                    .map_err(|error| self.refuse(RefusalKind::from(error)))
            })),
        }
    }

    fn misconfigured<R: Requirement>(&self, what: &'static str, route: &str) -> Refusal {
        tracing::error!(target: audit::AUDIT_TARGET, route, rule = %R::RULE, "{what}");
        self.refuse(RefusalKind::TenantNotConfigured(what))
    }
}
