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
//!   with garbage. It holds at most `max_entries` entries: the map takes about 150 to 220
//!   bytes per entry (see "Eviction" below), plus, for `validate_shared`, the validated token
//!   (the claims read from a payload of at most the validator's maximum token length, 8 KiB
//!   by default).
//!
//! What the cache gives up: a token forged by someone holding a *compromised* key that was
//! later removed cannot hit (the key check), but one verified under a key still published keeps
//! hitting until its `exp`, exactly as it would keep verifying without the cache.
//!
//! # Eviction
//!
//! Anyone who can obtain valid tokens can send a flood of unique ones, each a miss that
//! inserts into a full cache, so an insert must cost the same whatever the cache holds (the
//! map this replaced scanned every entry on each insert into a full cache). The map is a
//! [`quick_cache`] cache: sharded, each shard behind its own lock, evicting in O(1) amortised
//! with an S3-FIFO / CLOCK-Pro style policy. A new token enters a probationary queue (a tenth
//! of the capacity) and moves to the main queue only if it is hit again before it reaches the
//! head; a token evicted from probation is remembered (its hash only) for as many evictions
//! as the cache has entries, and is admitted straight to the main queue when it comes back.
//! The main queue evicts, CLOCK fashion, the entries not hit since the hand last passed. So a
//! flood of tokens that are never repeated churns the probationary queue and leaves the tokens
//! in use alone. `benches/cache.rs` measures a miss into a full cache at 1,000, 10,000 and
//! 100,000 entries; `docs/performance.md` has the figures.
//!
//! Expired entries: [`get`](VerifiedCache::get), and so [`hit`](VerifiedCache::hit), never
//! returns one and removes it, and a token is not inserted once expired. One that is never
//! looked up again is never marked as used again either, so live tokens in use displace it:
//! they come back within the remembered window and enter the main queue, whose hand evicts
//! the unused entries. There is no timer and no sweep; the bound on the number of entries holds
//! regardless. (This needs the remembered window as large as the cache: with quick_cache's
//! defaults, a full cache of tokens that had been in use and then expired kept them while as
//! many live tokens cycled through probation and all missed; see the tests.)
//!
//! The bound: the capacity is split evenly across the shards (a power of two, up to four per
//! core and 64, fewer for a small cache so that each has at least 32 entries), a shard never
//! holds more than its share, and the shares add up to at most `max_entries`, rounded down to
//! a multiple of the shard count (fewer than 64 entries lost). The map's memory,
//! without the validated tokens, measured 150 to 220 bytes per entry at 40, 1,000 and 100,000
//! entries: an entry's slot (about 100 bytes), the remembered hashes, which take a slot of the same size,
//! and the tables' power-of-two growth. A key is a SHA-256 digest: the map hashes it with a
//! folded multiply keyed by 256 random bits per process ([`DigestKeys`], the Redis mirror's
//! hasher too), so the shard and bucket of a digest cannot be predicted, for about a tenth of
//! what SipHash costs a lookup.

use std::any::Any;
use std::num::NonZero;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use quick_cache::sync::Cache;

use crate::util::DigestKeys;
use sha2::{Digest, Sha256};

/// SHA-256 of a token or of key material.
pub(crate) type Digest32 = [u8; 32];

/// A validated token kept by an entry, of the claims type it was validated into.
pub(crate) type Shared = Arc<dyn Any + Send + Sync>;

/// Fewest entries a shard is given: a small cache has fewer shards, so that rounding its
/// capacity down to a multiple of the shard count loses little, and each shard's eviction
/// order still ranks a meaningful number of entries.
const MIN_SHARD_ENTRIES: usize = 32;

/// Most shards: enough to keep lock contention negligible on any machine this runs on.
const MAX_SHARDS: usize = 64;

/// Share of a shard's capacity for the main queue; the rest (10%) is the probationary queue
/// new tokens enter. The S3-FIFO paper's split; quick_cache's default is 97%.
const MAIN_SHARE: f64 = 0.9;

/// Evicted keys remembered (their hashes), as a share of the capacity. quick_cache's default
/// is half. With the whole capacity, a live token evicted from probation is still remembered
/// when it comes back, as long as the tokens in use would fit in the cache, so it is admitted
/// to the main queue and displaces the entries nobody uses any more, expired ones included.
/// With the defaults, a cache full of tokens that were in use and then expired kept them
/// forever while as many live tokens cycled through probation, all missing (see
/// `expired_entries_give_way_to_live_ones`).
const REMEMBERED_SHARE: f64 = 1.0;

#[derive(Clone)]
struct Entry {
    key: Digest32,
    exp: u64,
    value: Option<Shared>,
}

