//! Properties of token validation on hostile input, with real generated keys (HS256, RS256,
//! ES256, EdDSA):
//! - any byte string, and any mutation of a valid token (truncation, duplicated or dropped
//!   segments, a segment replaced by random base64url), yields `Ok` or a typed [`TokenError`],
//!   never a panic; every mutation that changes the token is refused, with a client-error
//!   category, and the log text of the error never echoes the signature;
//! - a valid token with any one character of its signature segment changed to another
//!   base64url character is refused.
//!
//! The fuzz targets in `fuzz/` explore the same code paths without a model; these properties
//! run in CI within a few seconds.

use std::sync::OnceLock;

use authz_core::testkit::{TestKey, claims_for, jwks};
use authz_core::{
    Algorithm, Claims, TokenError, Validator, token::ErrorCategory, token::TokenPart,
};
use proptest::prelude::*;

const ISS: &str = "https://id.example";
const AUD: &str = "reports-api";
const ALGS: [Algorithm; 4] = [
    Algorithm::HS256,
    Algorithm::RS256,
    Algorithm::ES256,
    Algorithm::EdDSA,
];
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[derive(Debug, serde::Deserialize, Claims)]
struct MyClaims {
    sub: String,
}

/// One key per algorithm, a validator for each, one asymmetric validator holding the three
/// public keys from a JWKS (the kid decides), and a valid token per key.
struct Fixture {
    keys: Vec<TestKey>,
    single: Vec<Validator>,
    jwks: Validator,
    tokens: Vec<String>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let keys: Vec<TestKey> = ALGS
            .iter()
            .map(|alg| TestKey::generate(*alg, &format!("kid-{alg}")))
            .collect();
        let single = keys
            .iter()
            .map(|k| {
                Validator::builder()
                    .algorithms([k.algorithm()])
                    .key(k.verification_key())
                    .issuer(ISS)
                    .audience(AUD)
                    .build()
                    .unwrap()
            })
            .collect();
        let public: Vec<&TestKey> = keys.iter().filter(|k| k.secret().is_none()).collect();
        let jwks = Validator::builder()
            .algorithms([Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA])
            .jwks_json(&jwks(&public).to_string())
            .issuer(ISS)
            .audience(AUD)
            .build()
            .unwrap();
        let tokens = keys
            .iter()
            .map(|k| k.mint(&claims_for(ISS, AUD, "alice")))
            .collect();
        Fixture {
            keys,
            single,
            jwks,
            tokens,
        }
    })
}

fn validate(v: &Validator, token: &str) -> Result<String, TokenError> {
    thread_local! {
        static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
    }
    RT.with(|rt| rt.block_on(v.validate::<MyClaims>(token)))
        .map(|ok| ok.claims.sub)
}

/// Every validator that could accept a token signed with key `i`.
fn validators_for(i: usize) -> Vec<&'static Validator> {
    let f = fixture();
    let mut out = vec![&f.single[i]];
    if f.keys[i].secret().is_none() {
        out.push(&f.jwks);
    }
    out
}

