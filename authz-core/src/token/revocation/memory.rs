//! [`InMemoryRevocation`]: the revocation list of one process.

#[allow(unused_imports)]
use super::*;

/// A process-local revocation list: a `jti` deny-list, and "every token of subject S issued
/// before T", for S under any issuer or under one issuer (when a validator trusts several,
/// a subject is unique only within its issuer). Each entry is forgotten once the tokens it names would have expired anyway, so
/// the list does not grow without bound.
///
/// ```
/// use authz_core::{token::InMemoryRevocation, token::Revocation, token::RevocationQuery, token::RevocationStatus};
/// # tokio_test_block_on(async {
/// let revoked = InMemoryRevocation::new();
/// let now = std::time::SystemTime::now()
///     .duration_since(std::time::UNIX_EPOCH)
///     .unwrap()
///     .as_secs();
/// revoked.revoke_jti("token-1", now + 300);
/// revoked.revoke_subject("mallory", now, now + 3600);
///
/// let q = RevocationQuery::new(Some("token-1"), Some("alice"), Some(now - 10), now + 300);
/// assert_eq!(revoked.check(q).await.unwrap(), RevocationStatus::Revoked);
/// let q = RevocationQuery::new(Some("token-2"), Some("mallory"), Some(now - 10), now + 300);
/// assert_eq!(revoked.check(q).await.unwrap(), RevocationStatus::Revoked);
/// let q = RevocationQuery::new(Some("token-3"), Some("mallory"), Some(now + 5), now + 300);
/// assert_eq!(revoked.check(q).await.unwrap(), RevocationStatus::Active);
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
pub struct InMemoryRevocation {
    inner: Mutex<Lists>,
    grace: u64,
    now: fn() -> u64,
}

/// Cut-offs by issuer, then by subject or session.
type PerIssuer = HashMap<String, HashMap<String, (u64, u64)>>;

#[derive(Default)]
struct Lists {
    /// jti -> forget after (unix seconds).
    jtis: HashMap<String, u64>,
    /// sub -> (revoke tokens issued before, forget after), under every issuer.
    subjects: HashMap<String, (u64, u64)>,
    /// iss -> sub -> (revoke tokens issued before, forget after).
    issuer_subjects: PerIssuer,
    /// iss -> sid -> (revoke tokens issued before, forget after).
    issuer_sessions: PerIssuer,
    /// iss -> logout token's jti -> held while the clock is before this (unix seconds): the
    /// replay markers of back-channel logout, apart from the access tokens' `jtis`.
    logouts: HashMap<String, HashMap<String, u64>>,
    inserts: u64,
}

impl fmt::Debug for InMemoryRevocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (jtis, subjects, logouts) = self
            .inner
            .lock()
            .map(|l| (l.jtis.len(), l.subject_count(), l.logout_count()))
            .unwrap_or_default();
        f.debug_struct("InMemoryRevocation")
            .field("jtis", &jtis)
            .field("subjects", &subjects)
            .field("logouts", &logouts)
            .finish()
    }
}

impl Default for InMemoryRevocation {
    fn default() -> Self {
        Self::new()
    }
}

impl InMemoryRevocation {
    /// An empty list. Entries are kept 10 minutes past the expiry they were given: twice the
    /// largest leeway a validator allows (300 s), since a token covered by a subject entry can
    /// carry an `exp` up to one leeway past `until` (an issuer clock running ahead) and is
    /// accepted up to one more leeway past its `exp`.
    pub fn new() -> Self {
        Self {
            inner: Mutex::new(Lists::default()),
            grace: 2 * 300,
            now: crate::util::unix_now,
        }
    }

    /// Revokes the token with this `jti`, which expires at `exp` (unix seconds).
    pub fn revoke_jti(&self, jti: impl Into<String>, exp: u64) {
        let forget_after = exp.saturating_add(self.grace);
        self.with_lists(|l| {
            let slot = l.jtis.entry(jti.into()).or_insert(forget_after);
            *slot = (*slot).max(forget_after);
        });
    }

    /// Revokes every token of `sub` issued before `issued_before` (unix seconds). `until` is
    /// when the last such token expires (for example `issued_before` plus the issuer's token
    /// lifetime); the entry is forgotten after it. Tokens of `sub` without `iat` are refused
    /// while the entry lives, since they cannot show they are newer.
    ///
    /// This names `sub` under every issuer; see [`revoke_subject_of`](Self::revoke_subject_of)
    /// for one issuer's subject.
    pub fn revoke_subject(&self, sub: impl Into<String>, issued_before: u64, until: u64) {
        let forget_after = until.saturating_add(self.grace);
        self.with_lists(|l| {
            merge(l.subjects.entry(sub.into()), issued_before, forget_after);
        });
    }

