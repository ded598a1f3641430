//! Reading the bearer token from a request: the `Authorization` header only (RFC 6750 section
//! 2.1), never the query string or a form body.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

/// What the request's credentials look like, before any token validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credentials<'a> {
    /// No bearer credentials at all (no header, or another scheme such as `Basic`).
    Missing,
    /// Bearer credentials that break the syntax of RFC 6750; the reason is client-safe.
    Malformed(&'static str),
    /// A token of the `b64token` syntax. Not yet validated.
    Bearer(&'a str),
}

/// Reads `Authorization: Bearer <token>`. The scheme is case-insensitive; exactly one header
/// and exactly one token are allowed.
pub(crate) fn credentials(headers: &HeaderMap) -> Credentials<'_> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Credentials::Missing;
    };
    if values.next().is_some() {
        return Credentials::Malformed("more than one Authorization header");
    }
    let Ok(value) = value.to_str() else {
        return Credentials::Malformed("the Authorization header is not visible ASCII");
    };
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Credentials::Missing;
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() {
        return Credentials::Malformed("the Bearer credentials are empty");
    }
    if !is_b64token(token) {
        return Credentials::Malformed("the Bearer credentials are not one token");
    }
    Credentials::Bearer(token)
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750 2.1).
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn parse(values: &[&[u8]]) -> Credentials<'static> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(AUTHORIZATION, HeaderValue::from_bytes(value).unwrap());
        }
        // Leak for the 'static borrow in this test helper only.
        let headers: &'static HeaderMap = Box::leak(Box::new(headers));
        credentials(headers)
    }

    #[test]
    fn accepts_one_bearer_token_with_any_scheme_case() {
        assert_eq!(
            parse(&[b"Bearer abc.def.ghi"]),
            Credentials::Bearer("abc.def.ghi")
        );
        assert_eq!(parse(&[b"bEaReR abc"]), Credentials::Bearer("abc"));
        assert_eq!(
            parse(&[b"Bearer   a-b_c~d+e/f=="]),
            Credentials::Bearer("a-b_c~d+e/f==")
        );
    }

    #[test]
    fn other_schemes_and_absence_are_missing_credentials() {
        assert_eq!(parse(&[]), Credentials::Missing);
        assert_eq!(parse(&[b"Basic dXNlcjpwYXNz"]), Credentials::Missing);
        assert_eq!(parse(&[b"Bearerabc"]), Credentials::Missing);
    }

    #[test]
    fn malformed_bearer_credentials_are_invalid_requests() {
        for bad in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Bearer a b",
            b"Bearer a\tb",
            b"Bearer ===",
            b"Bearer a=b",
            b"Bearer \xff",
        ] {
            assert!(
                matches!(parse(&[bad]), Credentials::Malformed(_)),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse(&[b"Bearer a", b"Bearer b"]),
            Credentials::Malformed(_)
        ));
    }
}
