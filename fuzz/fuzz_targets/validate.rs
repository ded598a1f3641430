//! The full validation path on arbitrary token bytes, with static keys built once for every
//! algorithm (HS256/384/512, RS256/384/512, PS256/384/512, ES256, ES384, EdDSA), some from a
//! JWKS document, some under a validator with a `typ`, a maximum age and a required `jti`.
//!
//! The first input byte picks a mode:
//! - `% 4 == 0 | 1`: the rest is the token (lossy UTF-8, as a server sees it after parsing);
//! - `% 4 == 2`: the rest is `header JSON \0 payload JSON`, encoded and signed with one of the
//!   generated keys (picked by `byte / 4`), so that the fuzzer reaches the claims checks that
//!   only run after a signature verified;
//! - `% 4 == 3`: the rest is the payload JSON, signed under the key's default header.
//!
//! Beyond "no panic", checks that an accepted token really has the issuer, audience and
//! expiry the validator requires, and that an error's log text never contains a long token.

#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use authz_core::testkit::{TestKey, jwks, now};
use authz_core::{Algorithm, Claims, Key, claims::RegisteredClaims, Validator};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;

const ISS: &str = "https://id.example";
const AUD: &str = "reports-api";
/// The PyJWT interop fixtures: real tokens (valid until 2100) and their keys, so that the
/// seed corpus starts from tokens that verify.
const PYJWT_JWKS: &str = include_str!("../../authz-core/tests/fixtures/pyjwt_jwks.json");
const PYJWT_SECRET: &[u8] = include_bytes!("../../authz-core/tests/fixtures/pyjwt_hs256.secret");

#[derive(Debug, serde::Deserialize, Claims)]
struct FuzzClaims {
    #[allow(dead_code)]
    sub: String,
    #[claims(scope)]
    #[allow(dead_code)]
    scope: Option<String>,
}

struct Fixture {
    validators: Vec<Validator>,
    signers: Vec<TestKey>,
    rt: tokio::runtime::Runtime,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let signers: Vec<TestKey> = [
            Algorithm::HS384,
            Algorithm::HS512,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ]
        .into_iter()
        .map(|alg| TestKey::generate(alg, &format!("gen-{alg}")))
        .collect();
        let (hmac, public): (Vec<&TestKey>, Vec<&TestKey>) =
            signers.iter().partition(|k| k.secret().is_some());
        let asymmetric = Algorithm::ALL.into_iter().filter(|a| !a.is_symmetric());
        let symmetric = Algorithm::ALL.into_iter().filter(|a| a.is_symmetric());

        let mut hmac_builder = Validator::builder()
            .algorithms(symmetric)
            .key(Key::hmac_secret(PYJWT_SECRET).with_algorithm(Algorithm::HS256))
            .issuer(ISS)
            .audience(AUD);
        for key in &hmac {
            hmac_builder = hmac_builder.key(key.verification_key());
        }
        let validators = vec![
            hmac_builder.build().expect("HMAC validator"),
            Validator::builder()
                .algorithms(asymmetric.clone())
                .jwks_json(PYJWT_JWKS)
                .jwks_json(&jwks(&public).to_string())
                .issuer(ISS)
                .audience(AUD)
                .build()
                .expect("asymmetric validator"),
            Validator::builder()
                .algorithms(asymmetric)
                .jwks_json(PYJWT_JWKS)
                .issuer(ISS)
                .audience(AUD)
                .typ("at+jwt")
                .max_age(Duration::from_secs(100 * 365 * 24 * 3600))
                .require(RegisteredClaims::JTI)
                .build()
                .expect("strict validator"),
        ];
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        Fixture {
            validators,
            signers,
            rt,
        }
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn check(f: &Fixture, token: &str) {
    for validator in &f.validators {
        match f.rt.block_on(validator.validate::<FuzzClaims>(token)) {
            Ok(ok) => {
                assert_eq!(ok.issuer(), Some(ISS));
                assert!(ok.audience().iter().any(|a| a == AUD));
                assert!(ok.expires_at().saturating_add(60) > now());
            }
            Err(e) => {
                let _ = (e.category(), e.description());
                if token.len() > 160 {
                    assert!(!e.to_string().contains(token), "the error echoes the token");
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 | 1 => check(f, &String::from_utf8_lossy(rest)),
        2 => {
            let key = &f.signers[usize::from(mode / 4) % f.signers.len()];
            let (header, payload) = match rest.iter().position(|b| *b == 0) {
                Some(at) => (&rest[..at], &rest[at + 1..]),
                None => (rest, &b""[..]),
            };
            check(f, &key.sign_segments(&b64(header), &b64(payload)));
        }
        _ => {
            let key = &f.signers[usize::from(mode / 4) % f.signers.len()];
            let header = b64(key.header().to_string().as_bytes());
            check(f, &key.sign_segments(&header, &b64(rest)));
        }
    }
});
