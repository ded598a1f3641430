//! Bearer credentials from `Authorization` header values (RFC 6750 section 2.1).

/// What the request's credentials look like, before any validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// No bearer credentials at all (no header, or another scheme such as `Basic`).
    Missing,
    /// Bearer credentials that break the syntax of RFC 6750; the reason is client-safe.
    Malformed(&'static str),
    /// One token of the `b64token` syntax. Not yet validated.
    Bearer(&'a str),
}

/// Reads `Authorization: Bearer <token>` from the values of every `Authorization` header of a
/// request. The scheme is case-insensitive; exactly one header and one token are allowed.
pub fn bearer_credentials<'a>(
    authorization: impl IntoIterator<Item = &'a [u8]>,
) -> Credentials<'a> {
    const NOT_VISIBLE: Credentials<'static> =
        Credentials::Malformed("the Authorization header is not visible ASCII");
    let mut values = authorization.into_iter();
    let Some(value) = values.next() else {
        return Credentials::Missing;
    };
    if values.next().is_some() {
        return Credentials::Malformed("more than one Authorization header");
    }
    let value = trim_end_blank(trim_start_blank(value));
    let (scheme, rest) = match value.iter().position(|&b| b == b' ') {
        Some(space) => (&value[..space], &value[space + 1..]),
        None => (value, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        // Not ours; but bytes no header may carry are refused whatever the scheme.
        return if classes(value) & VISIBLE == 0 {
            NOT_VISIBLE
        } else {
            Credentials::Missing
        };
    }
    let token = trim_start_spaces(rest);
    if token.is_empty() {
        return Credentials::Malformed("the Bearer credentials are empty");
    }
    // The only pass over a good token's bytes; a bad one is read again for the reason. The
    // scheme matched `bearer` and the rest is spaces, so visibility is the token's alone.
    let body = trim_end_padding(token);
    if body.is_empty() || !all_token(body) {
        return if classes(body) & VISIBLE == 0 {
            NOT_VISIBLE
        } else {
            Credentials::Malformed("the Bearer credentials are not one token")
        };
    }
    // `TOKEN` bytes and `=` are ASCII: this never fails.
    match std::str::from_utf8(token) {
        Ok(token) => Credentials::Bearer(token),
        Err(_) => NOT_VISIBLE,
    }
}

/// The token of `Bearer <token>` (the scheme in any case, one space), with nothing checked
/// of the token: what the gate looks up in the verified-token cache before parsing. When the
/// token is one the cache holds (a `b64token` that passed every check), the whole value parses
/// to it in [`bearer_credentials`] as well: it has no blanks to trim and one space after the
/// scheme.
pub(super) fn plain_bearer(value: &[u8]) -> Option<&[u8]> {
    match value.split_at_checked(7) {
        Some((scheme, token))
            if scheme[6] == b' ' && scheme[..6].eq_ignore_ascii_case(b"bearer") =>
        {
            Some(token)
        }
        _ => None,
    }
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750 2.1).
#[cfg(feature = "cookies")]
pub(super) fn is_b64token(token: &str) -> bool {
    let body = trim_end_padding(token.as_bytes());
    !body.is_empty() && all_token(body)
}

/// A byte a header value may carry: visible ASCII, space or tab (RFC 9110 `field-value`,
/// without obs-text).
const VISIBLE: u8 = 1;
/// A byte of a `b64token` before its padding.
const TOKEN: u8 = 2;

/// The classes of every byte, looked up rather than computed: a bearer token is hundreds of
/// bytes, read on every request (range comparisons per byte cost 10 instructions a byte; a
/// lookup and an AND, about 2).
static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        if byte == b' ' || byte == b'\t' || (byte >= 0x21 && byte <= 0x7e) {
            table[b] |= VISIBLE;
        }
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'+' | b'/') {
            table[b] |= TOKEN;
        }
        b += 1;
    }
    table
};

