//! The bearer header parser (`authz_core::gate::bearer_credentials`, RFC 6750 section 2.1) on
//! arbitrary header values, as an adapter hands them over (`HeaderValue::as_bytes`).
//!
//! Input: header values separated by `\n`, each appended as an `Authorization` header when
//! `http` accepts it as a header value. Beyond "no panic", checks what the parser promises:
//! a token is returned only from exactly one header of visible ASCII that starts with the
//! `Bearer` scheme, and it is one `b64token`, taken verbatim from that header (whose leading and
//! trailing spaces and tabs, HTTP's optional whitespace, are ignored).

#![no_main]

use authz_core::{gate::Credentials, gate::bearer_credentials};
use http::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    let mut values = Vec::new();
    for piece in data.split(|b| *b == b'\n').take(4) {
        if let Ok(value) = HeaderValue::from_bytes(piece) {
            headers.append(AUTHORIZATION, value);
            values.push(piece);
        }
    }
    let parsed = bearer_credentials(headers.get_all(AUTHORIZATION).iter().map(HeaderValue::as_bytes));
    match values.len() {
        0 => assert_eq!(parsed, Credentials::Missing),
        1 => {}
        _ => assert!(matches!(parsed, Credentials::Malformed(_)), "several Authorization headers: {parsed:?}"),
    }
    if let Credentials::Bearer(token) = parsed {
        let value = values[0].trim_ascii_start().trim_ascii_end();
        assert!(value.iter().all(|b| (0x20..0x7f).contains(b)));
        assert!(value.len() > 7 && value[..7].eq_ignore_ascii_case(b"bearer "));
        assert!(value.ends_with(token.as_bytes()), "not taken verbatim");
        assert!(
            value[7..value.len() - token.len()]
                .iter()
                .all(|b| *b == b' ')
        );
        let body = token.trim_end_matches('=');
        assert!(!body.is_empty());
        assert!(body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        }));
    }
});
