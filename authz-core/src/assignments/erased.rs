//! A store of any type behind one pointer, so that a [`Gate`](crate::Gate), which names no
//! policy and no store type, can hold one for the routes declared in a tenant.

use std::pin::Pin;

use super::{Assignments, Member, Membership, Unavailable};
use crate::policy::Policy;

type Answer<P> = Result<Option<Membership<P>>, Unavailable>;

/// [`Assignments`] as an object: the answer now when the store has it (no allocation), a
/// boxed wait otherwise (the store is asking its database, which costs far more).
pub(crate) trait ErasedAssignments<P>: Send + Sync {
    fn now(&self, member: Member<'_>) -> Option<Answer<P>>;
    fn later<'a>(
        &'a self,
        member: Member<'a>,
    ) -> Pin<Box<dyn Future<Output = Answer<P>> + Send + 'a>>;
}

impl<P: Policy, A: Assignments<P>> ErasedAssignments<P> for A {
    fn now(&self, member: Member<'_>) -> Option<Answer<P>> {
        self.membership_now(member)
    }

    fn later<'a>(
        &'a self,
        member: Member<'a>,
    ) -> Pin<Box<dyn Future<Output = Answer<P>> + Send + 'a>> {
        Box::pin(self.membership(member))
    }
}

impl<P: Policy> Assignments<P> for dyn ErasedAssignments<P> + '_ {
    async fn membership(&self, member: Member<'_>) -> Answer<P> {
        match self.now(member) {
            Some(answer) => answer,
            None => self.later(member).await,
        }
    }

    fn membership_now(&self, member: Member<'_>) -> Option<Answer<P>> {
        self.now(member)
    }
}
