//! Routes declared in a tenant: the gate scopes the caller to the route's tenant, with the
//! roles the application's store assigns it there, before it checks the requirement.

use std::any::Any;
use std::future::{Future, Ready};
use std::marker::PhantomData;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{Gate, Refusal, RefusalKind};
use crate::assignments::{Assignments, ErasedAssignments, Scoping};
use crate::audit;
use crate::authorize::{Authenticated, Granted};
use crate::claims::Claims;
use crate::policy::Policy;
use crate::requirement::{Need, Requirement, Rule, TenantFrom};

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

/// What the checks of a route come to without waiting, on the requirement as data: the
/// caller that passed (the caller of a `Granted`) or the refusal, or the store to ask and the
/// tenant to ask it about.
enum Checked<'g, 'p, P: Policy, C> {
    Done(Passed<P, C>),
    Wait(
        Authenticated<P, C>,
        &'g Arc<dyn ErasedAssignments<P>>,
        Option<&'p str>,
    ),
}

/// What a route's checks say of the caller: it passed (and a `Granted` may be made), or the
/// refusal.
type Passed<P, C> = Result<Authenticated<P, C>, Refusal>;

/// The checks of [`Gate::authorize_route`]: answered at once, or the store's wait, then the
/// check. Both are `Unpin`, and so is the future that holds them.
enum Checks<'f, P, C> {
    Done(Ready<Passed<P, C>>),
    Wait(Pin<Box<dyn Future<Output = Passed<P, C>> + Send + 'f>>),
}

/// The future [`Gate::authorize_route`] returns: the route's checks, made on the requirement
/// as data, and the `Granted<R>` made when they pass. Only this is generic over `R`.
struct Granting<'f, P: Policy, C, R> {
    checks: Checks<'f, P, C>,
    requirement: PhantomData<fn() -> R>,
}

impl<P: Policy, C, R: Requirement<Policy = P>> Future for Granting<'_, P, C, R> {
    type Output = Outcome<R, C>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let passed = match &mut self.checks {
            Checks::Done(ready) => Pin::new(ready).poll(cx),
            Checks::Wait(wait) => wait.as_mut().poll(cx),
        };
        passed.map(|passed| passed.map(|caller| (caller, Granted::new())))
    }
}

/// A path parameter reader that the checks call at most once, as a `dyn` so that one copy
/// of the checks serves every adapter's reader.
type ParamReader<'r, 'p> = &'r mut dyn FnMut(&str) -> Option<&'p str>;

