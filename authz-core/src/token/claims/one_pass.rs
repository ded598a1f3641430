//! The payload read once for both of its readers: the application's claims type reads it, and
//! each member the validator reads is cut out as it passes and read by [`Collect`] as well.

use core::fmt;
use std::borrow::Cow;

use serde::Deserialize;
use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{Collect, Member, Name, RawRegistered, Which};

/// Reads a payload once into both the application's claims `C` and the registered claims
/// (with the `extra` claims, as [`Registered`](super::Registered) does): `C` reads the
/// payload, and each member the validator reads is cut out as it passes ([`RawValue`],
/// borrowed) and read by both.
///
/// `None` on anything unexpected: an error of either reader, or a claims type that does not
/// read a JSON object as a map. The caller then reads the payload twice, the registered claims
/// first ([`parse_object_seed`](super::parse_object_seed)), so that which error a bad payload
/// gets, and in what order the checks meet it, never depends on this shortcut.
pub(crate) fn read_payload<'de, C: Deserialize<'de>>(
    json: &'de [u8],
    extra: &[&'static str],
) -> Option<(RawRegistered<'de>, C)> {
    if json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    // The payload's UTF-8 checked once, whole, rather than string by string as it is read.
    let mut de = serde_json::Deserializer::from_str(core::str::from_utf8(json).ok()?);
    let mut collect = Collect::new(extra);
    let claims = C::deserialize(Tee {
        de: &mut de,
        collect: &mut collect,
    })
    .ok()?;
    de.end().ok()?;
    Some((collect.out, claims))
}

/// The payload as the application's claims type sees it, with [`Collect`] reading beside.
struct Tee<'a, 'n, 'de> {
    de: &'a mut serde_json::Deserializer<serde_json::de::StrRead<'de>>,
    collect: &'a mut Collect<'n, 'de>,
}

impl<'de> Deserializer<'de> for Tee<'_, '_, 'de> {
    type Error = serde_json::Error;
    // Whatever the claims type asks for, the payload is read as a map: an object is one,
    // and anything that does not take a map is an error, which sends the caller to the
    // two readers.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_map(TeeVisitor {
            visitor,
            collect: self.collect,
        })
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct TeeVisitor<'a, 'n, 'de, V> {
    visitor: V,
    collect: &'a mut Collect<'n, 'de>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TeeVisitor<'_, '_, 'de, V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(TeeMap {
            map,
            collect: self.collect,
            which: None,
        })
    }
}

struct TeeMap<'a, 'n, 'de, A> {
    map: A,
    collect: &'a mut Collect<'n, 'de>,
    /// Which member the current one is, when [`Collect`] reads it.
    which: Option<Which>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for TeeMap<'_, '_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(Name(name)) = self.map.next_key()? else {
            return Ok(None);
        };
        let key = match &name {
            Cow::Borrowed(name) => {
                seed.deserialize(BorrowedStrDeserializer::<A::Error>::new(name))?
            }
            Cow::Owned(name) => seed.deserialize(StrDeserializer::<A::Error>::new(name))?,
        };
        self.which = self.collect.which(&name);
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        let Some(which) = self.which.take() else {
            return self.map.next_value_seed(seed);
        };
        let raw: &'de RawValue = self.map.next_value()?;
        self.collect
            .member(which, Cut(raw.get()))
            .map_err(de::Error::custom)?;
        seed.deserialize(Cut(raw.get())).map_err(de::Error::custom)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

impl<'de> Member<'de> for Cut<'de> {
    type Error = serde_json::Error;
    fn read<T: Deserialize<'de>>(self) -> Result<T, serde_json::Error> {
        T::deserialize(self)
    }
}

/// A member's value cut out of the payload (valid JSON: `serde_json` checked it as it cut),
/// read again by each of the two readers. Reads exactly as `serde_json` reads the same text
/// in place, and does so by handing each request to a `serde_json` deserializer on the text,
/// except where the answer needs no parse: a value skipped, whether an `Option` holds `null`,
/// and a string without escapes (RFC 8259 section 7: its text between the quotes is its
/// value).
struct Cut<'de>(&'de str);

impl<'de> Cut<'de> {
    fn plain_str(&self) -> Option<&'de str> {
        let text = self.0.strip_prefix('"')?.strip_suffix('"')?;
        (!text.contains('\\')).then_some(text)
    }

    fn json(&self) -> serde_json::Deserializer<serde_json::de::StrRead<'de>> {
        serde_json::Deserializer::from_str(self.0)
    }
}

/// Hands the request, with its arguments, to `serde_json` on the cut text.
macro_rules! parse_cut {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(
            self,
            $($arg: $ty,)*
            visitor: V,
        ) -> Result<V::Value, Self::Error> {
            self.json().$method($($arg,)* visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for Cut<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.plain_str() {
            Some(text) => visitor.visit_borrowed_str(text),
            None => self.json().deserialize_any(visitor),
        }
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.plain_str() {
            Some(text) => visitor.visit_borrowed_str(text),
            None => self.json().deserialize_str(visitor),
        }
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_str(visitor)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_str(visitor)
    }
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        if self.0 == "null" {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    // `newtype_struct` is also how `serde_json`'s own `RawValue` is asked for: its
    // deserializer answers that.
    parse_cut! {
        deserialize_bool(); deserialize_i8(); deserialize_i16(); deserialize_i32();
        deserialize_i64(); deserialize_i128(); deserialize_u8(); deserialize_u16();
        deserialize_u32(); deserialize_u64(); deserialize_u128(); deserialize_f32();
        deserialize_f64(); deserialize_char(); deserialize_bytes(); deserialize_byte_buf();
        deserialize_unit(); deserialize_seq(); deserialize_map();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }

    fn is_human_readable(&self) -> bool {
        true
    }
}
