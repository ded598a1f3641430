//! Name rules shared by the macros: identifiers derived from names, and "did you mean".

use proc_macro2::Span;

/// `reports:read_any` -> `ReportsReadAny`: every run of ASCII letters and digits, capitalised.
pub(crate) fn camel_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out
}

/// FNV-1a (64 bits) of a name: `policy!` sorts its names by it and `#[require]` passes it with
/// each name, so that the compile-time lookup compares integers rather than strings (the const
/// evaluator interprets every byte comparison; strings made lookups a visible share of
/// `cargo check` for a large application). The name itself is compared once, on a match.
pub(crate) fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The `NameKey` of `name` that `authz_core`'s lookups compare: its length and its first 32
/// bytes, zero-padded, as two little-endian `u128` literals, written as a tuple.
pub(crate) fn name_key(name: &str) -> proc_macro2::TokenStream {
    let mut bytes = [0u8; 32];
    let head = name.len().min(32);
    bytes[..head].copy_from_slice(&name.as_bytes()[..head]);
    let (low, high) = bytes.split_at(16);
    let part = |half: &[u8]| {
        proc_macro2::Literal::u128_suffixed(u128::from_le_bytes(
            half.try_into().unwrap_or_default(),
        ))
    };
    let (len, low, high) = (
        proc_macro2::Literal::usize_suffixed(name.len()),
        part(low),
        part(high),
    );
    quote::quote!((#len, #low, #high))
}

pub(crate) fn ident(name: &str, span: Span) -> syn::Ident {
    syn::Ident::new(name, span)
}

/// The closest of `known` to `name`, if it is close enough to be a likely typo.
pub(crate) fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    known
        .into_iter()
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// A hint for an unknown name: the likely typo, or else the names that exist.
pub(crate) fn hint<'a>(name: &str, known: impl IntoIterator<Item = &'a str> + Clone) -> String {
    if let Some(close) = closest(name, known.clone()) {
        return format!("did you mean `{close}`?");
    }
    let all: Vec<String> = known.into_iter().map(|k| format!("`{k}`")).collect();
    match all.len() {
        0 => "none are declared".to_owned(),
        n if n <= 12 => format!("known: {}", all.join(", ")),
        n => format!("known: {}, and {} more", all[..12].join(", "), n - 12),
    }
}

/// Levenshtein distance over chars.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_keys_hold_the_length_and_the_first_32_bytes() {
        assert_eq!(
            name_key("ab").to_string(),
            format!("(2usize , {}u128 , 0u128)", 0x6261)
        );
        // Past 32 bytes only the length tells two names apart; the lookup compares the rest.
        let long = "a".repeat(40);
        let ones = u128::from_le_bytes([b'a'; 16]);
        assert_eq!(
            name_key(&long).to_string(),
            format!("(40usize , {ones}u128 , {ones}u128)")
        );
    }

    #[test]
    fn idents() {
        assert_eq!(camel_ident("reports:read_any"), "ReportsReadAny");
        assert_eq!(camel_ident("report-admins.eu"), "ReportAdminsEu");
        assert_eq!(camel_ident("v2:read"), "V2Read");
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("reports:wrte", "reports:write"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            closest("reports:wrte", ["reports:read", "reports:write"]),
            Some("reports:write")
        );
        assert_eq!(closest("billing:pay", ["reports:read"]), None);
        assert_eq!(hint("x", ["a:b"]), "known: `a:b`");
    }
}
