//! Attack tests for token validation: each attack its own test. Keys are generated at run
//! time (`test-util`); tokens are built by hand where the attack needs a malformed one.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use authz_core::testkit::{JwksServer, TestKey, claims_for, now};
use authz_core::{
    Algorithm, Claims, Key, TokenError, Validator, claims::RegisteredClaims, token::BoxFuture,
    token::ConfigError, token::ErrorCategory, token::InMemoryRevocation, token::Revocation,
    token::RevocationError, token::RevocationQuery, token::RevocationStatus, token::TokenPart,
    token::Validated,
};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

const ISS: &str = "https://id.example";
const AUD: &str = "reports-api";

#[derive(Debug, serde::Deserialize, Claims)]
struct MyClaims {
    sub: String,
    #[claims(scope)]
    scope: Option<String>,
}

fn key(alg: Algorithm) -> &'static TestKey {
    static KEYS: OnceLock<Vec<TestKey>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        [
            Algorithm::RS256,
            Algorithm::PS256,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
            Algorithm::HS256,
        ]
        .into_iter()
        .map(|alg| TestKey::generate(alg, &format!("kid-{alg}")))
        .collect()
    });
    keys.iter().find(|k| k.algorithm() == alg).unwrap()
}

fn attacker(alg: Algorithm) -> &'static TestKey {
    static KEYS: OnceLock<Vec<TestKey>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        [Algorithm::RS256, Algorithm::ES256]
            .into_iter()
            .map(|alg| TestKey::generate(alg, "attacker"))
            .collect()
    });
    keys.iter().find(|k| k.algorithm() == alg).unwrap()
}

fn validator_for(k: &TestKey) -> Validator {
    Validator::builder()
        .algorithms([k.algorithm()])
        .key(k.verification_key())
        .issuer(ISS)
        .audience(AUD)
        .build()
        .unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn check(v: &Validator, token: &str) -> Result<Validated<MyClaims>, TokenError> {
    rt().block_on(v.validate::<MyClaims>(token))
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn b64j(v: &Value) -> String {
    b64(v.to_string().as_bytes())
}

fn good_claims() -> Value {
    claims_for(ISS, AUD, "alice")
}

/// Asserts the error is an invalid token whose texts never repeat the token.
fn refused(result: Result<Validated<MyClaims>, TokenError>, token: &str) -> TokenError {
    let err = result.expect_err("token must be refused");
    assert_eq!(err.category(), ErrorCategory::InvalidToken, "{err}");
    let sig = token.rsplit('.').next().unwrap_or(token);
    for text in [
        err.to_string(),
        err.description().to_owned(),
        format!("{err:?}"),
    ] {
        if sig.len() >= 8 {
            assert!(!text.contains(sig), "error text repeats the token: {text}");
        }
    }
    err
}

#[test]
fn valid_tokens_of_every_algorithm_pass() {
    for alg in [
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
        Algorithm::HS256,
    ] {
        let k = key(alg);
        let token = k.mint(&good_claims());
        let ok = check(&validator_for(k), &token).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(ok.claims.sub, "alice");
        assert_eq!(ok.algorithm(), alg);
        assert_eq!(ok.kid(), Some(k.kid()));
        assert_eq!(ok.issuer(), Some(ISS));
        assert_eq!(ok.audience(), [AUD]);
    }
}

#[test]
fn pem_and_der_keys_verify() {
    for alg in [
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ] {
        let k = key(alg);
        let token = k.mint(&good_claims());
        for key in [
            Key::from_pem(k.public_pem().unwrap()).unwrap(),
            Key::from_der(k.public_der().unwrap()).unwrap(),
        ] {
            let v = Validator::builder()
                .algorithms([alg])
                .key(key)
                .issuer(ISS)
                .audience(AUD)
                .build()
                .unwrap();
            check(&v, &token).unwrap_or_else(|e| panic!("{alg}: {e}"));
        }
    }
}

#[test]
fn alg_none_in_every_spelling_is_refused() {
    let k = key(Algorithm::RS256);
    let v = validator_for(k);
    for none in ["none", "None", "NONE", "nOnE"] {
        let header = b64j(&json!({ "alg": none, "kid": k.kid() }));
        let payload = b64j(&good_claims());
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}.c2lnbmF0dXJl"),
        ] {
            let err = refused(check(&v, &token), &token);
            assert!(matches!(err, TokenError::Unsigned), "{none}: {err}");
        }
    }
}