/// Runs `token` through every validator: none may panic, and each refusal must be a
/// client error that does not quote the token's signature.
fn refused_everywhere(token: &str) -> Result<(), TestCaseError> {
    let f = fixture();
    let signature = token.rsplit('.').next().unwrap_or_default();
    for v in f.single.iter().chain([&f.jwks]) {
        match validate(v, token) {
            Ok(sub) => prop_assert!(false, "accepted a token that is not valid (sub {sub})"),
            Err(e) => {
                prop_assert!(
                    matches!(
                        e.category(),
                        ErrorCategory::InvalidToken | ErrorCategory::InvalidRequest
                    ),
                    "{e:?}"
                );
                if signature.len() >= 16 {
                    prop_assert!(!e.to_string().contains(signature), "{e}");
                }
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Keep the first `n` bytes (n < len).
    Truncate(usize),
    /// Insert a copy of segment `i` after segment `j`.
    Duplicate(usize, usize),
    /// Remove segment `i`.
    Drop(usize),
    /// Replace segment `i` with random base64url text.
    Replace(usize, String),
    /// Swap segments `i` and `j`.
    Swap(usize, usize),
    /// Append random base64url text to the token.
    Append(String),
}

fn b64url_string(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(B64URL), 0..max)
        .prop_map(|bytes| String::from_utf8(bytes).unwrap())
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(|i| Mutation::Truncate(i.index(usize::MAX))),
        (0..3usize, 0..3usize).prop_map(|(i, j)| Mutation::Duplicate(i, j)),
        (0..3usize).prop_map(Mutation::Drop),
        (0..3usize, b64url_string(400)).prop_map(|(i, s)| Mutation::Replace(i, s)),
        (0..3usize, 0..3usize).prop_map(|(i, j)| Mutation::Swap(i, j)),
        b64url_string(40).prop_map(Mutation::Append),
    ]
}

fn apply(token: &str, mutation: &Mutation) -> String {
    let mut segments: Vec<String> = token.split('.').map(str::to_owned).collect();
    // Earlier mutations may have changed the segment count: indexes wrap.
    let n = segments.len();
    match mutation {
        Mutation::Truncate(_) if token.is_empty() => return String::new(),
        Mutation::Truncate(at) => return token[..at % token.len()].to_owned(),
        Mutation::Duplicate(i, j) => {
            let copy = segments[i % n].clone();
            segments.insert(j % n + 1, copy);
        }
        Mutation::Drop(i) => {
            segments.remove(i % n);
        }
        Mutation::Replace(i, s) => segments[i % n] = s.clone(),
        Mutation::Swap(i, j) => segments.swap(i % n, j % n),
        Mutation::Append(s) => return format!("{token}{s}"),
    }
    segments.join(".")
}

#[test]
fn the_unmutated_tokens_are_accepted() {
    // The properties below refuse mutations of these tokens; they must be valid to begin with.
    let f = fixture();
    for (i, token) in f.tokens.iter().enumerate() {
        for v in validators_for(i) {
            assert_eq!(validate(v, token).unwrap(), "alice", "{:?}", f.keys[i]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Arbitrary bytes, as a server would see them after lossy decoding, and arbitrary
    /// three-segment strings of arbitrary bytes.
    #[test]
    fn arbitrary_bytes_are_refused_without_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        dots in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut bytes = bytes;
        for dot in &dots {
            if !bytes.is_empty() {
                let at = dot.index(bytes.len());
                bytes[at] = b'.';
            }
        }
        let token = String::from_utf8_lossy(&bytes);
        refused_everywhere(&token)?;
    }

    /// Mutations of a valid token: every one that changes the token is refused.
    #[test]
    fn mutated_valid_tokens_are_refused(
        which in 0..ALGS.len(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let original = &fixture().tokens[which];
        let mut token = original.clone();
        for m in &mutations {
            token = apply(&token, m);
        }
        prop_assume!(&token != original);
        refused_everywhere(&token)?;
    }

    /// One character of the signature segment changed to another base64url character, at any
    /// position: refused as a bad signature (or, for the last character, as non-canonical
    /// base64url when only its unused low bits changed).
    #[test]
    fn one_changed_signature_character_is_refused(
        which in 0..ALGS.len(),
        position in any::<prop::sample::Index>(),
        replacement in proptest::sample::select(B64URL),
    ) {
        let original = &fixture().tokens[which];
        let start = original.rfind('.').unwrap() + 1;
        let at = start + position.index(original.len() - start);
        prop_assume!(original.as_bytes()[at] != replacement);
        let mut token = original.clone().into_bytes();
        token[at] = replacement;
        let token = String::from_utf8(token).unwrap();
        for v in validators_for(which) {
            let err = validate(v, &token).unwrap_err();
            prop_assert!(
                matches!(
                    err,
                    TokenError::BadSignature { .. } | TokenError::Base64(TokenPart::Signature)
                ),
                "{err:?}"
            );
        }
    }
}