/// Whether every byte of `bytes` is a `b64token` byte before the padding: the class of each
/// byte computed with comparisons that hold no branch, and no early exit, so that the compiler
/// checks 16 or 32 bytes an instruction (a table lookup cannot be vectorised). Checked
/// against [`CLASS`] for every byte by a unit test.
fn all_token(bytes: &[u8]) -> bool {
    fn token(b: u8) -> bool {
        // ASCII letters in either case: setting bit 5 lowers `A`-`Z` and moves no other byte
        // into `a`-`z`.
        let letter = (b | 0x20).wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        letter
            | digit
            | (b == b'-')
            | (b == b'.')
            | (b == b'_')
            | (b == b'~')
            | (b == b'+')
            | (b == b'/')
    }
    bytes.chunks(64).fold(true, |ok, chunk| {
        ok & chunk.iter().fold(true, |all, &b| all & token(b))
    })
}

/// The classes all of `bytes` share (every class for no bytes).
fn classes(bytes: &[u8]) -> u8 {
    bytes
        .iter()
        .fold(VISIBLE | TOKEN, |shared, &b| shared & CLASS[usize::from(b)])
}

fn trim_start_blank(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    bytes
}

fn trim_end_blank(mut bytes: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

fn trim_start_spaces(mut bytes: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = bytes {
        bytes = rest;
    }
    bytes
}

fn trim_end_padding(mut bytes: &[u8]) -> &[u8] {
    while let [rest @ .., b'='] = bytes {
        bytes = rest;
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_vectorised_token_check_agrees_with_the_table_on_every_byte() {
        for b in 0..=255u8 {
            let in_table = CLASS[usize::from(b)] & TOKEN != 0;
            assert_eq!(all_token(&[b]), in_table, "byte {b:#04x}");
            // Inside a long run of good bytes too, where the compiler's vector loop reads it.
            let mut long = vec![b'a'; 200];
            long[137] = b;
            assert_eq!(all_token(&long), in_table, "byte {b:#04x} at 137 of 200");
        }
        assert!(all_token(b""));
    }

    /// The parser as it was written first, three passes over the bytes: the reference the
    /// table-driven one must agree with on every input.
    fn reference(value: &[u8]) -> Credentials<'_> {
        let visible = value
            .iter()
            .all(|&b| b == b' ' || b == b'\t' || (0x21..=0x7e).contains(&b));
        let Some(value) = std::str::from_utf8(value).ok().filter(|_| visible) else {
            return Credentials::Malformed("the Authorization header is not visible ASCII");
        };
        let value = value.trim_matches(|c| c == ' ' || c == '\t');
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Credentials::Missing;
        }
        let token = rest.trim_start_matches(' ');
        if token.is_empty() {
            return Credentials::Malformed("the Bearer credentials are empty");
        }
        let body = token.trim_end_matches('=');
        let b64 = !body.is_empty()
            && body.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
            });
        if !b64 {
            return Credentials::Malformed("the Bearer credentials are not one token");
        }
        Credentials::Bearer(token)
    }

    fn header() -> impl Strategy<Value = Vec<u8>> {
        let scheme =
            prop::sample::select(vec![&b"Bearer"[..], b"bearer", b"BEARER", b"Basic", b""]);
        let blank = prop::collection::vec(prop::sample::select(vec![b' ', b'\t']), 0..3);
        let byte = prop_oneof![
            8 => prop::sample::select(b"abcXYZ019-._~+/=".to_vec()),
            1 => any::<u8>(),
            1 => prop::sample::select(vec![b' ', b'\t', b'"', b',']),
        ];
        (
            blank.clone(),
            scheme,
            blank.clone(),
            prop::collection::vec(byte, 0..40),
            blank,
        )
            .prop_map(|(lead, scheme, mid, token, trail)| {
                [lead, scheme.to_vec(), mid, token, trail].concat()
            })
    }

    proptest! {
        #[test]
        fn agrees_with_the_reference_parser(value in header()) {
            prop_assert_eq!(bearer_credentials([value.as_slice()]), reference(&value));
        }
    }
}