#[test]
fn rs256_to_hs256_with_public_key_pem_as_secret() {
    let k = key(Algorithm::RS256);
    let v = validator_for(k);
    let pem = k.public_pem().unwrap();
    let header = b64j(&json!({ "alg": "HS256", "typ": "JWT", "kid": k.kid() }));
    let payload = b64j(&good_claims());
    let input = format!("{header}.{payload}");
    let mac = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, pem.as_bytes()),
        input.as_bytes(),
    );
    let token = format!("{input}.{}", b64(mac.as_ref()));
    let err = refused(check(&v, &token), &token);
    assert!(
        matches!(err, TokenError::AlgorithmNotAllowed(Algorithm::HS256)),
        "{err}"
    );

    // Allowing both kinds in one validator is refused by construction.
    let mixed = Validator::builder()
        .algorithms([Algorithm::RS256, Algorithm::HS256])
        .key(Key::from_pem(&pem).unwrap())
        .issuer(ISS)
        .audience(AUD)
        .build();
    assert!(matches!(mixed, Err(ConfigError::MixedKeyKinds)));
    // And so is an RSA key alongside a secret (here the PEM itself, as a careless user might).
    let mixed = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(Key::from_pem(&pem).unwrap())
        .key(Key::hmac_secret(pem.as_bytes()))
        .issuer(ISS)
        .audience(AUD)
        .build();
    assert!(matches!(mixed, Err(ConfigError::MixedKeyKinds)));
}

#[test]
fn rs256_to_hs256_with_public_key_jwk_as_secret() {
    let k = key(Algorithm::RS256);
    let jwks = json!({ "keys": [k.public_jwk()] }).to_string();
    let v = Validator::builder()
        .algorithms([Algorithm::RS256])
        .jwks_json(&jwks)
        .issuer(ISS)
        .audience(AUD)
        .build()
        .unwrap();
    let header = b64j(&json!({ "alg": "HS256", "kid": k.kid() }));
    let input = format!("{header}.{}", b64j(&good_claims()));
    let jwk_text = k.public_jwk().to_string();
    let n = URL_SAFE_NO_PAD
        .decode(k.public_jwk()["n"].as_str().unwrap())
        .unwrap();
    for secret in [jwk_text.as_bytes(), &n[..]] {
        let mac = aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret),
            input.as_bytes(),
        );
        let token = format!("{input}.{}", b64(mac.as_ref()));
        let err = refused(check(&v, &token), &token);
        assert!(
            matches!(err, TokenError::AlgorithmNotAllowed(Algorithm::HS256)),
            "{err}"
        );
    }
}

#[test]
fn stripped_signature_is_refused() {
    let k = key(Algorithm::ES256);
    let token = k.mint(&good_claims());
    let stripped = &token[..token.rfind('.').unwrap() + 1];
    let err = refused(check(&validator_for(k), stripped), stripped);
    assert!(matches!(err, TokenError::BadSignature { .. }), "{err}");
}

#[test]
fn signature_from_another_key_under_a_valid_kid() {
    for alg in [Algorithm::RS256, Algorithm::ES256] {
        let k = key(alg);
        let mut header = k.header();
        header["kid"] = json!(k.kid());
        let token = attacker(alg).sign(&header, &good_claims());
        let err = refused(check(&validator_for(k), &token), &token);
        assert!(
            matches!(err, TokenError::BadSignature { .. }),
            "{alg}: {err}"
        );
    }
}

#[test]
fn embedded_jwk_header_is_not_trusted() {
    let k = key(Algorithm::RS256);
    let evil = attacker(Algorithm::RS256);
    let v = validator_for(k);
    // Under the attacker's own kid: no such key.
    let header = json!({ "alg": "RS256", "kid": evil.kid(), "jwk": evil.public_jwk() });
    let token = evil.sign(&header, &good_claims());
    let err = refused(check(&v, &token), &token);
    assert!(matches!(err, TokenError::UnknownKey { .. }), "{err}");
    // Under the legitimate kid: verified with the configured key, so the signature fails.
    let header =
        json!({ "alg": "RS256", "kid": k.kid(), "jwk": evil.public_jwk(), "x5c": ["AAAA"] });
    let token = evil.sign(&header, &good_claims());
    let err = refused(check(&v, &token), &token);
    assert!(matches!(err, TokenError::BadSignature { .. }), "{err}");
}

