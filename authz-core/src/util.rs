//! Small helpers the rest of the crate shares, written once.

#[cfg(any(feature = "jwt", feature = "redis"))]
use std::hash::{BuildHasher, Hasher, RandomState};
#[cfg(any(feature = "jwt", feature = "redis"))]
use std::sync::OnceLock;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
#[cfg(feature = "jwt")]
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (0 if the clock is before it).
#[cfg(feature = "jwt")]
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `value` cut to at most `max` bytes at a character boundary: for log lines and messages
/// that hold untrusted input, which must stay bounded.
pub(crate) fn truncate(value: &str, max: usize) -> &str {
    let mut end = value.len().min(max);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

/// Appends `bytes` in lowercase hex: the one hex encoder of the crate (Redis key names, the
/// push channel's nonces, API key ids and hashes). Two digits a byte, from a table: a
/// `write!` per byte cost more than the SHA-256 it encodes.
#[cfg(any(feature = "redis", feature = "api-keys"))]
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
}

/// `bytes` in lowercase hex (see [`push_hex`]).
#[cfg(feature = "api-keys")]
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::new();
    push_hex(&mut out, bytes);
    out
}

#[cfg_attr(not(feature = "redis"), allow(dead_code))]
/// Locks `mutex`, also after a panic elsewhere poisoned it: every value kept behind these
/// locks is valid after any single write, so a poisoned lock holds nothing half-done.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Reads `lock`, as [`lock`] does.
#[cfg_attr(not(any(feature = "api-keys", feature = "remote")), allow(dead_code))]
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Writes `lock`, as [`lock`] does.
#[cfg_attr(not(any(feature = "api-keys", feature = "remote")), allow(dead_code))]
pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Shows an error and each of its sources, `: ` between them. An error shows only its own
/// layer and exposes the cause as its `source` (thiserror's convention, kept crate-wide), so a
/// log line that should say everything shows the chain. Public as
/// [`audit::ErrorChain`](crate::audit::ErrorChain).
#[derive(Debug)]
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(error) = source {
            write!(f, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
}

/// `new`, `get_ref` and `into_inner` for an error type that keeps another error boxed, as
/// `std::io::Error` does (`RevocationError`, `StoreError`).
#[cfg(feature = "jwt")]
macro_rules! boxed_error_api {
    ($ty:ident, $what:literal) => {
        impl $ty {
            #[doc = concat!("Wraps the ", $what, "'s error (or a message: `", stringify!($ty), "::new(\"down\")`).")]
            pub fn new(
                error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
            ) -> Self {
                Self(error.into())
            }

            #[doc = concat!("The ", $what, "'s error.")]
            pub fn get_ref(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
                &*self.0
            }

            #[doc = concat!("The ", $what, "'s error, owned.")]
            pub fn into_inner(self) -> Box<dyn std::error::Error + Send + Sync + 'static> {
                self.0
            }
        }
    };
}
#[cfg(feature = "jwt")]
pub(crate) use boxed_error_api;

/// Builds [`DigestHasher`]s, for maps keyed by SHA-256 digests (the Redis mirror's entries, the
/// verified-token cache), with 256 bits of key drawn once per process from the operating
/// system's randomness (through std's [`RandomState`]). SipHash, std's own, cost a third of a
/// check; a keyed folded multiply (as in `foldhash`) of the digest's four words costs a tenth
/// of it, and an attacker who cannot read the keys cannot choose digests that collide.
#[cfg(any(feature = "jwt", feature = "redis"))]
#[derive(Clone, Copy)]
pub(crate) struct DigestKeys(pub(crate) [u64; 4]);

#[cfg(any(feature = "jwt", feature = "redis"))]
impl Default for DigestKeys {
    fn default() -> Self {
        static KEYS: OnceLock<[u64; 4]> = OnceLock::new();
        Self(*KEYS.get_or_init(|| {
            let random = RandomState::new();
            // Odd multipliers never zero a word.
            [0u8, 1, 2, 3].map(|i| random.hash_one(i) | 1)
        }))
    }
}

#[cfg(any(feature = "jwt", feature = "redis"))]
impl BuildHasher for DigestKeys {
    type Hasher = DigestHasher;

    fn build_hasher(&self) -> DigestHasher {
        DigestHasher {
            keys: self.0,
            state: self.0[3],
        }
    }
}

/// A keyed folded-multiply hash of 16-byte blocks (see [`DigestKeys`]).
#[cfg(any(feature = "jwt", feature = "redis"))]
pub(crate) struct DigestHasher {
    keys: [u64; 4],
    state: u64,
}

/// The two halves of `a × b`, folded.
#[cfg(any(feature = "jwt", feature = "redis"))]
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

#[cfg(any(feature = "jwt", feature = "redis"))]
impl Hasher for DigestHasher {
    fn write(&mut self, bytes: &[u8]) {
        // A digest, on the path of every check: four words, two folds.
        if let Ok(digest) = <&[u8; 32]>::try_from(bytes) {
            let word = |i: usize| {
                let mut word = [0u8; 8];
                word.copy_from_slice(&digest[i * 8..i * 8 + 8]);
                u64::from_le_bytes(word)
            };
            let low = fold(word(0) ^ self.keys[0] ^ self.state, word(1) ^ self.keys[1]);
            self.state = fold(word(2) ^ self.keys[0] ^ low, word(3) ^ self.keys[1]) ^ 32;
            return;
        }
        for block in bytes.chunks(16) {
            let mut words = [0u8; 16];
            words[..block.len()].copy_from_slice(block);
            let (low, high) = words.split_at(8);
            let word = |half: &[u8]| u64::from_le_bytes(half.try_into().unwrap_or_default());
            self.state = fold(
                word(low) ^ self.keys[0] ^ self.state,
                word(high) ^ self.keys[1],
            );
        }
        self.state ^= bytes.len() as u64;
    }

    fn write_u8(&mut self, value: u8) {
        self.state = fold(self.state ^ u64::from(value) ^ self.keys[2], self.keys[3]);
    }

    fn finish(&self) -> u64 {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[cfg(any(feature = "redis", feature = "api-keys"))]
    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(super::hex(&[]), "");
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        let mut out = String::from("k:");
        super::push_hex(&mut out, &u64::MAX.to_be_bytes());
        assert_eq!(out, format!("k:{:016x}", u64::MAX));
    }

    #[test]
    fn a_chain_shows_every_layer_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let error = Outer(std::io::Error::other("inner"));
        assert_eq!(super::Chain(&error).to_string(), "outer: inner");
    }

    #[test]
    fn truncate_keeps_whole_characters() {
        assert_eq!(truncate("abc", 8), "abc");
        assert_eq!(truncate("abcdef", 4), "abcd");
        // 'é' is two bytes: cutting inside it keeps the byte before.
        assert_eq!(truncate("aé", 2), "a");
        assert_eq!(truncate("", 0), "");
    }
}
