//! The Redis keys of the stores, derived in one place: a key is the store's prefix, a kind and
//! the SHA-256 of the entry's identifiers in hex. A revocation entry is written under the key
//! [`Entry::key`] names, read by a check through the slot [`Entry::slot`] names, and the copy in
//! memory turns a key back into its slot with [`parse`]: all three come from [`Entry::digest`]
//! and [`key_of`], so that what is written is what is read.

use crate::util::push_hex;

use super::mirror::Slot;

/// `jti:`: a revoked token, by its `jti`.
pub(crate) const JTI: &str = "jti:";
/// `sub:`: a subject's older tokens, at every issuer.
pub(crate) const SUB: &str = "sub:";
/// `isub:`: a subject's older tokens, at one issuer.
pub(crate) const ISSUER_SUB: &str = "isub:";
/// `isid:`: a session's older tokens, at one issuer.
pub(crate) const ISSUER_SID: &str = "isid:";
/// `lrp:`: the replay marker of a back-channel logout token. Never read by a check, so not in
/// [`KINDS`] (the copy in memory ignores it).
pub(crate) const LOGOUT_REPLAY: &str = "lrp:";
/// The kinds of revocation entry a check reads, in the order of a check's slots: a
/// [`Slot::kind`] is an index into it.
pub(crate) const KINDS: &[&str] = &[JTI, SUB, ISSUER_SUB, ISSUER_SID];

/// A revocation entry, by what names it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Entry<'a> {
    /// A token's `jti`, at any issuer.
    Jti(&'a str),
    /// A subject, at any issuer.
    Subject(&'a str),
    /// (issuer, subject).
    IssuerSubject(&'a str, &'a str),
    /// (issuer, session id).
    Session(&'a str, &'a str),
    /// (issuer, `jti` of a logout token): a replay marker.
    LogoutReplay(&'a str, &'a str),
}

impl Entry<'_> {
    /// The kind of key, such as `jti:`.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Self::Jti(_) => JTI,
            Self::Subject(_) => SUB,
            Self::IssuerSubject(..) => ISSUER_SUB,
            Self::Session(..) => ISSUER_SID,
            Self::LogoutReplay(..) => LOGOUT_REPLAY,
        }
    }

    /// The SHA-256 the key names: of the identifier alone, or of a pair as the byte length of
    /// each (8 bytes, big-endian) before it, so that (`a:b`, `c`) and (`a`, `b:c`) differ.
    pub(crate) fn digest(self) -> [u8; 32] {
        let length = |s: &str| (s.len() as u64).to_be_bytes();
        match self {
            Self::Jti(one) | Self::Subject(one) => digest(&[one.as_bytes()]),
            Self::IssuerSubject(a, b) | Self::Session(a, b) | Self::LogoutReplay(a, b) => {
                digest(&[&length(a), a.as_bytes(), &length(b), b.as_bytes()])
            }
        }
    }

    /// What a check looks the entry up by; `None` for a kind no check reads.
    pub(crate) fn slot(self) -> Option<Slot> {
        let kind = KINDS.iter().position(|kind| *kind == self.kind())?;
        Some(Slot {
            kind: u8::try_from(kind).ok()?,
            digest: self.digest(),
        })
    }

    /// The Redis key under `prefix`.
    pub(crate) fn key(self, prefix: &str) -> String {
        key_of(prefix, self.kind(), &self.digest())
    }
}

/// The Redis key of `slot` under `prefix`, whose kinds are `kinds`.
pub(crate) fn slot_key(prefix: &str, kinds: &[&str], slot: &Slot) -> String {
    key_of(prefix, kinds[usize::from(slot.kind)], &slot.digest)
}

