//! The push channel's message parser (issue 21, finding 5): what a `RedisRevocation` makes of
//! any message published on its channel `<prefix>events`, which anyone who can reach the
//! Redis server can publish on.
//!
//! Input: a byte choosing the store's prefix, then the message. Beyond "no panic", checks
//! what the parser promises: a message names at most one key, of the store's shape exactly
//! (the prefix, a kind the copy reads, 64 hex digits), written at the start of the message,
//! alone or followed by ` <digits> <digits>` (the writers' value and TTL, never believed); and
//! nothing else is read back from Redis.

#![no_main]

use libfuzzer_sys::fuzz_target;

const PREFIXES: [&str; 4] = ["authz:revoked:", "a b c:", "p:jti:", "{authz}:r:"];
const KINDS: [&str; 4] = ["jti:", "sub:", "isub:", "isid:"];

fuzz_target!(|data: &[u8]| {
    let Some((choice, payload)) = data.split_first() else {
        return;
    };
    let prefix = PREFIXES[usize::from(*choice) % PREFIXES.len()];
    let Some(key) = authz_core::store::__push_message_key(prefix, payload) else {
        return;
    };
    // The key read back: the store's shape, lowercase hex.
    let rest = key.strip_prefix(prefix).expect("the store's prefix");
    let kind = KINDS
        .iter()
        .find(|kind| rest.starts_with(**kind))
        .expect("a kind the copy reads");
    let hex = &rest[kind.len()..];
    assert_eq!(hex.len(), 64, "{key}");
    assert!(
        hex.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{key}"
    );
    // Named at the start of the message (hex in any case), alone or with two numbers after.
    let text = std::str::from_utf8(payload).expect("a hint is UTF-8");
    assert!(text.len() >= key.len(), "{text:?} -> {key}");
    let (named, tail) = text.split_at(key.len());
    assert_eq!(&named[..key.len() - 64], &key[..key.len() - 64]);
    assert!(
        named[key.len() - 64..].eq_ignore_ascii_case(hex),
        "{text:?} -> {key}"
    );
    if !tail.is_empty() {
        let numbers: Vec<&str> = tail
            .strip_prefix(' ')
            .expect("a space after the key")
            .split(' ')
            .collect();
        assert_eq!(numbers.len(), 2, "{text:?}");
        for number in numbers {
            assert!(
                !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
                "{text:?}"
            );
        }
    }
});
