//! The proofs a passed check makes: `Granted<R>` and `Owned<T>`, and what owns a resource.

#[allow(unused_imports)]
use super::*;

/// Proof that the caller met requirement `R`. Only a check that passed makes one:
/// [`Authenticated::require`], and the gate's route checks, which make the same check.
pub struct Granted<R> {
    _requirement: PhantomData<fn() -> R>,
}

impl<R: Requirement> Granted<R> {
    /// The proof of a check that passed: the callers are `Authenticated::require` and the
    /// gate's route checks, each right after the check of `R` (as a `Need`) said `Ok`.
    pub(crate) const fn new() -> Self {
        Self {
            _requirement: PhantomData,
        }
    }

    /// The requirement that was met.
    pub fn rule(&self) -> Rule {
        R::RULE
    }

    /// A proof of a requirement `W` that `R` implies: one of `R`'s permissions, a permission
    /// its role grants, or a combination of those. Checked by the type system: `cargo check`
    /// refuses a `W` that `R` does not imply, on the line that asks for it. `I` is inferred;
    /// name the target by the type of the result, or as `weaken::<W, _>()`. When `R` meets
    /// two alternatives of an `AnyOf` target, name the one to go through:
    /// `weaken::<W, path::Alt0<_>>()` (see [`Implies`](crate::requirement::Implies)).
    pub fn weaken<W, I>(&self) -> Granted<W>
    where
        W: Requirement<Policy = R::Policy>,
        R: Implies<W, I>,
    {
        Granted::new()
    }
}

impl<R> Clone for Granted<R> {
    fn clone(&self) -> Self {
        Self {
            _requirement: PhantomData,
        }
    }
}

impl<R: Requirement> fmt::Debug for Granted<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Granted({})", R::RULE)
    }
}

/// A resource with an owner, for owner checks against IDOR (broken object-level authorization).
///
/// When the validator trusts several issuers, a subject is unique only within its issuer
/// (`alice` of one identity provider is not `alice` of another), so the owner is the pair
/// (issuer, subject): implement [`owner_issuer`](HasOwner::owner_issuer) too. A resource that
/// does not name its owner's issuer is then owned by nobody (only the override passes): the
/// check fails closed rather than let a same-named subject of another issuer in.
pub trait HasOwner {
    /// The subject that owns the resource, compared with the caller's subject.
    fn owner(&self) -> &str;

    /// The issuer of the owner's identity, compared with the caller's issuer when given.
    /// Needed when the validator trusts several issuers; `None` (the default) otherwise.
    fn owner_issuer(&self) -> Option<&str> {
        None
    }

    /// The tenant the resource belongs to, when tenants share the service. An owner check
    /// then refuses a caller of another tenant (or of none) before looking at ownership or at
    /// the override permission. `None` (the default): a single-tenant resource.
    fn owner_tenant(&self) -> Option<&str> {
        None
    }
}

/// Proof that the caller owns the resource, or holds the permission that overrides ownership.
/// Only [`Authenticated::check_owner`] makes one. Dereferences to the resource.
pub struct Owned<T> {
    pub(super) resource: T,
}

impl<T> Owned<T> {
    /// The resource, giving up the proof.
    pub fn into_inner(self) -> T {
        self.resource
    }
}

impl<T> Deref for Owned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.resource
    }
}

impl<T: fmt::Debug> fmt::Debug for Owned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Owned").field(&self.resource).finish()
    }
}