pub(crate) struct VerifiedCache {
    entries: Cache<Digest32, Entry, quick_cache::UnitWeighter, DigestKeys>,
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
        let parallelism = std::thread::available_parallelism().map_or(1, NonZero::get);
        let (shards, capacity) = Self::layout(max_entries, parallelism);
        // Unit weights: the weight capacity is the number of entries.
        let options = quick_cache::OptionsBuilder::new()
            .shards(shards)
            .estimated_items_capacity(capacity)
            .weight_capacity(capacity as u64)
            .hot_allocation(MAIN_SHARE)
            .ghost_allocation(REMEMBERED_SHARE)
            .build();
        let entries = match options {
            Ok(options) => Cache::with_options(
                options,
                quick_cache::UnitWeighter,
                DigestKeys::default(),
                quick_cache::sync::DefaultLifecycle::default(),
            ),
            // Unreachable: `build` fails only when a capacity is left unset. Fails safe, with
            // a cache that keeps nothing.
            Err(_) => Cache::with(
                0,
                0,
                quick_cache::UnitWeighter,
                DigestKeys::default(),
                quick_cache::sync::DefaultLifecycle::default(),
            ),
        };
        Self {
            entries,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The shard count (a power of two, at most four per core and [`MAX_SHARDS`], each shard
    /// given at least [`MIN_SHARD_ENTRIES`] unless there is only one) and the total capacity:
    /// `max_entries` rounded down to a multiple of the shard count, so that the equal shares
    /// of the shards add up to at most `max_entries`.
    fn layout(max_entries: usize, parallelism: usize) -> (usize, usize) {
        let mut shards = parallelism
            .saturating_mul(4)
            .min(MAX_SHARDS)
            .next_power_of_two();
        while shards > 1 && max_entries / shards < MIN_SHARD_ENTRIES {
            shards /= 2;
        }
        (shards, max_entries / shards * shards)
    }

    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.entries.len(),
        }
    }

    /// The key of a token's entry: SHA-256 of its whole text. Entries keep this digest, never
    /// the token, so that the cache's memory holds no bearer token.
    pub(crate) fn token_digest(token: &[u8]) -> Digest32 {
        Sha256::digest(token).into()
    }

    /// The entry for `token`, if it has not expired: the digest of the key that verified it,
    /// and the validated token it keeps, if any. An expired entry is removed. Counts nothing
    /// (see [`count`](Self::count)).
    pub(crate) fn get(&self, token: &Digest32, now: u64) -> Option<(Digest32, Option<Shared>)> {
        let entry = self.entries.get(token)?;
        if now < entry.exp {
            return Some((entry.key, entry.value));
        }
        // Only if it is still the expired entry: another thread may have put a fresh one.
        self.entries.remove_if(token, |entry| now >= entry.exp);
        None
    }

