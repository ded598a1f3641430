//! Interoperability: tokens produced by implementations other than ours, checked in under
//! `tests/fixtures/`: the signature examples of RFC 7515 A.2 (RS256), A.3 (ES256) and
//! RFC 8037 A.4 (Ed25519), and tokens minted by PyJWT (`make_pyjwt_fixtures.py`).
//!
//! The RFC examples expired in 2011 (A.2, A.3) or have a payload that is not JSON (A.4). The
//! validator verifies the signature before it reads the payload, so refusing them as
//! *expired* or *payload not a JSON object* proves the signature verified; the same token with
//! one signature byte changed is refused as a bad signature.

use authz_core::{
    Algorithm, Claims, Key, TokenError, Validator, claims::RegisteredClaims, token::TokenPart,
    token::Validated,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}"))
        .unwrap()
        .trim()
        .to_owned()
}

#[derive(Debug, serde::Deserialize, Claims)]
struct AnyClaims {
    sub: Option<String>,
}

#[derive(Debug, serde::Deserialize, Claims)]
struct AccessClaims {
    sub: String,
    jti: String,
    #[claims(scope)]
    scope: Option<String>,
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn rfc_validator(alg: Algorithm, key_file: &str) -> Validator {
    Validator::builder()
        .algorithms([alg])
        .key(Key::from_jwk(&fixture(key_file)).unwrap())
        .issuer("joe")
        .dangerously_accept_any_audience()
        .allow_missing(RegisteredClaims::SUB)
        .build()
        .unwrap()
}

fn check(v: &Validator, token: &str) -> Result<Validated<AnyClaims>, TokenError> {
    block_on(v.validate::<AnyClaims>(token))
}

/// The token with the first signature byte changed.
fn tampered(token: &str) -> String {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(sig).unwrap();
    bytes[0] ^= 1;
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

#[test]
fn rfc7515_a2_rs256() {
    let v = rfc_validator(Algorithm::RS256, "rfc7515_a2_key.json");
    let token = fixture("rfc7515_a2.jwt");
    let err = check(&v, &token).unwrap_err();
    assert!(
        matches!(
            err,
            TokenError::Expired {
                exp: 1_300_819_380,
                ..
            }
        ),
        "{err}"
    );
    let err = check(&v, &tampered(&token)).unwrap_err();
    assert!(matches!(err, TokenError::BadSignature { .. }), "{err}");
}

#[test]
fn rfc7515_a3_es256() {
    let v = rfc_validator(Algorithm::ES256, "rfc7515_a3_key.json");
    let token = fixture("rfc7515_a3.jwt");
    let err = check(&v, &token).unwrap_err();
    assert!(
        matches!(
            err,
            TokenError::Expired {
                exp: 1_300_819_380,
                ..
            }
        ),
        "{err}"
    );
    let err = check(&v, &tampered(&token)).unwrap_err();
    assert!(matches!(err, TokenError::BadSignature { .. }), "{err}");
}

#[test]
fn rfc8037_a4_ed25519() {
    let v = rfc_validator(Algorithm::EdDSA, "rfc8037_a4_key.json");
    let token = fixture("rfc8037_a4.jwt");
    let err = check(&v, &token).unwrap_err();
    assert!(
        matches!(
            err,
            TokenError::Json {
                part: TokenPart::Payload,
                reason: "not a JSON object"
            }
        ),
        "{err}"
    );
    let err = check(&v, &tampered(&token)).unwrap_err();
    assert!(matches!(err, TokenError::BadSignature { .. }), "{err}");
}

fn pyjwt_token(alg: &str) -> String {
    let tokens: serde_json::Value = serde_json::from_str(&fixture("pyjwt_tokens.json")).unwrap();
    tokens[alg].as_str().unwrap().to_owned()
}

#[test]
fn pyjwt_tokens_verify_with_its_exported_jwks() {
    // PyJWT exports RSA and OKP keys without `alg`; only the EC key names one.
    let v = Validator::builder()
        .algorithms([
            Algorithm::RS256,
            Algorithm::PS256,
            Algorithm::ES256,
            Algorithm::EdDSA,
        ])
        .jwks_file(format!("{FIXTURES}/pyjwt_jwks.json"))
        .issuer("https://id.example")
        .audience("reports-api")
        .build()
        .unwrap();
    for alg in ["RS256", "PS256", "ES256", "EdDSA"] {
        let token = pyjwt_token(alg);
        let ok =
            block_on(v.validate::<AccessClaims>(&token)).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(ok.claims.sub, format!("alice-{alg}"));
        assert_eq!(ok.claims.jti, format!("jti-{alg}"));
        assert_eq!(ok.audience(), ["reports-api", "other"]);
        assert_eq!(ok.issued_at(), Some(1_700_000_000));
        let err = block_on(v.validate::<AccessClaims>(&tampered(&token))).unwrap_err();
        assert!(
            matches!(err, TokenError::BadSignature { .. }),
            "{alg}: {err}"
        );
    }
}

#[test]
fn pyjwt_tokens_verify_with_pem_keys() {
    for (alg, file) in [
        (Algorithm::RS256, "pyjwt_rs256.pem"),
        (Algorithm::PS256, "pyjwt_ps256.pem"),
        (Algorithm::ES256, "pyjwt_es256.pem"),
        (Algorithm::EdDSA, "pyjwt_eddsa.pem"),
    ] {
        let v = Validator::builder()
            .algorithms([alg])
            .key(Key::from_pem_file(format!("{FIXTURES}/{file}")).unwrap())
            .issuer("https://id.example")
            .audience("reports-api")
            .build()
            .unwrap();
        block_on(v.validate::<AccessClaims>(&pyjwt_token(alg.name())))
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
    }
}

#[test]
fn pyjwt_at_jwt_tokens_pass_a_typ_check() {
    let v = Validator::builder()
        .algorithms([Algorithm::ES256, Algorithm::EdDSA])
        .jwks_file(format!("{FIXTURES}/pyjwt_jwks.json"))
        .issuer("https://id.example")
        .audience("reports-api")
        .typ("application/at+jwt")
        .build()
        .unwrap();
    block_on(v.validate::<AccessClaims>(&pyjwt_token("ES256"))).unwrap();
    block_on(v.validate::<AccessClaims>(&pyjwt_token("EdDSA"))).unwrap();
}

#[test]
fn pyjwt_hs256_token_verifies_with_the_shared_secret() {
    let v = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(Key::hmac_secret(fixture("pyjwt_hs256.secret")))
        .issuer("https://id.example")
        .audience("reports-api")
        .build()
        .unwrap();
    let ok = block_on(v.validate::<AnyClaims>(&pyjwt_token("HS256"))).unwrap();
    assert_eq!(ok.claims.sub.as_deref(), Some("alice-HS256"));
    let wrong = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(Key::hmac_secret([b'x'; 64]))
        .issuer("https://id.example")
        .audience("reports-api")
        .build()
        .unwrap();
    let err = block_on(wrong.validate::<AnyClaims>(&pyjwt_token("HS256"))).unwrap_err();
    assert!(matches!(err, TokenError::BadSignature { .. }), "{err}");
}
