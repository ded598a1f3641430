//! The verified-token cache (opt-in, [`ValidatorBuilder::cache`](super::ValidatorBuilder::cache)):
//! remembers that the exact bytes of a token verified under a given key, so a repeated token
//! skips the signature check, and nothing else.
//!
//! The security trade-off, and why it holds:
//! - Entries are keyed by SHA-256 of the whole token text, signature included: only the very
//!   bytes that verified before can hit. (ECDSA signatures are malleable, so the same claims may
//!   arrive with another signature; that is another entry, verified on its own.)
//! - An entry records the SHA-256 of the key material that verified it. A hit requires the key
//!   the token selects now (by `kid` and `alg`, from the current key set) to be that same key;
//!   a key removed from the JWKS or replaced under the same `kid` evicts the entry.
//! - The checks that depend on the clock (`exp`, `nbf`, `iat`, maximum age and lifetime) and
//!   the revocation hook run on every hit, as on a miss. An entry never outlives its token's
//!   `exp`. Through [`Validator::validate`](super::Validator::validate) every other claim
//!   check runs again too. Through [`Validator::validate_shared`](super::Validator::validate_shared)
//!   (what the `Gate` uses) the entry holds the validated token, so the issuer, audience,
//!   `typ`, algorithm and required-claim checks, which are fixed per validator and passed
//!   by these very bytes, are not repeated, and nothing is parsed.
//! - Only tokens that passed every check are inserted, so an attacker cannot fill the cache
//!   with garbage. It holds at most `max_entries` entries: each is about 100 bytes with the
//!   map's overhead, plus, for `validate_shared`, the validated token (the claims read from a
//!   payload of at most the validator's maximum token length, 8 KiB by default).
//!
//! What the cache gives up: a token forged by someone holding a *compromised* key that was
//! later removed cannot hit (the key check), but one verified under a key still published keeps
//! hitting until its `exp`, exactly as it would keep verifying without the cache.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// SHA-256 of a token or of key material.
pub(crate) type Digest32 = [u8; 32];

/// A validated token kept by an entry, of the claims type it was validated into.
pub(crate) type Shared = Arc<dyn Any + Send + Sync>;

struct Entry {
    key: Digest32,
    exp: u64,
    value: Option<Shared>,
}

pub(crate) struct VerifiedCache {
    entries: Mutex<HashMap<Digest32, Entry>>,
    max_entries: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Counters of the verified-token cache, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Validations that skipped the signature check.
    pub hits: u64,
    /// Validations that verified the signature (and may have filled the cache).
    pub misses: u64,
    /// Entries held now.
    pub entries: usize,
}

impl VerifiedCache {
    pub(crate) fn new(max_entries: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::with_capacity(max_entries.min(4096))),
            max_entries,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.lock().len(),
        }
    }

    pub(crate) fn token_digest(signing_input: &str, signature: &str) -> Digest32 {
        let mut hasher = Sha256::new();
        hasher.update(signing_input.as_bytes());
        hasher.update(b".");
        hasher.update(signature.as_bytes());
        hasher.finalize().into()
    }

    /// The entry for `token`, if it has not expired: the digest of the key that verified it,
    /// and the validated token it keeps, if any. An expired entry is removed. Counts nothing
    /// (see [`count`](Self::count)).
    pub(crate) fn get(&self, token: &Digest32, now: u64) -> Option<(Digest32, Option<Shared>)> {
        let mut entries = self.lock();
        match entries.get(token) {
            Some(entry) if now < entry.exp => Some((entry.key, entry.value.clone())),
            Some(_) => {
                entries.remove(token);
                None
            }
            None => None,
        }
    }

    /// Forgets `token`.
    pub(crate) fn remove(&self, token: &Digest32) {
        self.lock().remove(token);
    }

    /// Counts a hit or a miss of a [`get`](Self::get).
    pub(crate) fn count(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether `token` verified before under the key whose material hashes to `key`, and has
    /// not expired (`now` against its `exp`, without leeway: the claim checks apply leeway).
    /// An entry under another key is removed.
    pub(crate) fn hit(&self, token: &Digest32, key: &Digest32, now: u64) -> bool {
        let hit = match self.get(token, now) {
            Some((verified_by, _)) if verified_by == *key => true,
            Some(_) => {
                self.remove(token);
                false
            }
            None => false,
        };
        self.count(hit);
        hit
    }

    /// Remembers that `token` verified under `key`, until `exp`, with the validated token when
    /// the caller shares it.
    pub(crate) fn insert(
        &self,
        token: Digest32,
        key: Digest32,
        exp: u64,
        now: u64,
        value: Option<Shared>,
    ) {
        let mut entries = self.lock();
        if entries.len() >= self.max_entries && !entries.contains_key(&token) {
            entries.retain(|_, entry| now < entry.exp);
            if entries.len() >= self.max_entries {
                // Still full of live entries: drop an arbitrary one. Which one does not matter
                // for safety, only for the hit rate.
                if let Some(victim) = entries.keys().next().copied() {
                    entries.remove(&victim);
                }
            }
        }
        entries.insert(token, Entry { key, exp, value });
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Digest32, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_need_the_same_key_and_a_live_token() {
        let cache = VerifiedCache::new(2);
        let (t1, k1, k2) = ([1; 32], [7; 32], [8; 32]);
        assert!(!cache.hit(&t1, &k1, 0));
        cache.insert(t1, k1, 100, 0, None);
        assert!(cache.hit(&t1, &k1, 99));
        assert!(!cache.hit(&t1, &k2, 99), "another key under the same kid");
        assert!(!cache.hit(&t1, &k1, 99), "the mismatch evicted the entry");
        cache.insert(t1, k1, 100, 0, None);
        assert!(!cache.hit(&t1, &k1, 100), "expired");
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn size_is_bounded() {
        let cache = VerifiedCache::new(3);
        for i in 0..10u8 {
            cache.insert([i; 32], [0; 32], 1000, 0, None);
            assert!(cache.len() <= 3);
        }
        assert!(cache.hit(&[9; 32], &[0; 32], 1), "the newest entry is kept");
    }

    #[test]
    fn digest_covers_the_whole_token() {
        let a = VerifiedCache::token_digest("h.p", "sig");
        assert_ne!(a, VerifiedCache::token_digest("h.p", "sih"));
        assert_ne!(a, VerifiedCache::token_digest("h.q", "sig"));
        assert_eq!(a, VerifiedCache::token_digest("h.p", "sig"));
    }
}