    /// Revokes every token of subject `sub` of issuer `iss` issued before `issued_before`, as
    /// [`revoke_subject`](Self::revoke_subject) does, but not the same-named subject of
    /// another issuer.
    pub fn revoke_subject_of(
        &self,
        iss: impl Into<String>,
        sub: impl Into<String>,
        issued_before: u64,
        until: u64,
    ) {
        self.revoke_of_issuer(
            |l| &mut l.issuer_subjects,
            iss.into(),
            sub.into(),
            issued_before,
            until,
        );
    }

    /// Revokes the tokens of session `sid` of issuer `iss` issued before `issued_before` (all
    /// of them: `until`), the entry kept until `until` (the latest `exp` of those tokens):
    /// what a back-channel logout naming a session does.
    pub fn revoke_session(
        &self,
        iss: impl Into<String>,
        sid: impl Into<String>,
        issued_before: u64,
        until: u64,
    ) {
        self.revoke_of_issuer(
            |l| &mut l.issuer_sessions,
            iss.into(),
            sid.into(),
            issued_before,
            until,
        );
    }

    /// Records the replay marker of the back-channel logout token `jti` of issuer `iss`, held
    /// while the clock is before `until` (unix seconds: when the logout token is refused
    /// anyway), unless one is held already. Returns whether this call recorded it (`false`: the
    /// same logout token was recorded before). Markers are keyed by (issuer, `jti`), apart from
    /// the `jti` deny-list of access tokens ([`revoke_jti`](Self::revoke_jti)).
    pub fn record_logout(
        &self,
        iss: impl Into<String>,
        jti: impl Into<String>,
        until: u64,
    ) -> bool {
        let now = (self.now)();
        if until <= now {
            // The logout token is refused from now on: nothing to remember.
            return true;
        }
        self.with_lists(|l| {
            let held = l
                .logouts
                .entry(iss.into())
                .or_default()
                .entry(jti.into())
                .or_insert(0);
            let recorded = *held <= now;
            if recorded {
                *held = until;
            }
            recorded
        })
    }

    /// Whether the replay marker of the logout token `jti` of issuer `iss` is held (see
    /// [`record_logout`](Self::record_logout)).
    pub fn logout_received(&self, iss: &str, jti: &str) -> Result<bool, RevocationError> {
        let now = (self.now)();
        let lists = self
            .inner
            .lock()
            .map_err(|_| RevocationError::new("revocation list poisoned"))?;
        Ok(lists
            .logouts
            .get(iss)
            .and_then(|jtis| jtis.get(jti))
            .is_some_and(|until| *until > now))
    }

    /// Records a cut-off for `name` of issuer `iss` in the per-issuer map `map` selects
    /// (subjects or sessions).
    fn revoke_of_issuer(
        &self,
        map: fn(&mut Lists) -> &mut PerIssuer,
        iss: String,
        name: String,
        issued_before: u64,
        until: u64,
    ) {
        let forget_after = until.saturating_add(self.grace);
        self.with_lists(|l| {
            let names = map(l).entry(iss).or_default();
            merge(names.entry(name), issued_before, forget_after);
        });
    }

    /// How many entries are held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .map(|l| l.jtis.len() + l.subject_count() + l.logout_count())
            .unwrap_or(0)
    }

    /// `true` when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry whose tokens have all expired. Runs on its own every 64 inserts.
    pub fn purge_expired(&self) {
        let now = (self.now)();
        if let Ok(mut l) = self.inner.lock() {
            l.jtis.retain(|_, forget_after| *forget_after >= now);
            l.logouts.retain(|_, jtis| {
                jtis.retain(|_, until| *until > now);
                !jtis.is_empty()
            });
            l.subjects
                .retain(|_, (_, forget_after)| *forget_after >= now);
            let lists = &mut *l;
            for nested in [&mut lists.issuer_subjects, &mut lists.issuer_sessions] {
                nested.retain(|_, entries| {
                    entries.retain(|_, (_, forget_after)| *forget_after >= now);
                    !entries.is_empty()
                });
            }
        }
    }

    fn with_lists<R>(&self, f: impl FnOnce(&mut Lists) -> R) -> R {
        let (result, purge) = match self.inner.lock() {
            Ok(mut l) => {
                let result = f(&mut l);
                l.inserts += 1;
                (result, l.inserts % 64 == 0)
            }
            // A panic while holding the lock cannot leave the maps inconsistent (every update
            // is a single insert), so the data is still good.
            Err(poisoned) => (f(&mut poisoned.into_inner()), false),
        };
        if purge {
            self.purge_expired();
        }
        result
    }

    fn status(&self, q: &RevocationQuery<'_>) -> Result<RevocationStatus, RevocationError> {
        // The clock is read only when an entry names the token: a token no entry names (every
        // check but a refusal) reads no clock.
        let now = std::cell::OnceCell::new();
        let now = || *now.get_or_init(self.now);
        let lists = self
            .inner
            .lock()
            .map_err(|_| RevocationError::new("revocation list poisoned"))?;
        if let Some(jti) = q.jti
            && lists
                .jtis
                .get(jti)
                .is_some_and(|forget_after| *forget_after >= now())
        {
            return Ok(RevocationStatus::Revoked);
        }
        if let Some(sub) = q.sub {
            let of_issuer = q
                .iss
                .and_then(|iss| lists.issuer_subjects.get(iss))
                .and_then(|subjects| subjects.get(sub));
            let covers = |&(before, forget_after): &(u64, u64)| {
                forget_after >= now() && q.iat.is_none_or(|iat| iat < before)
            };
            if lists.subjects.get(sub).is_some_and(covers) || of_issuer.is_some_and(covers) {
                return Ok(RevocationStatus::Revoked);
            }
        }
        if let Some((iss, sid)) = q.iss.zip(q.sid)
            && lists
                .issuer_sessions
                .get(iss)
                .and_then(|sessions| sessions.get(sid))
                .is_some_and(|&(before, forget_after)| {
                    forget_after >= now() && q.iat.is_none_or(|iat| iat < before)
                })
        {
            return Ok(RevocationStatus::Revoked);
        }
        Ok(RevocationStatus::Active)
    }

    #[cfg(test)]
    fn with_clock(now: fn() -> u64) -> Self {
        Self { now, ..Self::new() }
    }
}

