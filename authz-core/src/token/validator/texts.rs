//! The text fields a validated token keeps (`kid`, `typ`, `iss`, the subject, `jti`, `sid`),
//! in one allocation rather than one each: a token that misses the cache allocates once for
//! all of them, and the [`Validated`](super::Validated) that holds them, moved out through
//! each step of the validation and kept in the cache, is 72 bytes smaller.

use core::fmt;

/// Which text field.
#[derive(Clone, Copy)]
pub(super) enum Text {
    Kid,
    Typ,
    Iss,
    Sub,
    Jti,
    Sid,
}

const COUNT: usize = 6;
const NAMES: [&str; COUNT] = ["kid", "typ", "iss", "sub", "jti", "sid"];

/// The fields back to back in one string. Field `i` ends at `ends[i]` and starts where the
/// field before it ends; bit `i` of `present` tells an absent field from an empty one.
#[derive(Clone)]
pub(super) struct Texts {
    text: Box<str>,
    ends: [usize; COUNT],
    present: u8,
}

impl Texts {
    /// The fields in the order of [`Text`].
    pub(super) fn new(fields: [Option<&str>; COUNT]) -> Self {
        let len = fields.iter().flatten().map(|field| field.len()).sum();
        let mut text = String::with_capacity(len);
        let mut ends = [0; COUNT];
        let mut present = 0;
        for (i, field) in fields.iter().enumerate() {
            if let Some(field) = field {
                text.push_str(field);
                present |= 1 << i;
            }
            ends[i] = text.len();
        }
        Self {
            text: text.into_boxed_str(),
            ends,
            present,
        }
    }

    // Inlined, so that the field is a constant where it is read: a cache hit reads two.
    #[inline]
    pub(super) fn get(&self, which: Text) -> Option<&str> {
        let i = which as usize;
        if self.present & (1 << i) == 0 {
            return None;
        }
        let start = i.checked_sub(1).map_or(0, |before| self.ends[before]);
        self.text.get(start..self.ends[i])
    }
}

impl fmt::Debug for Texts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = [
            Text::Kid,
            Text::Typ,
            Text::Iss,
            Text::Sub,
            Text::Jti,
            Text::Sid,
        ];
        f.debug_map()
            .entries(
                fields
                    .into_iter()
                    .filter_map(|which| Some((NAMES[which as usize], self.get(which)?))),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_reads_back_and_absent_is_not_empty() {
        let texts = Texts::new([Some("k1"), None, Some(""), Some("ålice"), None, Some("s")]);
        assert_eq!(texts.get(Text::Kid), Some("k1"));
        assert_eq!(texts.get(Text::Typ), None);
        assert_eq!(texts.get(Text::Iss), Some(""));
        assert_eq!(texts.get(Text::Sub), Some("ålice"));
        assert_eq!(texts.get(Text::Jti), None);
        assert_eq!(texts.get(Text::Sid), Some("s"));
        assert_eq!(
            format!("{texts:?}"),
            r#"{"kid": "k1", "iss": "", "sub": "ålice", "sid": "s"}"#
        );
        let none = Texts::new([None; COUNT]);
        assert!(
            NAMES
                .iter()
                .enumerate()
                .all(|(i, _)| none.present & (1 << i) == 0)
        );
        assert_eq!(none.get(Text::Sid), None);
    }
}
