//! Tampered tokens, one call each: a valid token changed the way an attacker would change it,
//! each refused for the reason its function names.
//!
//! | call | what changes | refused with |
//! |---|---|---|
//! | [`signature`] | one character well inside the signature | [`TokenError::BadSignature`] |
//! | [`payload`] | the payload's `sub`, re-encoded, old signature kept | [`TokenError::BadSignature`] |
//! | [`header`] | the header's `kid`, to one no key has | [`TokenError::UnknownKey`] |
//! | [`alg`] | the header's `alg`, to another algorithm | [`TokenError::AlgorithmNotAllowed`] when the validator does not allow it |
//! | [`unsigned`] | the header's `alg` to `none`, the signature removed | [`TokenError::Unsigned`] |
//!
//! [`payload_with`] and [`header_with`] make any other change.
//!
//! ```
//! use authz_core::testkit::{TestKey, claims_for, tamper};
//! use authz_core::{Algorithm, TokenError, Validator};
//!
//! # #[derive(serde::Deserialize, authz_core::Claims)] struct MyClaims { sub: String }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let key = TestKey::generate(Algorithm::ES256, "k1");
//! let validator = Validator::builder()
//!     .algorithms([Algorithm::ES256])
//!     .key(key.verification_key())
//!     .issuer("https://id.example")
//!     .audience("reports-api")
//!     .build()
//!     .unwrap();
//! let token = key.mint(&claims_for("https://id.example", "reports-api", "alice"));
//! assert!(validator.validate::<MyClaims>(&token).await.is_ok());
//!
//! let forged = tamper::payload(&token); // `sub` is someone else now
//! assert!(matches!(
//!     validator.validate::<MyClaims>(&forged).await,
//!     Err(TokenError::BadSignature { .. })
//! ));
//! # });
//! ```
//!
//! [`TokenError::BadSignature`]: crate::TokenError::BadSignature
//! [`TokenError::UnknownKey`]: crate::TokenError::UnknownKey
//! [`TokenError::AlgorithmNotAllowed`]: crate::TokenError::AlgorithmNotAllowed
//! [`TokenError::Unsigned`]: crate::TokenError::Unsigned

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::token::Algorithm;

/// The three segments of a compact JWS.
///
/// # Panics
/// If `token` is not three dot-separated segments (the token is not shown). Test code only.
#[allow(clippy::panic)]
fn segments(token: &str) -> [&str; 3] {
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature), None) => [header, payload, signature],
        _ => panic!("tamper: not a compact JWS (three dot-separated segments)"),
    }
}