impl Lists {
    fn logout_count(&self) -> usize {
        self.logouts.values().map(HashMap::len).sum()
    }

    fn subject_count(&self) -> usize {
        self.subjects.len()
            + self
                .issuer_subjects
                .values()
                .chain(self.issuer_sessions.values())
                .map(HashMap::len)
                .sum::<usize>()
    }
}

/// Keeps the later cut-off and the later forget time of two revocations of one subject.
fn merge(
    entry: std::collections::hash_map::Entry<'_, String, (u64, u64)>,
    issued_before: u64,
    forget_after: u64,
) {
    let slot = entry.or_insert((issued_before, forget_after));
    slot.0 = slot.0.max(issued_before);
    slot.1 = slot.1.max(forget_after);
}

impl Revocation for InMemoryRevocation {
    fn check<'a>(
        &'a self,
        token: RevocationQuery<'a>,
    ) -> BoxFuture<'a, Result<RevocationStatus, RevocationError>> {
        let status = self.status(&token);
        Box::pin(core::future::ready(status))
    }

    fn check_now(
        &self,
        token: &RevocationQuery<'_>,
    ) -> Option<Result<RevocationStatus, RevocationError>> {
        Some(self.status(token))
    }
}
impl RevocationStore for InMemoryRevocation {
    fn revoke_jti<'a>(
        &'a self,
        jti: &'a str,
        exp: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        InMemoryRevocation::revoke_jti(self, jti, exp);
        Box::pin(core::future::ready(Ok(())))
    }

    fn revoke_subject_of<'a>(
        &'a self,
        iss: &'a str,
        sub: &'a str,
        issued_before: u64,
        until: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        InMemoryRevocation::revoke_subject_of(self, iss, sub, issued_before, until);
        Box::pin(core::future::ready(Ok(())))
    }

    fn revoke_session<'a>(
        &'a self,
        iss: &'a str,
        sid: &'a str,
        issued_before: u64,
        until: u64,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        InMemoryRevocation::revoke_session(self, iss, sid, issued_before, until);
        Box::pin(core::future::ready(Ok(())))
    }

    fn logout_received<'a>(
        &'a self,
        iss: &'a str,
        jti: &'a str,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        Box::pin(core::future::ready(InMemoryRevocation::logout_received(
            self, iss, jti,
        )))
    }

    fn record_logout<'a>(
        &'a self,
        iss: &'a str,
        jti: &'a str,
        until: u64,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        let recorded = InMemoryRevocation::record_logout(self, iss, jti, until);
        Box::pin(core::future::ready(Ok(recorded)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_10000() -> u64 {
        10_000
    }

    #[test]
    fn a_subject_of_one_issuer_is_not_the_same_subject_of_another() {
        let r = InMemoryRevocation::with_clock(at_10000);
        r.revoke_subject_of("https://a", "alice", 10_000, 11_000);
        let q =
            |iss| RevocationQuery::new(None, Some("alice"), Some(9_000), 10_500).with_issuer(iss);
        assert_eq!(
            r.status(&q("https://a")).unwrap(),
            RevocationStatus::Revoked
        );
        assert_eq!(r.status(&q("https://b")).unwrap(), RevocationStatus::Active);
        let no_issuer = RevocationQuery::new(None, Some("alice"), Some(9_000), 10_500);
        assert_eq!(r.status(&no_issuer).unwrap(), RevocationStatus::Active);
        // Revoking the subject under every issuer reaches both.
        r.revoke_subject("alice", 10_000, 11_000);
        assert_eq!(
            r.status(&q("https://b")).unwrap(),
            RevocationStatus::Revoked
        );
        assert_eq!(r.len(), 2);
        r.purge_expired();
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn logout_markers_are_per_issuer_apart_from_jtis_and_expire_with_their_window() {
        let r = InMemoryRevocation::with_clock(at_10000);
        assert!(r.record_logout("https://a", "at-1", 10_100));
        // Held: a second record (a concurrent receipt) is told so.
        assert!(!r.record_logout("https://a", "at-1", 10_200));
        assert!(r.logout_received("https://a", "at-1").unwrap());
        // Another issuer's token with the same jti is another marker.
        assert!(!r.logout_received("https://b", "at-1").unwrap());
        assert!(r.record_logout("https://b", "at-1", 10_100));
        // No access token's jti is revoked by a marker.
        let q = RevocationQuery::new(Some("at-1"), None, None, 10_500).with_issuer("https://a");
        assert_eq!(r.status(&q).unwrap(), RevocationStatus::Active);
        // A window already over records nothing.
        assert!(r.record_logout("https://a", "gone", 10_000));
        assert!(!r.logout_received("https://a", "gone").unwrap());
        assert_eq!(r.len(), 2);

        let later = InMemoryRevocation::with_clock(|| 10_100);
        later.record_logout("https://a", "at-1", 10_100 + 1);
        later.record_logout("https://a", "at-2", 10_100);
        assert!(!later.logout_received("https://a", "at-2").unwrap());
        later.purge_expired();
        assert_eq!(later.len(), 1);
    }

    #[test]
    fn the_clock_is_read_only_for_a_token_an_entry_names_and_an_expired_entry_revokes_nothing() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static READS: AtomicUsize = AtomicUsize::new(0);
        fn counted() -> u64 {
            READS.fetch_add(1, Ordering::SeqCst);
            10_000
        }
        let r = InMemoryRevocation::with_clock(counted);
        r.revoke_jti("stale", 10_000 - 601); // past its grace, not yet purged
        r.revoke_jti("live", 10_100);
        r.revoke_subject("s", 9_990, 10_000 - 601);
        let reads = READS.load(Ordering::SeqCst);
        let q = |jti, sub| RevocationQuery::new(jti, sub, Some(9_000), 10_500);

        // Every check of a token no entry names: no clock.
        let active = r.status(&q(Some("other"), Some("bob"))).unwrap();
        assert_eq!(active, RevocationStatus::Active);
        assert_eq!(READS.load(Ordering::SeqCst), reads, "the clock was read");

        // An entry that names the token is weighed against the clock.
        assert_eq!(
            r.status(&q(Some("live"), None)).unwrap(),
            RevocationStatus::Revoked
        );
        assert_eq!(
            r.status(&q(Some("stale"), None)).unwrap(),
            RevocationStatus::Active
        );
        assert_eq!(
            r.status(&q(None, Some("s"))).unwrap(),
            RevocationStatus::Active
        );
        assert!(READS.load(Ordering::SeqCst) > reads);
    }

    #[test]
    fn entries_are_forgotten_after_expiry() {
        let r = InMemoryRevocation::with_clock(at_10000);
        r.revoke_jti("old", 10_000 - 601); // expired beyond the grace
        r.revoke_jti("live", 10_100);
        r.revoke_subject("gone", 5_000, 9_000);
        r.revoke_subject("s", 9_990, 11_000);
        assert_eq!(r.len(), 4);
        r.purge_expired();
        assert_eq!(r.len(), 2);
        let q = |jti, sub, iat| RevocationQuery::new(jti, sub, iat, 10_500);
        assert_eq!(
            r.status(&q(Some("live"), None, None)).unwrap(),
            RevocationStatus::Revoked
        );
        assert_eq!(
            r.status(&q(Some("old"), None, None)).unwrap(),
            RevocationStatus::Active
        );
        assert_eq!(
            r.status(&q(None, Some("s"), Some(9_989))).unwrap(),
            RevocationStatus::Revoked
        );
        assert_eq!(
            r.status(&q(None, Some("s"), Some(9_990))).unwrap(),
            RevocationStatus::Active
        );
        assert_eq!(
            r.status(&q(None, Some("s"), None)).unwrap(),
            RevocationStatus::Revoked
        );
        assert_eq!(
            r.status(&q(None, Some("gone"), Some(1))).unwrap(),
            RevocationStatus::Active
        );
    }
}