#[test]
fn jku_and_x5u_headers_are_never_fetched() {
    rt().block_on(async {
        let server = JwksServer::start().await.unwrap();
        let evil = attacker(Algorithm::RS256);
        server.set_keys(&[evil]);
        let v = validator_for(key(Algorithm::RS256));
        for member in ["jku", "x5u"] {
            let header = json!({ "alg": "RS256", "kid": evil.kid(), member: server.jwks_url() });
            let token = evil.sign(&header, &good_claims());
            let err = refused(v.validate::<MyClaims>(&token).await, &token);
            assert!(matches!(err, TokenError::UnknownKey { .. }), "{err}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(server.total_hits(), 0, "a header URL was fetched");
    });
}

#[test]
fn ecdsa_signature_r_s_zero_is_refused() {
    let k = key(Algorithm::ES256);
    let token = k.mint(&good_claims());
    let input = &token[..token.rfind('.').unwrap()];
    for sig in [vec![0u8; 64], vec![0u8; 0x48]] {
        let forged = format!("{input}.{}", b64(&sig));
        let err = refused(check(&validator_for(k), &forged), &forged);
        assert!(matches!(err, TokenError::BadSignature { .. }), "{err}");
    }
    // r = s = 0 in the DER form some libraries accept: 30 06 02 01 00 02 01 00.
    let forged = format!("{input}.{}", b64(&[0x30, 6, 2, 1, 0, 2, 1, 0]));
    let err = refused(check(&validator_for(k), &forged), &forged);
    assert!(matches!(err, TokenError::BadSignature { .. }), "{err}");
}

#[test]
fn unknown_crit_extension_is_refused() {
    let k = key(Algorithm::EdDSA);
    for crit in [
        json!(["b64"]),
        json!(["exp"]),
        json!(["urn:example:x"]),
        json!([]),
    ] {
        let mut header = k.header();
        header["crit"] = crit.clone();
        header["b64"] = json!(false);
        let token = k.sign(&header, &good_claims());
        let err = refused(check(&validator_for(k), &token), &token);
        assert!(
            matches!(err, TokenError::UnsupportedCritical),
            "{crit}: {err}"
        );
    }
}

fn with_claims(patch: Value) -> Value {
    let mut claims = good_claims();
    for (k, v) in patch.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

fn refused_claims(patch: Value) -> TokenError {
    let k = key(Algorithm::HS256);
    let token = k.mint(&with_claims(patch));
    refused(check(&validator_for(k), &token), &token)
}

#[test]
fn expired_token_is_refused() {
    let err = refused_claims(json!({ "exp": now() - 61 }));
    assert!(matches!(err, TokenError::Expired { .. }), "{err}");
    assert_eq!(err.description(), "the token has expired");
    // Within the leeway it still passes.
    let k = key(Algorithm::HS256);
    check(
        &validator_for(k),
        &k.mint(&with_claims(json!({ "exp": now() - 30 }))),
    )
    .unwrap();
}

#[test]
fn not_yet_valid_token_is_refused() {
    let err = refused_claims(json!({ "nbf": now() + 120 }));
    assert!(matches!(err, TokenError::NotYetValid { .. }), "{err}");
    let k = key(Algorithm::HS256);
    check(
        &validator_for(k),
        &k.mint(&with_claims(json!({ "nbf": now() + 30 }))),
    )
    .unwrap();
}

#[test]
fn future_iat_is_refused() {
    let err = refused_claims(json!({ "iat": now() + 120 }));
    assert!(matches!(err, TokenError::IssuedInFuture { .. }), "{err}");
}

#[test]
fn max_age_is_enforced() {
    let k = key(Algorithm::HS256);
    let v = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(k.verification_key())
        .issuer(ISS)
        .audience(AUD)
        .max_age(Duration::from_secs(600))
        .build()
        .unwrap();
    let old = k.mint(&with_claims(json!({ "iat": now() - 3600 })));
    assert!(matches!(check(&v, &old), Err(TokenError::TooOld { .. })));
    let no_iat = k.mint(&with_claims(json!({ "iat": null })));
    assert!(matches!(
        check(&v, &no_iat),
        Err(TokenError::MissingClaim("iat"))
    ));
    check(&v, &k.mint(&good_claims())).unwrap();
}

#[test]
fn wrong_issuer_is_refused() {
    let err = refused_claims(json!({ "iss": "https://evil.example" }));
    assert!(matches!(err, TokenError::WrongIssuer), "{err}");
    let err = refused_claims(json!({ "iss": null }));
    assert!(matches!(err, TokenError::MissingClaim("iss")), "{err}");
}

#[test]
fn wrong_audience_is_refused() {
    for aud in [json!("billing"), json!(["billing", "other"]), json!([])] {
        let err = refused_claims(json!({ "aud": aud }));
        assert!(matches!(err, TokenError::WrongAudience), "{err}");
    }
    let err = refused_claims(json!({ "aud": null }));
    assert!(matches!(err, TokenError::MissingClaim("aud")), "{err}");
    // One accepted value among several passes.
    let k = key(Algorithm::HS256);
    let ok = check(
        &validator_for(k),
        &k.mint(&with_claims(json!({ "aud": ["billing", AUD] }))),
    )
    .unwrap();
    assert_eq!(ok.audience(), ["billing", AUD]);
}

#[test]
fn missing_exp_is_refused() {
    let err = refused_claims(json!({ "exp": null }));
    assert!(matches!(err, TokenError::MissingClaim("exp")), "{err}");
}

#[test]
fn exp_as_string_is_refused() {
    let err = refused_claims(json!({ "exp": "9999999999" }));
    assert!(matches!(err, TokenError::ClaimType("exp")), "{err}");
}

#[test]
fn registered_claims_of_the_wrong_type_are_refused() {
    for (patch, claim) in [
        (json!({ "aud": 123 }), "aud"),
        (json!({ "aud": [AUD, 1] }), "aud"),
        (json!({ "iss": 5 }), "iss"),
        (json!({ "nbf": "0" }), "nbf"),
        (json!({ "iat": false }), "iat"),
        (json!({ "sub": 7 }), "sub"),
        (json!({ "jti": ["a"] }), "jti"),
        (json!({ "exp": -5 }), "exp"),
    ] {
        let err = refused_claims(patch.clone());
        assert!(
            matches!(err, TokenError::ClaimType(c) if c == claim),
            "{patch}: {err}"
        );
    }
}

#[test]
fn claims_struct_fields_are_required() {
    // MyClaims has a `sub` field, so `sub` is required.
    let err = refused_claims(json!({ "sub": null }));
    assert!(matches!(err, TokenError::MissingClaim("sub")), "{err}");
    // Unless explicitly allowed to be missing, when the claims type takes it as Option.
    #[derive(serde::Deserialize, Claims)]
    struct Optional {
        sub: Option<String>,
    }
    let k = key(Algorithm::HS256);
    let v = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(k.verification_key())
        .issuer(ISS)
        .audience(AUD)
        .allow_missing(RegisteredClaims::SUB)
        .build()
        .unwrap();
    let ok = rt()
        .block_on(v.validate::<Optional>(&k.mint(&with_claims(json!({ "sub": null })))))
        .unwrap();
    assert!(ok.claims.sub.is_none());
}

#[test]
fn claims_type_mismatch_does_not_echo_values() {
    let err = refused_claims(json!({ "scope": ["secret-value-xyz"] }));
    assert!(matches!(err, TokenError::Claims(_)), "{err}");
    assert!(!err.to_string().contains("secret-value-xyz"), "{err}");
}

#[test]
fn a_registered_claim_of_the_wrong_type_is_named_before_a_claims_type_mismatch() {
    // Both wrong in one payload: the validator reads the payload once for both when it can,
    // and the registered claim's error still comes first, as when it read it twice.
    let err = refused_claims(json!({ "exp": "9999999999", "scope": ["x"] }));
    assert!(matches!(err, TokenError::ClaimType("exp")), "{err}");
    let err = refused_claims(json!({ "sub": 7, "scope": ["x"] }));
    assert!(matches!(err, TokenError::ClaimType("sub")), "{err}");
    // The claims type's own mismatch, with the registered claims right.
    let err = refused_claims(json!({ "scope": ["x"] }));
    assert!(matches!(err, TokenError::Claims(_)), "{err}");
}

#[test]
fn a_claims_type_that_reads_no_map_of_its_own_still_reads_the_payload() {
    // A newtype around the usual struct, which asks for no map (the one pass gives way to the
    // two passes of before), and a JSON value, which asks for anything (read in one pass).
    #[derive(serde::Deserialize)]
    struct Wrapped(MyClaims);
    impl Claims for Wrapped {
        const REGISTERED: RegisteredClaims = RegisteredClaims::SUB;
        fn subject(&self) -> Option<&str> {
            Some(&self.0.sub)
        }
        fn role_names(&self) -> impl Iterator<Item = &str> {
            self.0.role_names()
        }
        fn permission_names(&self) -> impl Iterator<Item = &str> {
            self.0.permission_names()
        }
    }
    #[derive(serde::Deserialize)]
    #[serde(transparent)]
    struct AnyJson(Value);
    impl Claims for AnyJson {
        const REGISTERED: RegisteredClaims = RegisteredClaims::SUB;
        fn subject(&self) -> Option<&str> {
            self.0["sub"].as_str()
        }
        fn role_names(&self) -> impl Iterator<Item = &str> {
            std::iter::empty()
        }
        fn permission_names(&self) -> impl Iterator<Item = &str> {
            std::iter::empty()
        }
    }
    let k = key(Algorithm::HS256);
    let v = validator_for(k);
    let token = k.mint(&with_claims(json!({ "scope": "reports:read" })));
    let wrapped = rt().block_on(v.validate::<Wrapped>(&token)).unwrap();
    assert_eq!(wrapped.claims.0.scope.as_deref(), Some("reports:read"));
    assert_eq!(wrapped.subject(), Some("alice"));
    let any = rt().block_on(v.validate::<AnyJson>(&token)).unwrap();
    assert_eq!(
        (any.claims.0["iss"].as_str(), any.subject()),
        (Some(ISS), Some("alice"))
    );
    assert_eq!(any.expires_at(), any.claims.0["exp"].as_u64().unwrap());
}

fn segments_token(n: usize) -> String {
    let k = key(Algorithm::HS256);
    let token = k.mint(&good_claims());
    let parts: Vec<&str> = token.split('.').collect();
    match n {
        2 => format!("{}.{}", parts[0], parts[1]),
        4 => format!("{token}.{}", parts[2]),
        5 => format!("{token}.{}.{}", parts[1], parts[2]),
        _ => unreachable!(),
    }
}

#[test]
fn two_segments_are_refused() {
    let t = segments_token(2);
    let err = refused(check(&validator_for(key(Algorithm::HS256)), &t), &t);
    assert!(matches!(err, TokenError::Segments { segments: 2 }), "{err}");
}

#[test]
fn four_segments_are_refused() {
    let t = segments_token(4);
    let err = refused(check(&validator_for(key(Algorithm::HS256)), &t), &t);
    assert!(matches!(err, TokenError::Segments { segments: 4 }), "{err}");
}

#[test]
fn five_segments_are_refused() {
    // Also the shape of a JWE, which is never accepted.
    let t = segments_token(5);
    let err = refused(check(&validator_for(key(Algorithm::HS256)), &t), &t);
    assert!(matches!(err, TokenError::Segments { segments: 5 }), "{err}");
}

#[test]
fn invalid_base64url_is_refused() {
    let k = key(Algorithm::HS256);
    let v = validator_for(k);
    let token = k.mint(&good_claims());
    let parts: Vec<&str> = token.split('.').collect();
    let std_header = STANDARD.encode(k.header().to_string()); // may carry '+', '/' or '='
    let cases = [
        (
            format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
            TokenPart::Header,
        ),
        (
            format!("{std_header}==.{}.{}", parts[1], parts[2]),
            TokenPart::Header,
        ),
        (
            format!("{}.{}.{}", "e30*", parts[1], parts[2]),
            TokenPart::Header,
        ),
        (
            format!("{}.{}.{}+/", parts[0], parts[1], parts[2]),
            TokenPart::Signature,
        ),
        (
            format!("{}.{}.{}", parts[0], parts[1], "A"),
            TokenPart::Signature,
        ),
    ];
    for (t, part) in cases {
        let err = refused(check(&v, &t), &t);
        assert!(
            matches!(err, TokenError::Base64(p) if p == part),
            "{t}: {err}"
        );
    }
    // A payload that is not base64url, under a valid signature over its text.
    let t = k.sign_segments(parts[0], "not*base64");
    let err = refused(check(&v, &t), &t);
    assert!(
        matches!(err, TokenError::Base64(TokenPart::Payload)),
        "{err}"
    );
}

/// Headers are decoded into a stack buffer of 384 bytes when they fit, into a vector when
/// not: both sides of that bound verify alike and refuse the same bad base64url.
#[test]
fn headers_either_side_of_the_decoding_buffer_read_alike() {
    let k = key(Algorithm::HS256);
    let v = validator_for(k);
    let claims = good_claims();
    for total in [300, 383, 384, 385, 400, 2000] {
        let mut header = k.header();
        let base = header.to_string().len() + r#","x-pad":"""#.len();
        header["x-pad"] = json!("p".repeat(total - base));
        assert_eq!(header.to_string().len(), total);
        let token = k.sign(&header, &claims);
        let validated = check(&v, &token).unwrap_or_else(|e| panic!("{total} bytes: {e}"));
        assert_eq!(validated.subject(), Some("alice"));

        // The same header with one character that is not base64url.
        let parts: Vec<&str> = token.split('.').collect();
        let mut bad_header = parts[0].to_owned();
        bad_header.replace_range(20..21, "*");
        let bad = format!("{bad_header}.{}.{}", parts[1], parts[2]);
        let err = refused(check(&v, &bad), &bad);
        assert!(
            matches!(err, TokenError::Base64(TokenPart::Header)),
            "{total} bytes: {err}"
        );
    }
}

#[test]
fn oversized_token_is_refused_before_decoding() {
    let k = key(Algorithm::HS256);
    let v = validator_for(k);
    let big = k.mint(&with_claims(json!({ "scope": "x".repeat(9000) })));
    let err = refused(check(&v, &big), &big);
    assert!(
        matches!(err, TokenError::TooLong { max: 8192, .. }),
        "{err}"
    );
    // Even garbage of that size is refused by length, not by parsing.
    let garbage = "!".repeat(100_000);
    assert!(matches!(
        check(&v, &garbage),
        Err(TokenError::TooLong { .. })
    ));
    assert_eq!(
        check(&v, "").unwrap_err().category(),
        ErrorCategory::InvalidRequest
    );
}

#[test]
fn payload_must_be_a_json_object() {
    let k = key(Algorithm::HS256);
    let v = validator_for(k);
    for payload in [
        "[\"alice\",1]",
        "42",
        "\"text\"",
        "null",
        "{\"exp\":1} trailing",
    ] {
        let t = k.sign_segments(&b64j(&k.header()), &b64(payload.as_bytes()));
        let err = refused(check(&v, &t), &t);
        assert!(
            matches!(
                err,
                TokenError::Json {
                    part: TokenPart::Payload,
                    ..
                }
            ),
            "{payload}: {err}"
        );
    }
    // A header that is not an object, or lacks alg.
    for header in ["[\"HS256\"]", "{}", "{\"alg\":null}"] {
        let t = k.sign_segments(&b64(header.as_bytes()), &b64j(&good_claims()));
        let err = refused(check(&v, &t), &t);
        assert!(
            matches!(
                err,
                TokenError::Json {
                    part: TokenPart::Header,
                    ..
                }
            ),
            "{header}: {err}"
        );
    }
}

#[test]
fn kid_is_capped() {
    let k = key(Algorithm::HS256);
    let mut header = k.header();
    header["kid"] = json!("k".repeat(300));
    let t = k.sign(&header, &good_claims());
    let err = refused(check(&validator_for(k), &t), &t);
    assert!(
        matches!(err, TokenError::KidTooLong { len: 300, .. }),
        "{err}"
    );
}

#[test]
fn typ_check_accepts_at_jwt_spellings_only() {
    let k = key(Algorithm::ES256);
    let v = Validator::builder()
        .algorithms([Algorithm::ES256])
        .key(k.verification_key())
        .issuer(ISS)
        .audience(AUD)
        .typ("at+jwt")
        .build()
        .unwrap();
    for typ in [
        "at+jwt",
        "AT+JWT",
        "application/at+jwt",
        "Application/At+JWT",
    ] {
        let mut header = k.header();
        header["typ"] = json!(typ);
        check(&v, &k.sign(&header, &good_claims())).unwrap_or_else(|e| panic!("{typ}: {e}"));
    }
    for typ in [
        json!("JWT"),
        json!("id+jwt"),
        json!("application/jwt"),
        Value::Null,
    ] {
        let mut header = k.header();
        if typ.is_null() {
            header.as_object_mut().unwrap().remove("typ");
        } else {
            header["typ"] = typ.clone();
        }
        let t = k.sign(&header, &good_claims());
        let err = refused(check(&v, &t), &t);
        assert!(matches!(err, TokenError::WrongType), "{typ}: {err}");
    }
}

#[test]
fn ed25519_fully_specified_name_is_eddsa() {
    let k = key(Algorithm::EdDSA);
    let mut header = k.header();
    header["alg"] = json!("Ed25519");
    let ok = check(&validator_for(k), &k.sign(&header, &good_claims())).unwrap();
    assert_eq!(ok.algorithm(), Algorithm::EdDSA);
}

#[test]
fn jwk_alg_binds_the_key() {
    // An RSA JWK that names RS256 is not used for PS256, even though the key type fits.
    let rs = key(Algorithm::RS256);
    let v = Validator::builder()
        .algorithms([Algorithm::RS256, Algorithm::PS256])
        .key(rs.verification_key())
        .issuer(ISS)
        .audience(AUD)
        .build()
        .unwrap();
    let ps = key(Algorithm::PS256);
    let mut header = ps.header();
    header["kid"] = json!(rs.kid());
    let t = ps.sign(&header, &good_claims());
    let err = refused(check(&v, &t), &t);
    assert!(matches!(err, TokenError::UnknownKey { .. }), "{err}");
    // Without `alg`, an RSA key serves both RSA algorithms.
    let mut jwk = ps.public_jwk();
    jwk.as_object_mut().unwrap().remove("alg");
    let v = Validator::builder()
        .algorithms([Algorithm::RS256, Algorithm::PS256])
        .key(Key::from_jwk(&jwk.to_string()).unwrap())
        .issuer(ISS)
        .audience(AUD)
        .build()
        .unwrap();
    check(&v, &ps.mint(&good_claims())).unwrap();
}

#[test]
fn unsafe_configurations_are_refused() {
    let k = key(Algorithm::ES256);
    let base = || {
        Validator::builder()
            .key(k.verification_key())
            .issuer(ISS)
            .audience(AUD)
    };
    assert!(matches!(base().build(), Err(ConfigError::NoAlgorithms)));
    let no_aud = Validator::builder()
        .algorithms([Algorithm::ES256])
        .key(k.verification_key())
        .issuer(ISS);
    assert!(matches!(no_aud.build(), Err(ConfigError::NoAudience)));
    let no_iss = Validator::builder()
        .algorithms([Algorithm::ES256])
        .key(k.verification_key())
        .audience(AUD);
    assert!(matches!(no_iss.build(), Err(ConfigError::NoIssuer)));
    let short = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(Key::hmac_secret([7u8; 31]))
        .issuer(ISS)
        .audience(AUD)
        .build();
    assert!(matches!(
        short,
        Err(ConfigError::HmacSecretTooShort {
            min: 32,
            len: 31,
            ..
        })
    ));
    let short512 = Validator::builder()
        .algorithms([Algorithm::HS512])
        .key(Key::hmac_secret([7u8; 32]))
        .issuer(ISS)
        .audience(AUD)
        .build();
    assert!(matches!(
        short512,
        Err(ConfigError::HmacSecretTooShort { min: 64, .. })
    ));
    let unusable = base().algorithms([Algorithm::RS256]).build();
    assert!(matches!(unusable, Err(ConfigError::KeyUnusable { .. })));
    let leeway = base()
        .algorithms([Algorithm::ES256])
        .leeway(Duration::from_secs(3600))
        .build();
    assert!(matches!(leeway, Err(ConfigError::LeewayTooLarge(3600))));
    // The explicit opt-outs work.
    let v = Validator::builder()
        .algorithms([Algorithm::ES256])
        .key(k.verification_key())
        .dangerously_accept_any_issuer()
        .dangerously_accept_any_audience()
        .build()
        .unwrap();
    check(
        &v,
        &k.mint(&json!({ "sub": "a", "exp": now() + 60, "aud": "anything" })),
    )
    .unwrap();
}

#[test]
fn small_rsa_keys_are_refused() {
    // A 1024-bit modulus (top bit set) in a JWK.
    let mut n = vec![0xC5u8; 128];
    n[127] |= 1;
    let jwk = json!({ "kty": "RSA", "n": b64(&n), "e": "AQAB" }).to_string();
    assert!(matches!(
        Key::from_jwk(&jwk),
        Err(authz_core::token::KeyError::RsaTooSmall(1024))
    ));
}

#[test]
fn debug_output_never_shows_keys() {
    let k = key(Algorithm::HS256);
    let secret_b64 = b64(k.secret().unwrap());
    let v = validator_for(k);
    let shown = format!("{v:?} {:?} {k:?}", k.verification_key());
    assert!(!shown.contains(&secret_b64[..16]), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
}

struct FailingBackend;
impl Revocation for FailingBackend {
    fn check<'a>(
        &'a self,
        _: RevocationQuery<'a>,
    ) -> BoxFuture<'a, Result<RevocationStatus, RevocationError>> {
        Box::pin(async { Err(RevocationError::new("redis down")) })
    }
}

#[test]
fn revocation_by_jti_and_subject() {
    let k = key(Algorithm::EdDSA);
    let revoked = Arc::new(InMemoryRevocation::new());
    struct Shared(Arc<InMemoryRevocation>);
    impl Revocation for Shared {
        fn check<'a>(
            &'a self,
            q: RevocationQuery<'a>,
        ) -> BoxFuture<'a, Result<RevocationStatus, RevocationError>> {
            self.0.check(q)
        }
    }
    let v = Validator::builder()
        .algorithms([Algorithm::EdDSA])
        .key(k.verification_key())
        .issuer(ISS)
        .audience(AUD)
        .revocation(Shared(Arc::clone(&revoked)))
        .build()
        .unwrap();
    let t1 = k.mint(&with_claims(json!({ "jti": "t1" })));
    check(&v, &t1).unwrap();
    revoked.revoke_jti("t1", now() + 300);
    assert!(matches!(check(&v, &t1), Err(TokenError::Revoked)));

    let t2 = k.mint(&with_claims(
        json!({ "jti": "t2", "sub": "mallory", "iat": now() - 10 }),
    ));
    check(&v, &t2).unwrap();
    revoked.revoke_subject("mallory", now(), now() + 300);
    assert!(matches!(check(&v, &t2), Err(TokenError::Revoked)));
    let t3 = k.mint(&with_claims(
        json!({ "jti": "t3", "sub": "mallory", "iat": now() + 5 }),
    ));
    check(&v, &t3).unwrap();

    let failing = Validator::builder()
        .algorithms([Algorithm::EdDSA])
        .key(k.verification_key())
        .issuer(ISS)
        .audience(AUD)
        .revocation(FailingBackend)
        .build()
        .unwrap();
    let err = check(&failing, &t3).unwrap_err();
    assert_eq!(err.category(), ErrorCategory::Unavailable);
    assert!(matches!(err, TokenError::RevocationUnavailable(_)));
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_strings(s in ".{0,300}") {
            let v = validator_for(key(Algorithm::HS256));
            let _ = check(&v, &s);
        }

        #[test]
        fn arbitrary_segments(h in proptest::collection::vec(any::<u8>(), 0..80),
                              p in proptest::collection::vec(any::<u8>(), 0..80),
                              s in proptest::collection::vec(any::<u8>(), 0..80)) {
            let k = key(Algorithm::HS256);
            let v = validator_for(k);
            let t = format!("{}.{}.{}", b64(&h), b64(&p), b64(&s));
            prop_assert!(check(&v, &t).is_err());
            // Signed garbage payloads get past the signature and must still fail cleanly.
            let t = k.sign_segments(&b64j(&k.header()), &b64(&p));
            prop_assert!(check(&v, &t).is_err());
        }
    }
}