/// A segment's JSON object, edited and re-encoded.
///
/// # Panics
/// If the segment is not base64url JSON (its content is not shown). Test code only.
#[allow(clippy::panic)]
fn edit_segment(segment: &str, what: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut value = decode(segment)
        .unwrap_or_else(|| panic!("tamper: the token's {what} is not base64url JSON"));
    edit(&mut value);
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The token with one character in the middle of its signature changed. Every character
/// there carries six bits of the signature (only the last one may hold padding bits a decoder
/// ignores), so the signature no longer verifies: [`TokenError::BadSignature`].
///
/// ```
/// let token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.AAAABBBBCCCC";
/// let forged = authz_core::testkit::tamper::signature(token);
/// assert_eq!(forged, "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.AAAABBABCCCC");
/// ```
///
/// # Panics
/// If `token` is not three segments or its signature is empty.
///
/// [`TokenError::BadSignature`]: crate::TokenError::BadSignature
pub fn signature(token: &str) -> String {
    let [header, payload, signature] = segments(token);
    assert!(!signature.is_empty(), "tamper: the token has no signature");
    let middle = signature.len() / 2;
    let mut changed = signature.as_bytes().to_vec();
    changed[middle] = if changed[middle] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8_lossy(&changed);
    format!("{header}.{payload}.{changed}")
}

/// The token with its payload's `sub` replaced (by `"mallory"`, or `"mallory-<sub>"` when it
/// already was that), re-encoded under the old signature: [`TokenError::BadSignature`]. A
/// token without `sub` gets one.
///
/// ```
/// use authz_core::testkit::{TestKey, claims_for, tamper};
///
/// let key = TestKey::generate(authz_core::Algorithm::HS256, "k1");
/// let token = key.mint(&claims_for("https://id.example", "api", "alice"));
/// let forged = tamper::payload(&token);
/// // Same header and signature, another payload.
/// let (a, b) = (token.split('.').collect::<Vec<_>>(), forged.split('.').collect::<Vec<_>>());
/// assert_eq!((a[0], a[2]), (b[0], b[2]));
/// assert_ne!(a[1], b[1]);
/// ```
///
/// # Panics
/// If `token` is not three segments with a base64url JSON payload.
///
/// [`TokenError::BadSignature`]: crate::TokenError::BadSignature
pub fn payload(token: &str) -> String {
    payload_with(token, |claims| {
        let other = match claims.get("sub").and_then(Value::as_str) {
            Some("mallory") => "mallory-mallory".to_owned(),
            _ => "mallory".to_owned(),
        };
        claims["sub"] = json!(other);
    })
}

/// The token with its payload changed by `edit`, re-encoded under the old signature:
/// [`TokenError::BadSignature`] for any change (a claim added, a role raised, `exp` pushed).
///
/// ```
/// use authz_core::testkit::{TestKey, claims_for, tamper};
///
/// let key = TestKey::generate(authz_core::Algorithm::HS256, "k1");
/// let token = key.mint(&claims_for("https://id.example", "api", "alice"));
/// let forged = tamper::payload_with(&token, |claims| claims["roles"] = "admin".into());
/// assert_ne!(token, forged);
/// ```
///
/// # Panics
/// If `token` is not three segments with a base64url JSON payload.
///
/// [`TokenError::BadSignature`]: crate::TokenError::BadSignature
pub fn payload_with(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let [header, payload, signature] = segments(token);
    let payload = edit_segment(payload, "payload", edit);
    format!("{header}.{payload}.{signature}")
}

/// The token with its header's `kid` changed to one no key has (the old one with
/// `-tampered` appended, or `tampered` when it had none): [`TokenError::UnknownKey`].
///
/// ```
/// use authz_core::testkit::{TestKey, claims_for, tamper};
///
/// let key = TestKey::generate(authz_core::Algorithm::HS256, "k1");
/// let forged = tamper::header(&key.mint(&claims_for("https://id.example", "api", "alice")));
/// let header = tamper::decode(forged.split('.').next().unwrap()).unwrap();
/// assert_eq!((&header["alg"], &header["kid"]), (&"HS256".into(), &"k1-tampered".into()));
/// ```
///
/// # Panics
/// If `token` is not three segments with a base64url JSON header.
///
/// [`TokenError::UnknownKey`]: crate::TokenError::UnknownKey
pub fn header(token: &str) -> String {
    header_with(token, |header| {
        let kid = match header.get("kid").and_then(Value::as_str) {
            Some(kid) => format!("{kid}-tampered"),
            None => "tampered".to_owned(),
        };
        header["kid"] = json!(kid);
    })
}

/// The token with its header's `alg` relabelled `to`, signature kept: the algorithm
/// confusion attack (an RS256 token relabelled HS256, hoping the public key is used as an
/// HMAC secret). A validator that does not allow `to` refuses it with
/// [`TokenError::AlgorithmNotAllowed`]; one that does, with no key for it
/// ([`TokenError::UnknownKey`]) or a signature that does not verify.
///
/// ```
/// use authz_core::Algorithm;
/// use authz_core::testkit::{TestKey, claims_for, tamper};
///
/// let key = TestKey::generate(Algorithm::ES256, "k1");
/// let token = key.mint(&claims_for("https://id.example", "api", "a"));
/// let forged = tamper::alg(&token, Algorithm::HS256);
/// let header = tamper::decode(forged.split('.').next().unwrap()).unwrap();
/// assert_eq!((&header["alg"], &header["kid"]), (&"HS256".into(), &"k1".into()));
/// ```
///
/// # Panics
/// If `token` is not three segments with a base64url JSON header.
///
/// [`TokenError::AlgorithmNotAllowed`]: crate::TokenError::AlgorithmNotAllowed
/// [`TokenError::UnknownKey`]: crate::TokenError::UnknownKey
pub fn alg(token: &str, to: Algorithm) -> String {
    header_with(token, |header| header["alg"] = json!(to.name()))
}

/// The token made unsigned: the header's `alg` set to `none` and the signature removed
/// (`header.payload.`), as RFC 7519 writes an unsecured JWT: [`TokenError::Unsigned`].
///
/// ```
/// use authz_core::testkit::{TestKey, claims_for, tamper};
///
/// let key = TestKey::generate(authz_core::Algorithm::HS256, "k1");
/// let forged = tamper::unsigned(&key.mint(&claims_for("https://id.example", "api", "a")));
/// assert!(forged.ends_with('.'));
/// ```
///
/// # Panics
/// If `token` is not three segments with a base64url JSON header.
///
/// [`TokenError::Unsigned`]: crate::TokenError::Unsigned
pub fn unsigned(token: &str) -> String {
    let forged = header_with(token, |header| header["alg"] = json!("none"));
    let [header, payload, _] = segments(&forged);
    format!("{header}.{payload}.")
}

/// The token with its header changed by `edit`, re-encoded, signature kept. Which error a
/// validator answers depends on the change: an unknown `kid` or `alg` is refused before the
/// signature is checked, a `crit` with [`TokenError::UnsupportedCritical`], a `typ` the
/// validator does not require with [`TokenError::WrongType`], anything else with
/// [`TokenError::BadSignature`] (the header is signed too).
///
/// ```
/// use authz_core::testkit::{TestKey, claims_for, tamper};
///
/// let key = TestKey::generate(authz_core::Algorithm::HS256, "k1");
/// let token = key.mint(&claims_for("https://id.example", "api", "a"));
/// let forged = tamper::header_with(&token, |header| header["typ"] = "JWT".into());
/// assert_eq!(token.split('.').nth(2), forged.split('.').nth(2));
/// ```
///
/// # Panics
/// If `token` is not three segments with a base64url JSON header.
///
/// [`TokenError::UnsupportedCritical`]: crate::TokenError::UnsupportedCritical
/// [`TokenError::WrongType`]: crate::TokenError::WrongType
/// [`TokenError::BadSignature`]: crate::TokenError::BadSignature
pub fn header_with(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let [header, payload, signature] = segments(token);
    let header = edit_segment(header, "header", edit);
    format!("{header}.{payload}.{signature}")
}

/// The JSON of a token segment (the header or the payload), to look at what a tampered token
/// carries; `None` if it is not unpadded base64url JSON.
///
/// ```
/// let header = authz_core::testkit::tamper::decode("eyJhbGciOiJub25lIn0").unwrap();
/// assert_eq!(header["alg"], "none");
/// ```
pub fn decode(segment: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    serde_json::from_slice(&bytes).ok()
}