/// The SHA-256 of the parts, one after the other.
pub(crate) fn digest(parts: &[&[u8]]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// `<prefix><kind><digest in hex>`: any identifier makes a key of one length.
pub(crate) fn key_of(prefix: &str, kind: &str, digest: &[u8; 32]) -> String {
    let mut key = String::with_capacity(prefix.len() + kind.len() + 64);
    key.push_str(prefix);
    key.push_str(kind);
    push_hex(&mut key, digest);
    key
}

/// `<prefix><kind><SHA-256 of the parts, in hex>`.
#[cfg_attr(not(feature = "api-keys"), allow(dead_code))]
pub(crate) fn hashed_key(prefix: &str, kind: &str, parts: &[&[u8]]) -> String {
    key_of(prefix, kind, &digest(parts))
}

/// The slot a Redis key names, if it is a key of `kinds` under `prefix`: the inverse of
/// [`slot_key`].
pub(crate) fn parse(prefix: &str, kinds: &[&str], key: &str) -> Option<Slot> {
    let rest = key.strip_prefix(prefix)?;
    let (kind, hex) = kinds
        .iter()
        .enumerate()
        .find_map(|(i, kind)| rest.strip_prefix(kind).map(|hex| (i, hex)))?;
    let hex = hex.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    for (byte, pair) in digest.iter_mut().zip(hex.chunks_exact(2)) {
        // Lowercase only, as `key_of` writes: another spelling names no entry.
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(Slot {
        kind: u8::try_from(kind).ok()?,
        digest,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn every_kind<'a>(a: &'a str, b: &'a str) -> [Entry<'a>; 5] {
        [
            Entry::Jti(a),
            Entry::Subject(a),
            Entry::IssuerSubject(a, b),
            Entry::Session(a, b),
            Entry::LogoutReplay(a, b),
        ]
    }

    #[test]
    fn what_is_written_is_what_a_check_and_the_copy_read() {
        let long = "é:".repeat(1 << 12);
        for (a, b) in [("a", "b"), ("", ""), ("a:b", "c"), (&long, "\0")] {
            for entry in every_kind(a, b) {
                let key = entry.key("p:");
                // The copy in memory parses a written key into the slot a check looks up.
                assert_eq!(parse("p:", KINDS, &key), entry.slot(), "{entry:?}");
                if let Some(slot) = entry.slot() {
                    // And a check's read of Redis asks for the written key.
                    assert_eq!(slot_key("p:", KINDS, &slot), key);
                }
            }
        }
        // A replay marker is no entry a check reads.
        assert_eq!(Entry::LogoutReplay("i", "j").slot(), None);
    }

    #[test]
    fn the_documented_layout_holds() {
        // The module docs of `store::revocation` list these kinds: one row per kind.
        let table = include_str!("revocation.rs");
        for kind in [JTI, SUB, ISSUER_SUB, ISSUER_SID, LOGOUT_REPLAY] {
            assert!(
                table.contains(&format!("| `PREFIX {kind} SHA-256(")),
                "the key-layout table (on RedisRevocation) lacks `{kind}`"
            );
        }
        assert_eq!(
            Entry::Jti("abc").key("p:"),
            "p:jti:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // SHA-256 of 00 00 00 00 00 00 00 01 "a" 00 00 00 00 00 00 00 01 "b" (computed
        // independently): the layout names stored entries, so it must not change by accident.
        assert_eq!(
            Entry::IssuerSubject("a", "b").key("p:"),
            "p:isub:3c9d591045bc8876f9d0399bbfb05c6a412096e906f73278f98406cd5dca86df"
        );
    }

    #[test]
    fn keys_of_other_shapes_name_no_slot() {
        let key = Entry::Subject("a").key("p:");
        assert_eq!(parse("q:", KINDS, &key), None);
        assert_eq!(parse("p:", KINDS, &format!("{key}0")), None);
        assert_eq!(parse("p:", KINDS, &key[..key.len() - 1]), None);
        assert_eq!(parse("p:", KINDS, &key.to_uppercase()), None);
        assert_eq!(parse("p:", KINDS, "p:sub:0123"), None);
        assert_eq!(
            parse("p:", KINDS, &Entry::LogoutReplay("a", "b").key("p:")),
            None
        );
    }

    #[test]
    fn hostile_identifiers_make_fixed_length_distinct_keys() {
        let long = "x".repeat(1 << 20);
        let ids = ["a", "a:", ":a", "sub:a", &long, "\0\u{1}\u{7f}", ""];
        let mut keys = HashSet::new();
        for id in ids {
            for entry in every_kind(id, "") {
                let key = entry.key("p:");
                assert_eq!(key.len(), "p:".len() + entry.kind().len() + 64, "{key}");
                assert!(keys.insert(key));
            }
        }
        let pairs = [
            ("a:b", "c"),
            ("a", "b:c"),
            ("ab", "c"),
            ("a", "bc"),
            ("abc", ""),
            ("", "abc"),
            ("\0", ""),
            ("", "\0"),
            ("iss", "sub:a"),
            ("iss:sub", "a"),
            ("é", "e"),
            ("e\u{301}", "e"),
        ];
        for (a, b) in pairs {
            assert!(
                keys.insert(Entry::IssuerSubject(a, b).key("p:")),
                "{a:?} {b:?}"
            );
        }
    }
}