#[test]
fn keys_parsed_once_keep_checking_every_signature() {
    // Asymmetric keys are parsed once per algorithm and reused: a good token verifying first
    // must not make a later forgery (or another key's token under the same kid) pass, whether
    // the key came as a JWK (RSA from `n` and `e`) or as PEM.
    for alg in [
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ] {
        let k = key(alg);
        let mut keys = vec![k.verification_key()];
        if let Some(pem) = k.public_pem() {
            keys.push(Key::from_pem(pem).unwrap().with_kid(k.kid()));
        }
        for verification_key in keys {
            let v = Validator::builder()
                .algorithms([alg])
                .key(verification_key)
                .issuer(ISS)
                .audience(AUD)
                .build()
                .unwrap();
            let good = k.mint(&good_claims());
            let (message, signature) = good.rsplit_once('.').unwrap();
            let mut sig = URL_SAFE_NO_PAD.decode(signature).unwrap();
            sig[5] ^= 0x01;
            let forged = format!("{message}.{}", b64(&sig));
            let other = TestKey::generate(alg, k.kid()).mint(&good_claims());
            for round in 0..3 {
                check(&v, &good).unwrap_or_else(|e| panic!("{alg} round {round}: {e}"));
                let err = refused(check(&v, &forged), &forged);
                assert!(
                    matches!(err, TokenError::BadSignature { .. }),
                    "{alg}: {err}"
                );
                let err = refused(check(&v, &other), &other);
                assert!(
                    matches!(err, TokenError::BadSignature { .. }),
                    "{alg}: {err}"
                );
            }
        }
    }
}