/// `path_param`, callable through a [`ParamReader`].
fn reader<'p>(
    path_param: impl FnOnce(&str) -> Option<&'p str>,
) -> impl FnMut(&str) -> Option<&'p str> {
    let mut path_param = Some(path_param);
    move |name| path_param.take().and_then(|read| read(name))
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
    pub fn authorize_route<'f, 'p: 'f, R, C>(
        &'f self,
        caller: Authenticated<R::Policy, C>,
        path_param: impl FnOnce(&str) -> Option<&'p str>,
        route: &'f str,
    ) -> impl Future<Output = Outcome<R, C>> + 'f
    where
        R: Requirement,
        C: Claims + Send + Sync + 'f,
    {
        let need = Need::of::<R>();
        let mut path_param = reader(path_param);
        let checks = match self.check_route(caller, need, &mut path_param, route) {
            Checked::Done(result) => Checks::Done(std::future::ready(result)),
            // Boxed: the store's query future is large, and an adapter's guard holds this
            // future on every route.
            Checked::Wait(caller, store, tenant) => Checks::Wait(Box::pin(
                self.scope_and_authorize(caller, need, store, tenant, route),
            )),
        };
        Granting::<_, _, R> {
            checks,
            requirement: PhantomData,
        }
    }

    /// The end of [`authorize_route`](Self::authorize_route) when the store must ask its
    /// database: one copy for every requirement type of a policy (it is boxed, never inlined).
    async fn scope_and_authorize<P, C>(
        &self,
        caller: Authenticated<P, C>,
        need: Need<P>,
        store: &Arc<dyn ErasedAssignments<P>>,
        tenant: Option<&str>,
        route: &str,
    ) -> Passed<P, C>
    where
        P: Policy,
        C: Claims + Send + Sync,
    {
        let scoped = caller
            .scope_into(&**store, tenant)
            .await
            .map_err(|error| self.refuse(RefusalKind::from(error)))?;
        self.authorize_need(&scoped, need, route)?;
        Ok(scoped)
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
        let mut path_param = reader(path_param);
        match self.check_route(caller, Need::of::<R>(), &mut path_param, route) {
            Checked::Done(result) => {
                RouteCheck::Done(result.map(|caller| (caller, Granted::new())))
            }
            Checked::Wait(caller, ..) => RouteCheck::Wait(caller),
        }
    }

    /// The checks of a route up to the store's database: the answer, or the caller and its
    /// tenant (`None`: the credential's) when the store must be asked. Inlined: for a route
    /// in no tenant the need is a constant here; scoping to a tenant is out of line, in one
    /// copy for every requirement type of a policy.
    #[inline]
    fn check_route<'p, P, C>(
        &self,
        caller: Authenticated<P, C>,
        need: Need<P>,
        path_param: ParamReader<'_, 'p>,
        route: &str,
    ) -> Checked<'_, 'p, P, C>
    where
        P: Policy,
        C: Claims + Send + Sync,
    {
        let caller = match need.tenant {
            None => caller,
            Some(from) => match self.scope_to_tenant(caller, need.rule, from, path_param, route) {
                ControlFlow::Continue(scoped) => scoped,
                ControlFlow::Break(answered) => return answered,
            },
        };
        let granted = self.authorize_need(&caller, need, route);
        Checked::Done(granted.map(|()| caller))
    }

    /// The caller scoped to the route's tenant, for [`check_route`](Self::check_route); or
    /// its answer without the check (a refusal, or the store to wait for).
    fn scope_to_tenant<'p, P, C>(
        &self,
        caller: Authenticated<P, C>,
        rule: Rule,
        from: TenantFrom,
        path_param: ParamReader<'_, 'p>,
        route: &str,
    ) -> ControlFlow<Checked<'_, 'p, P, C>, Authenticated<P, C>>
    where
        P: Policy,
        C: Claims + Send + Sync,
    {
        let refused = |refusal| ControlFlow::Break(Checked::Done(Err(refusal)));
        // `None`: the tenant the credential names.
        let tenant = match from {
            TenantFrom::Path(name) => match path_param(name) {
                Some(tenant) => Some(tenant),
                None => return refused(self.misconfigured(rule, NO_PARAMETER, route)),
            },
            TenantFrom::Credential => None,
        };
        let scoped = match self.config.assignments.as_deref() {
            None => caller.in_credential_tenant(tenant),
            Some(_) => {
                let store = match self.store::<P>(rule, route) {
                    Ok(store) => store,
                    Err(refusal) => return refused(refusal),
                };
                match caller.scope_now(&**store, tenant) {
                    Scoping::Now(scoped) => scoped,
                    Scoping::Wait(caller) => {
                        return ControlFlow::Break(Checked::Wait(caller, store, tenant));
                    }
                }
            }
        };
        match scoped {
            Ok(scoped) => ControlFlow::Continue(scoped),
            Err(error) => refused(self.refuse(RefusalKind::from(error))),
        }
    }

    /// The gate's store of role assignments, for policy `P` (the route's rule is `rule`).
    fn store<P: Policy>(
        &self,
        rule: Rule,
        route: &str,
    ) -> Result<&Arc<dyn ErasedAssignments<P>>, Refusal> {
        self.config
            .assignments
            .as_deref()
            .and_then(|stored| stored.downcast_ref::<Arc<dyn ErasedAssignments<P>>>())
            .ok_or_else(|| self.misconfigured(rule, OTHER_POLICY, route))
    }

    fn misconfigured(&self, rule: Rule, what: &'static str, route: &str) -> Refusal {
        tracing::error!(target: audit::AUDIT_TARGET, route, rule = %rule, "{what}");
        self.refuse(RefusalKind::TenantNotConfigured(what))
    }
}
