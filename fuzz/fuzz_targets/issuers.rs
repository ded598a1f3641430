//! Key selection with several issuers: a validator trusting issuer A (a key generated here)
//! and issuer B, whose JWKS document the fuzzer writes. B is the attacker (a hostile tenant
//! in a SaaS that accepts each customer's own identity provider): the fuzzer also controls
//! the `kid` under which the attacker's own key is published in B's set, the `kid` and `iss`
//! of the token the attacker signs, and whether the verified-token cache is on.
//!
//! Input: a mode byte, then B's JWKS, the `kid`, and an issuer text, separated by `\u{1}`.
//! Mode bits 0-1 choose the claimed `iss` (A, B, the fuzzed text, none), bit 2 the cache,
//! bit 3 whether the token carries the fuzzed `kid` or A's.
//!
//! Beyond "no panic", checks issuer binding (RFC 8725 section 3.8): a token signed with the
//! attacker's key is accepted only when it claims B, and then reports issuer B; a token
//! signed with A's key and claiming B is never accepted.

#![no_main]

use std::sync::OnceLock;

use authz_core::testkit::{TestKey, claims_for};
use authz_core::{Algorithm, Claims, Issuer, Validator};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const A: &str = "https://a.example";
const B: &str = "https://b.example";
const AUD: &str = "reports-api";

#[derive(Debug, serde::Deserialize, Claims)]
struct FuzzClaims {
    #[allow(dead_code)]
    sub: String,
}

struct Fixture {
    a: TestKey,
    attacker: TestKey,
    rt: tokio::runtime::Runtime,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        a: TestKey::generate(Algorithm::ES256, "a-1"),
        attacker: TestKey::generate(Algorithm::ES256, "b-1"),
        rt: tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime"),
    })
}

fn claims(iss: Option<&str>) -> Value {
    let mut claims = claims_for(A, AUD, "alice");
    // Far in the future, so that an accepted forgery is not hidden behind `Expired`.
    claims["exp"] = json!(4_102_444_800u64);
    match iss {
        Some(iss) => claims["iss"] = json!(iss),
        None => {
            claims.as_object_mut().map(|c| c.remove("iss"));
        }
    }
    claims
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.splitn(3, '\u{1}');
    let jwks = parts.next().unwrap_or("");
    let kid = parts.next().unwrap_or("b-1");
    let iss_text = parts.next().unwrap_or("");

    // B's set: the fuzzed document, with the attacker's public key added under the fuzzed kid
    // when the document is a JWKS object.
    let mut doc: Value = serde_json::from_str(jwks).unwrap_or_else(|_| json!({ "keys": [] }));
    if let Some(keys) = doc.get_mut("keys").and_then(Value::as_array_mut) {
        let mut jwk = f.attacker.public_jwk();
        jwk["kid"] = json!(kid);
        keys.push(jwk);
    }
    let mut builder = Validator::builder()
        .algorithms(Algorithm::ALL.into_iter().filter(|a| !a.is_symmetric()))
        .trust(Issuer::new(A).key(f.a.verification_key()))
        .trust(Issuer::new(B).jwks_json(&doc.to_string()))
        .audience(AUD);
    if mode & 4 != 0 {
        builder = builder.cache(16);
    }
    let Ok(validator) = builder.build() else {
        return;
    };

    let claimed = match mode & 3 {
        0 => Some(A),
        1 => Some(B),
        2 => Some(iss_text),
        _ => None,
    };
    let header_kid = if mode & 8 != 0 { kid } else { "a-1" };
    let header = json!({ "alg": "ES256", "typ": "JWT", "kid": header_kid });
    let forged = f.attacker.sign(&header, &claims(claimed));
    for _ in 0..2 {
        if let Ok(ok) = f.rt.block_on(validator.validate_shared::<FuzzClaims>(&forged)) {
            assert_eq!(claimed, Some(B), "the attacker's key spoke for {claimed:?}");
            assert_eq!(ok.issuer(), Some(B));
        }
    }
    // A's key cannot speak for B either.
    let a_for_b = f.a.mint(&claims(Some(B)));
    assert!(
        f.rt.block_on(validator.validate::<FuzzClaims>(&a_for_b))
            .is_err(),
        "A's key spoke for B"
    );
    // A's own token is still A's.
    let genuine = f.a.mint(&claims(Some(A)));
    if let Ok(ok) = f.rt.block_on(validator.validate::<FuzzClaims>(&genuine)) {
        assert_eq!(ok.issuer(), Some(A));
    }
});
