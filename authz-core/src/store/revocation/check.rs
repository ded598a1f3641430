//! The check side of [`RedisRevocation`]: which entries could revoke a token, read from the
//! pushed copy in memory when it answers, else from Redis (or the opt-in cache) in one `MGET`.

use std::borrow::Cow;

use super::RedisRevocation;
use crate::store::RedisError;
use crate::store::keys::{Entry, KINDS, slot_key};
use crate::store::mirror::Slot;
use crate::token::revocation::{
    BoxFuture, Revocation, RevocationError, RevocationQuery, RevocationStatus,
};

impl RedisRevocation {
    async fn status(&self, q: &RevocationQuery<'_>) -> Result<RevocationStatus, RevocationError> {
        let slots = Self::slots_of(q);
        if slots.iter().all(Option::is_none) {
            return Ok(RevocationStatus::Active);
        }
        self.start_mirror();
        let values = match self.inner.mirror.get(&slots) {
            Some(values) => values,
            None => self.ask(&slots).await?,
        };
        Ok(Self::decide(q, values))
    }

    /// [`status`](Self::status) when it needs no round trip: no entry could apply, or the
    /// mirror answers.
    fn status_now(&self, q: &RevocationQuery<'_>) -> Option<RevocationStatus> {
        let slots = Self::slots_of(q);
        if slots.iter().all(Option::is_none) {
            return Some(RevocationStatus::Active);
        }
        self.start_mirror();
        let values = self.inner.mirror.get(&slots)?;
        Some(Self::decide(q, values))
    }

    /// [`slots`](Self::slots), derived once per token the verified-token cache keeps (four
    /// SHA-256 digests a request otherwise).
    fn slots_of<'q>(q: &RevocationQuery<'q>) -> Cow<'q, [Option<Slot>; 4]> {
        match q
            .memo()
            .and_then(|memo| memo.get_or_init(|| Self::slots(q)))
        {
            Some(kept) => Cow::Borrowed(kept),
            None => Cow::Owned(Self::slots(q)),
        }
    }

    /// The slots of the entries a token could have, in the order of KINDS.
    fn slots(q: &RevocationQuery<'_>) -> [Option<Slot>; 4] {
        let entries = [
            q.jti.map(Entry::Jti),
            q.sub.map(Entry::Subject),
            q.iss
                .zip(q.sub)
                .map(|(iss, sub)| Entry::IssuerSubject(iss, sub)),
            q.iss.zip(q.sid).map(|(iss, sid)| Entry::Session(iss, sid)),
        ];
        entries.map(|entry| entry.and_then(Entry::slot))
    }

    /// Whether the entries' values revoke the token.
    fn decide(q: &RevocationQuery<'_>, values: [Option<u64>; 4]) -> RevocationStatus {
        let [jti, sub, issuer_sub, session] = values;
        let covers = |issued_before: u64| q.iat.is_none_or(|iat| iat < issued_before);
        if jti.is_some()
            || sub.is_some_and(covers)
            || issuer_sub.is_some_and(covers)
            || session.is_some_and(covers)
        {
            return RevocationStatus::Revoked;
        }
        RevocationStatus::Active
    }

    /// The values of the entries `slots` name, from the opt-in cache or one `MGET`.
    async fn ask(&self, slots: &[Option<Slot>; 4]) -> Result<[Option<u64>; 4], RevocationError> {
        let keys: [Option<String>; 4] =
            slots.map(|slot| slot.map(|slot| slot_key(&self.inner.prefix, KINDS, &slot)));
        let present: Vec<&str> = keys.iter().flatten().map(String::as_str).collect();
        let cached = self.inner.cache.as_ref().and_then(|c| c.get(&present));
        let answered = match cached {
            Some(values) => values,
            None => {
                let mut cmd = redis::cmd("MGET");
                cmd.arg(&present);
                let values: Vec<Option<u64>> = self.query(&cmd).await?;
                if values.len() != present.len() {
                    return Err(RevocationError::new(RedisError::Unexpected(
                        "MGET with a wrong count",
                    )));
                }
                if let Some(cache) = &self.inner.cache {
                    cache.put(&present, &values);
                }
                values
            }
        };
        // The values come in the order of the present keys.
        let mut answered = answered.into_iter();
        Ok(keys.map(|key| key.and_then(|_| answered.next().flatten())))
    }
}

impl Revocation for RedisRevocation {
    fn check<'a>(
        &'a self,
        token: RevocationQuery<'a>,
    ) -> BoxFuture<'a, Result<RevocationStatus, RevocationError>> {
        Box::pin(async move {
            match self.status(&token).await {
                Ok(status) => {
                    self.inner.recovered();
                    Ok(status)
                }
                Err(e) => {
                    self.inner.failed(&e);
                    if self.inner.fail_open {
                        Ok(RevocationStatus::Active)
                    } else {
                        Err(e)
                    }
                }
            }
        })
    }

    fn check_now(
        &self,
        token: &RevocationQuery<'_>,
    ) -> Option<Result<RevocationStatus, RevocationError>> {
        let status = self.status_now(token)?;
        self.inner.recovered();
        Some(Ok(status))
    }
}
