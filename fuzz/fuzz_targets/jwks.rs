//! JWKS document parsing (`ValidatorBuilder::jwks_json`, `Key::from_jwk`) on arbitrary input,
//! and then verification with whatever keys the document yields.
//!
//! Beyond "no panic", checks the property that matters: tokens signed with keys generated
//! in this process (whose private halves the fuzzer cannot know) are never accepted by a
//! validator built from a fuzzer-controlled JWKS. The tokens' kids (`rsa`, `ps`, `ec`,
//! `ec384`, `ed`, `hs`, and none) are the ones the seed documents use, so that key selection
//! and signature verification run against fuzzed keys.

#![no_main]

use std::sync::OnceLock;

use authz_core::testkit::{TestKey, claims_for};
use authz_core::{Algorithm, Claims, Key, Validator};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

const ISS: &str = "https://id.example";
const AUD: &str = "reports-api";

#[derive(Debug, serde::Deserialize, Claims)]
struct FuzzClaims {
    #[allow(dead_code)]
    sub: String,
}

struct Fixture {
    asymmetric: Vec<String>,
    symmetric: Vec<String>,
    rt: tokio::runtime::Runtime,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut claims = claims_for(ISS, AUD, "alice");
        // Far in the future, so that an accepted forgery is not hidden behind `Expired`.
        claims["exp"] = json!(4_102_444_800u64);
        let mut asymmetric = Vec::new();
        let mut symmetric = Vec::new();
        for (alg, kid) in [
            (Algorithm::RS256, "rsa"),
            (Algorithm::PS256, "ps"),
            (Algorithm::ES256, "ec"),
            (Algorithm::ES384, "ec384"),
            (Algorithm::EdDSA, "ed"),
            (Algorithm::HS256, "hs"),
        ] {
            let key = TestKey::generate(alg, kid);
            let tokens = if alg.is_symmetric() {
                &mut symmetric
            } else {
                &mut asymmetric
            };
            tokens.push(key.mint(&claims));
            tokens.push(key.sign(&json!({ "alg": alg.name(), "typ": "JWT" }), &claims));
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        Fixture {
            asymmetric,
            symmetric,
            rt,
        }
    })
}

fn never_accepts(
    f: &Fixture,
    validator: Result<Validator, authz_core::token::ConfigError>,
    tokens: &[String],
) {
    let Ok(validator) = validator else {
        return;
    };
    for token in tokens {
        let result = f.rt.block_on(validator.validate::<FuzzClaims>(token));
        assert!(
            result.is_err(),
            "a token signed with an unknown key was accepted"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Key::from_jwk(text);
    let asymmetric = Validator::builder()
        .algorithms(Algorithm::ALL.into_iter().filter(|a| !a.is_symmetric()))
        .jwks_json(text)
        .issuer(ISS)
        .audience(AUD)
        .build();
    never_accepts(f, asymmetric, &f.asymmetric);
    let symmetric = Validator::builder()
        .algorithms(Algorithm::ALL.into_iter().filter(|a| a.is_symmetric()))
        .jwks_json(text)
        .issuer(ISS)
        .audience(AUD)
        .build();
    never_accepts(f, symmetric, &f.symmetric);
});