    /// Forgets `token`.
    pub(crate) fn remove(&self, token: &Digest32) {
        self.entries.remove(token);
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
                // Only an entry under another key: not one just filled under this one.
                self.entries.remove_if(token, |entry| entry.key != *key);
                false
            }
            None => false,
        };
        self.count(hit);
        hit
    }

    /// Remembers that `token` verified under `key`, until `exp`, with the validated token when
    /// the caller shares it; nothing if it has expired by `now` (a token within the leeway).
    /// Evicts in O(1) amortised when the cache is full (see the module docs).
    pub(crate) fn insert(
        &self,
        token: Digest32,
        key: Digest32,
        exp: u64,
        now: u64,
        value: Option<Shared>,
    ) {
        if now >= exp {
            // It could never hit.
            return;
        }
        self.entries.insert(token, Entry { key, exp, value });
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    fn holds(&self, token: &Digest32) -> bool {
        self.entries.contains_key(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token digest for test number `i`, spread like a SHA-256 output.
    fn token(i: u64) -> Digest32 {
        let mut hasher = Sha256::new();
        hasher.update(i.to_le_bytes());
        hasher.finalize().into()
    }

    #[test]
    fn digests_spread_evenly_under_the_keyed_hash() {
        use std::hash::BuildHasher as _;
        let keys = DigestKeys::default();
        assert_ne!(
            keys.hash_one(token(1)),
            DigestKeys([3, 5, 7, 9]).hash_one(token(1)),
            "keyed"
        );
        // quick_cache takes shards from one end of the hash and buckets from the other: both
        // ends spread 8,192 digests over 64 slots evenly (128 each on average, 11 the standard
        // deviation).
        for bits in [|h: u64| h & 63, |h: u64| h >> 58] {
            let mut slots = [0_u32; 64];
            for i in 0..8192 {
                slots[bits(keys.hash_one(token(i))) as usize] += 1;
            }
            assert!(slots.iter().all(|n| (60..=200).contains(n)), "{slots:?}");
        }
    }

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
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.entries), (1, 4, 0));
    }

    #[test]
    fn an_expired_entry_is_never_returned_and_is_removed() {
        let cache = VerifiedCache::new(100);
        let value: Shared = Arc::new(5u32);
        cache.insert(token(1), [7; 32], 50, 10, Some(value));
        let (key, kept) = cache.get(&token(1), 49).unwrap();
        assert_eq!(key, [7; 32]);
        assert_eq!(kept.unwrap().downcast_ref::<u32>(), Some(&5));
        assert!(cache.get(&token(1), 50).is_none(), "at exp");
        assert!(!cache.holds(&token(1)), "removed on the lookup");
        cache.insert(token(2), [7; 32], 50, 50, None);
        assert_eq!(cache.len(), 0, "an expired token is not inserted");
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
    fn size_is_bounded_across_shards_and_the_cache_fills() {
        for max in [1, 2, 31, 100, 1_000, 4_099] {
            let cache = VerifiedCache::new(max);
            for i in 0..(max as u64 * 5) {
                cache.insert(token(i), [0; 32], 1000, 0, None);
                assert!(cache.len() <= max, "{max}: {} after {i}", cache.len());
                assert!(cache.hit(&token(i), &[0; 32], 1), "{max}: the newest, {i}");
            }
            let capacity = cache.entries.capacity() as usize;
            let shards = cache.entries.num_shards();
            assert!(
                capacity <= max && capacity + shards > max,
                "{max}: {capacity}"
            );
            assert!(
                cache.stats().entries >= capacity * 9 / 10,
                "{max}: {:?} of {capacity}",
                cache.stats()
            );
        }
    }

    #[test]
    fn the_layout_keeps_shards_large_enough_and_within_the_bound() {
        assert_eq!(VerifiedCache::layout(3, 2), (1, 3));
        assert_eq!(VerifiedCache::layout(100, 2), (2, 100));
        assert_eq!(VerifiedCache::layout(1_000, 2), (8, 1_000));
        assert_eq!(VerifiedCache::layout(1_001, 2), (8, 1_000));
        assert_eq!(VerifiedCache::layout(100_000, 1), (4, 100_000));
        assert_eq!(VerifiedCache::layout(100_000, 1_000), (MAX_SHARDS, 99_968));
        assert_eq!(VerifiedCache::layout(0, 8), (1, 0));
        for max in 0..2_000 {
            for parallelism in [1, 2, 3, 16, 512] {
                let (shards, capacity) = VerifiedCache::layout(max, parallelism);
                assert!(shards.is_power_of_two() && shards <= MAX_SHARDS);
                assert!(shards == 1 || capacity / shards >= MIN_SHARD_ENTRIES);
                assert!(capacity <= max && capacity % shards == 0);
            }
        }
    }

    #[test]
    fn a_flood_of_unique_tokens_does_not_evict_the_tokens_in_use() {
        let cache = VerifiedCache::new(1_000);
        let in_use: Vec<Digest32> = (0..100).map(|i| token(1 << 40 | i)).collect();
        for t in &in_use {
            cache.insert(*t, [1; 32], 1000, 0, None);
        }
        for i in 0..100_000 {
            cache.insert(token(i), [1; 32], 1000, 0, None);
            if i % 500 == 0 {
                for t in &in_use {
                    assert!(cache.hit(t, &[1; 32], 1), "evicted by flood token {i}");
                }
            }
        }
        assert!(cache.len() <= 1_000);
    }

    #[test]
    fn expired_entries_give_way_to_live_ones() {
        // One shard: the eviction order is the same on every machine.
        let cache = VerifiedCache::new(40);
        assert_eq!(cache.entries.num_shards(), 1);
        // A full cache of tokens that were in use, then expired at 100.
        for i in 0..40 {
            cache.insert(token(i), [1; 32], 100, 0, None);
            assert!(cache.hit(&token(i), &[1; 32], 1));
        }
        assert_eq!(cache.len(), 40);
        // As many live tokens arrive and are used; the expired ones are never looked up again.
        let live: Vec<Digest32> = (0..40).map(|i| token(1 << 40 | i)).collect();
        for _ in 0..3 {
            for t in &live {
                if !cache.hit(t, &[1; 32], 200) {
                    cache.insert(*t, [1; 32], 1000, 200, None);
                }
            }
        }
        let expired_held = (0..40).filter(|&i| cache.holds(&token(i))).count();
        let live_held = live.iter().filter(|t| cache.holds(t)).count();
        assert_eq!((expired_held, live_held), (0, 40));
    }

    #[test]
    fn digest_covers_the_whole_token() {
        let a = VerifiedCache::token_digest(b"h.p.sig");
        assert_ne!(a, VerifiedCache::token_digest(b"h.p.sih"));
        assert_ne!(a, VerifiedCache::token_digest(b"h.q.sig"));
        assert_ne!(a, VerifiedCache::token_digest(b"h.p.si"));
        assert_eq!(a, VerifiedCache::token_digest(b"h.p.sig"));
    }
}
