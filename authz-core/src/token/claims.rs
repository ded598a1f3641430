//! The header and the registered claims, parsed strictly: a registered claim of the wrong JSON
//! type is an error, never "absent".

use core::fmt;
use std::borrow::Cow;

use serde::Deserialize;
use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::error::{TokenError, TokenPart};

/// The protected header fields this library reads. `jku`, `x5u`, `jwk` and `x5c` are never
/// read: keys come only from the validator's configuration.
#[derive(Deserialize)]
pub(crate) struct RawHeader<'a> {
    #[serde(borrow, deserialize_with = "strict_str")]
    pub(crate) alg: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) kid: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) typ: Option<Cow<'a, str>>,
    /// Present at all (any value): we implement no extension, so any `crit` is refused.
    #[serde(default, deserialize_with = "present")]
    pub(crate) crit: bool,
}

/// The registered claims (RFC 7519 section 4.1), with strict types, and the values of the
/// extra top-level claims a validator was configured to read
/// ([`ValidatorBuilder::audience_claim`](super::ValidatorBuilder::audience_claim),
/// [`require_claim`](super::ValidatorBuilder::require_claim)), all read in one pass over the
/// payload by [`Registered`].
pub(crate) struct RawRegistered<'a> {
    pub(crate) exp: Option<u64>,
    pub(crate) nbf: Option<u64>,
    pub(crate) iat: Option<u64>,
    pub(crate) iss: Option<Cow<'a, str>>,
    pub(crate) sub: Option<Cow<'a, str>>,
    pub(crate) jti: Option<Cow<'a, str>>,
    pub(crate) aud: Option<Vec<Cow<'a, str>>>,
    /// `sid` (OpenID Connect: the identity provider's session), when it is a string: read for
    /// back-channel logout; another type is ignored, as it names no session.
    pub(crate) sid: Option<Cow<'a, str>>,
    /// Whether `events` is an object with a [`BACKCHANNEL_LOGOUT_EVENT`] member (whatever its
    /// value): the token is a logout token, which must never pass for an access token.
    ///
    /// [`BACKCHANNEL_LOGOUT_EVENT`]: super::BACKCHANNEL_LOGOUT_EVENT
    pub(crate) logout_event: bool,
    /// The extra claims, by their position in [`Registered::extra`]; `None` when absent.
    pub(crate) extra: Vec<Option<ClaimValue<'a>>>,
}

/// An extra claim's value as far as the validator cares: a string, or anything else. Never
/// an error while parsing, so that the validator can name the claim in its own error.
pub(crate) enum ClaimValue<'a> {
    Str(Cow<'a, str>),
    NotAString,
}

/// Reads a payload into [`RawRegistered`], together with the top-level claims named in
/// `extra` (never a registered claim name: the builder refuses those).
pub(crate) struct Registered<'n> {
    pub(crate) extra: &'n [&'static str],
}

/// The `iss` claim alone, read before the signature is checked only to choose which
/// issuer's keys to verify with, when a validator trusts several (nothing else is read, and
/// the claim is checked again against the verifying key's issuer afterwards).
#[derive(Deserialize)]
pub(crate) struct RawIssuer<'a> {
    #[serde(borrow, default, deserialize_with = "claim_str::<_, 3>")]
    pub(crate) iss: Option<Cow<'a, str>>,
}

/// Claim names, indexed by the const parameter of the deserializers, so that a type error can
/// be mapped back to the claim without echoing any value.
const CLAIMS: [&str; 7] = ["exp", "nbf", "iat", "iss", "sub", "jti", "aud"];
const TYPE_ERROR: &str = "authz-claim-type:";

fn type_error<E: de::Error>(index: usize) -> E {
    E::custom(format_args!("{TYPE_ERROR}{index}"))
}

/// Reads a JSON object into `T`, with errors that name no content.
pub(crate) fn parse_object<'a, T: Deserialize<'a>>(
    json: &'a [u8],
    part: TokenPart,
) -> Result<T, TokenError> {
    parse_object_seed(json, part, core::marker::PhantomData)
}

/// [`parse_object`] with a seed (the payload with the configured extra claims).
pub(crate) fn parse_object_seed<'a, S: DeserializeSeed<'a>>(
    json: &'a [u8],
    part: TokenPart,
    seed: S,
) -> Result<S::Value, TokenError> {
    // serde's derived structs also accept a JSON array (fields by position); a JOSE header
    // and a JWT payload must be objects.
    if json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(TokenError::Json {
            part,
            reason: "not a JSON object",
        });
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    let value = seed
        .deserialize(&mut de)
        .and_then(|value| de.end().map(|()| value))
        .map_err(|e| map_json_error(&e, part))?;
    Ok(value)
}

fn map_json_error(e: &serde_json::Error, part: TokenPart) -> TokenError {
    let msg = e.to_string();
    if let Some(rest) = msg.strip_prefix(TYPE_ERROR)
        && let Some(index) = rest
            .bytes()
            .next()
            .map(|b| usize::from(b.wrapping_sub(b'0')))
        && let Some(name) = CLAIMS.get(index)
    {
        return TokenError::ClaimType(name);
    }
    let reason = if msg.starts_with("duplicate field") {
        "a member appears twice"
    } else if msg.starts_with("missing field `alg`") {
        "no alg"
    } else if msg.starts_with("invalid type") || msg.starts_with("invalid value") {
        "a member has the wrong type"
    } else {
        match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "invalid JSON"
            }
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Data => "unexpected content",
        }
    };
    TokenError::Json { part, reason }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

fn strict_str<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'de, str>, D::Error> {
    d.deserialize_str(StrVisitor)
}

// Header members: `null` is a wrong type too, never "absent".
fn opt_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    d.deserialize_str(StrVisitor).map(Some)
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(d).map(|_| true)
}

fn claim_str<'de, D: Deserializer<'de>, const I: usize>(
    d: D,
) -> Result<Option<Cow<'de, str>>, D::Error> {
    d.deserialize_str(StrVisitor)
        .map(Some)
        .map_err(|_: D::Error| type_error(I))
}

struct NumericDate<const I: usize>;

impl<const I: usize> Visitor<'_> for NumericDate<I> {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a NumericDate")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| type_error(I))
    }
    // RFC 7519 section 2: a NumericDate may be fractional. Truncated to whole seconds.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        if (0.0..18_446_744_073_709_549_568.0).contains(&v) {
            Ok(v as u64)
        } else {
            Err(type_error(I))
        }
    }
}

fn numeric_date<'de, D: Deserializer<'de>, const I: usize>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_any(NumericDate::<I>)
        .map(Some)
        .map_err(|_: D::Error| type_error(I))
}

struct AudienceVisitor;

impl<'de> Visitor<'de> for AudienceVisitor {
    type Value = Vec<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(vec![Cow::Borrowed(v)])
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(vec![Cow::Owned(v.to_owned())])
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(16));
        while let Some(item) = seq.next_element::<AudItem<'de>>()? {
            out.push(item.0);
        }
        Ok(out)
    }
}

struct AudItem<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for AudItem<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(StrVisitor).map(AudItem)
    }
}

fn audience<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Cow<'de, str>>>, D::Error> {
    d.deserialize_any(AudienceVisitor)
        .map(Some)
        .map_err(|_: D::Error| type_error(6))
}

/// The strict readers above as `Deserialize` types, for `MapAccess::next_value`.
struct Date<const I: usize>(Option<u64>);

impl<'de, const I: usize> Deserialize<'de> for Date<I> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        numeric_date::<D, I>(d).map(Self)
    }
}

struct Text<'a, const I: usize>(Option<Cow<'a, str>>);

impl<'de, const I: usize> Deserialize<'de> for Text<'de, I> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        claim_str::<D, I>(d).map(Self)
    }
}

struct Audience<'a>(Option<Vec<Cow<'a, str>>>);

impl<'de> Deserialize<'de> for Audience<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        audience(d).map(Self)
    }
}

/// A member name, borrowed from the payload unless it has escapes.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(StrVisitor).map(Name)
    }
}

/// The registered claims as they are read, one member at a time, by either reader: the
/// registered claims alone ([`Registered`]) or beside the application's claims
/// ([`read_payload`]). The members read, the types each may have and the duplicates refused
/// are written here once for both.
struct Collect<'n, 'de> {
    out: RawRegistered<'de>,
    extra: &'n [&'static str],
    // A registered claim twice is refused (as serde's derive does for known fields): two
    // parsers of this token could otherwise read different values.
    seen: [bool; CLAIMS.len()],
    seen_sid: bool,
}

/// A member's value, read once: from the payload's map, or from the member cut out of it.
trait Member<'de> {
    type Error: de::Error;
    fn read<T: Deserialize<'de>>(self) -> Result<T, Self::Error>;
}

/// The next value of a map being read.
struct Next<'a, A>(&'a mut A);

impl<'de, A: MapAccess<'de>> Member<'de> for Next<'_, A> {
    type Error = A::Error;
    fn read<T: Deserialize<'de>>(self) -> Result<T, A::Error> {
        self.0.next_value()
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

/// Hands the request to `serde_json` on the cut text.
macro_rules! parse_cut {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.json().$method(visitor)
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

    parse_cut! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_bytes
        deserialize_byte_buf deserialize_unit deserialize_seq deserialize_map
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.json().deserialize_unit_struct(name, visitor)
    }
    // Also how `serde_json`'s own `RawValue` is asked for: its deserializer answers that.
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.json().deserialize_newtype_struct(name, visitor)
    }
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.json().deserialize_tuple(len, visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.json().deserialize_tuple_struct(name, len, visitor)
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.json().deserialize_struct(name, fields, visitor)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.json().deserialize_enum(name, variants, visitor)
    }
    fn is_human_readable(&self) -> bool {
        true
    }
}

impl<'n, 'de> Collect<'n, 'de> {
    fn new(extra: &'n [&'static str]) -> Self {
        Self {
            out: RawRegistered {
                exp: None,
                nbf: None,
                iat: None,
                iss: None,
                sub: None,
                jti: None,
                aud: None,
                sid: None,
                logout_event: false,
                extra: extra.iter().map(|_| None).collect(),
            },
            extra,
            seen: [false; CLAIMS.len()],
            seen_sid: false,
        }
    }

    /// Whether [`member`](Self::member) reads `name` (it skips every other member).
    fn reads(&self, name: &str) -> bool {
        CLAIMS.contains(&name) || name == "sid" || name == "events" || self.extra.contains(&name)
    }

    fn member<M: Member<'de>>(&mut self, name: &str, value: M) -> Result<(), M::Error> {
        let out = &mut self.out;
        if let Some(i) = CLAIMS.iter().position(|claim| *claim == name) {
            if core::mem::replace(&mut self.seen[i], true) {
                return Err(de::Error::duplicate_field(CLAIMS[i]));
            }
            match i {
                0 => out.exp = value.read::<Date<0>>()?.0,
                1 => out.nbf = value.read::<Date<1>>()?.0,
                2 => out.iat = value.read::<Date<2>>()?.0,
                3 => out.iss = value.read::<Text<'de, 3>>()?.0,
                4 => out.sub = value.read::<Text<'de, 4>>()?.0,
                5 => out.jti = value.read::<Text<'de, 5>>()?.0,
                _ => out.aud = value.read::<Audience<'de>>()?.0,
            }
        } else if name == "sid" {
            if core::mem::replace(&mut self.seen_sid, true) {
                return Err(de::Error::duplicate_field("sid"));
            }
            if let ClaimValue::Str(sid) = value.read::<ClaimValue<'de>>()? {
                out.sid = Some(sid);
            }
        } else if name == "events" {
            // Twice is refused by the logout receiver's own parser; here either one naming
            // the logout event marks the token.
            out.logout_event |= value.read::<LogoutEvent>()?.0;
        } else if let Some(j) = self.extra.iter().position(|claim| *claim == name) {
            if out.extra[j].is_some() {
                return Err(de::Error::duplicate_field(self.extra[j]));
            }
            out.extra[j] = Some(value.read()?);
        } else {
            value.read::<IgnoredAny>()?;
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Registered<'_> {
    type Value = RawRegistered<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Registered<'_> {
    type Value = RawRegistered<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut collect = Collect::new(self.extra);
        while let Some(Name(name)) = map.next_key()? {
            collect.member(&name, Next(&mut map))?;
        }
        Ok(collect.out)
    }
}

/// Reads a payload once into both the application's claims `C` and the registered claims
/// (with the `extra` claims, as [`Registered`] does): `C` reads the payload, and each member
/// the validator reads is cut out as it passes ([`RawValue`], borrowed) and read by both.
///
/// `None` on anything unexpected: an error of either reader, or a claims type that does
/// not read a JSON object as a map. The caller then reads the payload twice, the registered
/// claims first ([`parse_object_seed`]), so that which error a bad payload gets, and in what
/// order the checks meet it, never depends on this shortcut.
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
            name: None,
        })
    }
}

struct TeeMap<'a, 'n, 'de, A> {
    map: A,
    collect: &'a mut Collect<'n, 'de>,
    /// The current member's name, when [`Collect`] reads it.
    name: Option<Cow<'de, str>>,
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
        self.name = self.collect.reads(&name).then_some(name);
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        let Some(name) = self.name.take() else {
            return self.map.next_value_seed(seed);
        };
        let raw: &'de RawValue = self.map.next_value()?;
        self.collect
            .member(&name, Cut(raw.get()))
            .map_err(de::Error::custom)?;
        seed.deserialize(Cut(raw.get())).map_err(de::Error::custom)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// Whether an `events` value names the back-channel logout event. Never an error for another
/// JSON type: `events` is not this validator's to check on an access token, only to notice.
struct LogoutEvent(bool);

struct LogoutEventVisitor;

impl<'de> Visitor<'de> for LogoutEventVisitor {
    type Value = LogoutEvent;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = false;
        while let Some(Name(name)) = map.next_key()? {
            found |= name == super::BACKCHANNEL_LOGOUT_EVENT;
            map.next_value::<IgnoredAny>()?;
        }
        Ok(LogoutEvent(found))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(LogoutEvent(false))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(LogoutEvent(false))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(LogoutEvent(false))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(LogoutEvent(false))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(LogoutEvent(false))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(LogoutEvent(false))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(LogoutEvent(false))
    }
}

impl<'de> Deserialize<'de> for LogoutEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LogoutEventVisitor)
    }
}

struct ClaimValueVisitor;

impl<'de> Visitor<'de> for ClaimValueVisitor {
    type Value = ClaimValue<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(ClaimValue::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(ClaimValue::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(ClaimValue::Str(Cow::Owned(v)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(ClaimValue::NotAString)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(ClaimValue::NotAString)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(ClaimValue::NotAString)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(ClaimValue::NotAString)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ClaimValue::NotAString)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(ClaimValue::NotAString)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(ClaimValue::NotAString)
    }
}

impl<'de> Deserialize<'de> for ClaimValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ClaimValueVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reg(json: &str) -> Result<RawRegistered<'_>, TokenError> {
        parse_object_seed(
            json.as_bytes(),
            TokenPart::Payload,
            Registered { extra: &[] },
        )
    }

    fn extra<'j>(json: &'j str, names: &[&'static str]) -> Result<RawRegistered<'j>, TokenError> {
        parse_object_seed(
            json.as_bytes(),
            TokenPart::Payload,
            Registered { extra: names },
        )
    }

    #[test]
    fn wrong_types_name_the_claim() {
        for (json, claim) in [
            (r#"{"exp":"9999999999"}"#, "exp"),
            (r#"{"exp":null}"#, "exp"),
            (r#"{"exp":-1}"#, "exp"),
            (r#"{"nbf":true}"#, "nbf"),
            (r#"{"iat":[1]}"#, "iat"),
            (r#"{"iss":5}"#, "iss"),
            (r#"{"sub":{}}"#, "sub"),
            (r#"{"jti":1}"#, "jti"),
            (r#"{"aud":123}"#, "aud"),
            (r#"{"aud":["a",1]}"#, "aud"),
            (r#"{"aud":null}"#, "aud"),
        ] {
            match reg(json) {
                Err(TokenError::ClaimType(name)) => assert_eq!(name, claim, "{json}"),
                Err(other) => panic!("{json}: {other}"),
                Ok(_) => panic!("{json} accepted"),
            }
        }
    }

    #[test]
    fn accepted_shapes() {
        let r = reg(r#"{"exp":1.9,"aud":"a","iss":"i\u0041","x":[1,{"y":null}]}"#).unwrap();
        assert_eq!(r.exp, Some(1));
        assert_eq!(r.aud.unwrap(), ["a"]);
        assert_eq!(r.iss.as_deref(), Some("iA"));
        let r = reg(r#"{"aud":["a","b"]}"#).unwrap();
        assert_eq!(r.aud.unwrap(), ["a", "b"]);
        assert!(reg("{}").unwrap().exp.is_none());
    }

    #[test]
    fn the_logout_event_is_noticed_in_any_events_shape() {
        for (json, logout) in [
            (
                r#"{"events":{"http://schemas.openid.net/event/backchannel-logout":{}}}"#,
                true,
            ),
            // A non-object event value still marks a logout token (refused as access token).
            (
                r#"{"events":{"x":1,"http://schemas.openid.net/event/backchannel-logout":7}}"#,
                true,
            ),
            // Escaped key: the same member.
            (
                r#"{"events":{"http:\/\/schemas.openid.net\/event\/backchannel-logout":{}}}"#,
                true,
            ),
            (
                r#"{"events":{"http://schemas.openid.net/event/backchannel-logout/x":{}}}"#,
                false,
            ),
            (
                r#"{"events":["http://schemas.openid.net/event/backchannel-logout"]}"#,
                false,
            ),
            (
                r#"{"events":"http://schemas.openid.net/event/backchannel-logout"}"#,
                false,
            ),
            (
                r#"{"events":null,"x":{"http://schemas.openid.net/event/backchannel-logout":{}}}"#,
                false,
            ),
            ("{}", false),
        ] {
            assert_eq!(reg(json).unwrap().logout_event, logout, "{json}");
        }
    }

    #[test]
    fn not_objects_and_duplicates() {
        for json in ["[1]", "1", "\"x\"", "", "{", r#"{"exp":1,"exp":2}"#, "{} x"] {
            assert!(matches!(reg(json), Err(TokenError::Json { .. })), "{json}");
        }
    }

    #[test]
    fn header_crit_and_types() {
        let h: RawHeader<'_> =
            parse_object(br#"{"alg":"RS256","crit":[]}"#, TokenPart::Header).unwrap();
        assert!(h.crit);
        let h: RawHeader<'_> = parse_object(br#"{"alg":"RS256"}"#, TokenPart::Header).unwrap();
        assert!(!h.crit && h.kid.is_none());
        for json in [
            r#"{"alg":1}"#,
            r#"{"kid":"a"}"#,
            r#"{"alg":"RS256","kid":7}"#,
            r#"{"alg":"RS256","typ":null}"#,
        ] {
            assert!(
                parse_object::<RawHeader<'_>>(json.as_bytes(), TokenPart::Header).is_err(),
                "{json}"
            );
        }
    }

    #[test]
    fn extra_claims_in_the_same_pass() {
        let names = ["client_id", "token_use"];
        let r = extra(
            r#"{"client_id":"abc","exp":5,"token_use":"acc\u0065ss","x":{"client_id":1}}"#,
            &names,
        )
        .unwrap();
        assert_eq!(r.exp, Some(5));
        let [
            Some(ClaimValue::Str(client)),
            Some(ClaimValue::Str(token_use)),
        ] = &r.extra[..]
        else {
            panic!("both read as strings");
        };
        assert_eq!((&**client, &**token_use), ("abc", "access"));

        // Absent, and any other JSON type, are told apart from a string without an error.
        for json in [
            r#"{"client_id":null}"#,
            r#"{"client_id":1}"#,
            r#"{"client_id":1.5}"#,
            r#"{"client_id":true}"#,
            r#"{"client_id":["abc"]}"#,
            r#"{"client_id":{"a":[1,{"b":"c"}]}}"#,
        ] {
            let r = extra(json, &names).unwrap();
            assert!(
                matches!(r.extra[..], [Some(ClaimValue::NotAString), None]),
                "{json}"
            );
        }
        assert!(matches!(
            extra(r#"{"client_id":"a","client_id":"b"}"#, &names),
            Err(TokenError::Json {
                reason: "a member appears twice",
                ..
            })
        ));
        // A name not configured is skipped, even twice (as before).
        assert!(extra(r#"{"other":1,"other":2}"#, &names).is_ok());
    }

    /// An application's claims type of the usual shape: the subject it also reads as a
    /// registered claim, its own claims, and members of neither.
    #[derive(Deserialize, Debug, PartialEq)]
    struct App {
        sub: String,
        #[serde(default)]
        roles: Vec<String>,
        #[serde(default)]
        aud: serde_json::Value,
        #[serde(default)]
        iss: Option<String>,
        #[serde(default)]
        exp: Option<f64>,
    }

    /// What either reader made of a payload, comparable.
    fn seen(r: &RawRegistered<'_>) -> String {
        let extra: Vec<_> = r
            .extra
            .iter()
            .map(|v| match v {
                None => "absent".to_owned(),
                Some(ClaimValue::NotAString) => "not a string".to_owned(),
                Some(ClaimValue::Str(s)) => format!("{s:?}"),
            })
            .collect();
        format!(
            "{:?}",
            (
                (r.exp, r.nbf, r.iat),
                (&r.iss, &r.sub, &r.jti, &r.aud, &r.sid),
                r.logout_event,
                extra
            )
        )
    }

    const NAMES: [&str; 2] = ["client_id", "token_use"];

    /// The two readers of before, one after the other, as the validator falls back to.
    fn two_passes(json: &str) -> Result<(String, App), String> {
        let reg = extra(json, &NAMES).map_err(|e| format!("registered: {e}"))?;
        let app = serde_json::from_str::<App>(json).map_err(|e| format!("claims: {e}"))?;
        Ok((seen(&reg), app))
    }

    fn one_pass(json: &str) -> Option<(String, App)> {
        read_payload::<App>(json.as_bytes(), &NAMES).map(|(reg, app)| (seen(&reg), app))
    }

    #[test]
    fn one_pass_reads_what_two_passes_read() {
        for json in [
            r#"{"sub":"alice","exp":5}"#,
            r#"{"iss":"https://idp","sub":"alice","aud":["api","other"],"exp":1.9,"iat":1,"nbf":0,"jti":"j-1","roles":["admin"]}"#,
            // Escapes in a name and in a value: the same member, the same value.
            r#"{"s\u0075b":"al\u0069ce","iss":"i\/j","exp":5}"#,
            r#"{"sub":"a","sid":"s-1","events":{"x":1,"http://schemas.openid.net/event/backchannel-logout":{}}}"#,
            r#"{"sub":"a","sid":7,"events":["x"],"aud":"api"}"#,
            r#"{"sub":"a","client_id":"abc","token_use":{"k":[1,2]},"x":{"sub":"b","exp":"no"}}"#,
            r#"  {"sub":"a","other":1,"other":2,"roles":[]}  "#,
        ] {
            let two = two_passes(json).unwrap();
            assert_eq!(one_pass(json), Some(two), "{json}");
        }
    }

    #[test]
    fn one_pass_gives_way_on_every_error_so_that_two_passes_name_it() {
        for (json, error) in [
            // The registered reader's errors, which the validator reports before any of the
            // claims type's: a wrong type, a member twice, not an object, not JSON.
            (
                r#"{"sub":"a","exp":"5"}"#,
                "registered: the registered claim `exp` has the wrong",
            ),
            (
                r#"{"sub":"a","exp":1,"exp":2}"#,
                "registered: the token's payload is not a valid JSON object (a member appears twice)",
            ),
            (
                r#"{"sub":"a","client_id":"x","client_id":"y"}"#,
                "registered: the token's payload is not a valid JSON object (a member appears twice)",
            ),
            (
                r#"{"exp":1,"sub":1}"#,
                "registered: the registered claim `sub` has the wrong",
            ),
            (
                r#"[{"sub":"a"}]"#,
                "registered: the token's payload is not a valid JSON object (not a JSON object)",
            ),
            (
                r#"{"sub":"a"} {}"#,
                "registered: the token's payload is not a valid JSON object (invalid JSON)",
            ),
            // The claims type's own: a member it needs is absent, or of another type.
            (r#"{"exp":1}"#, "claims: missing field `sub`"),
            (r#"{"sub":"a","roles":"admin"}"#, "claims: invalid type"),
        ] {
            let two = two_passes(json).unwrap_err();
            assert!(two.starts_with(error), "{json}: {two}");
            assert_eq!(one_pass(json), None, "{json}");
        }
    }

    #[test]
    fn a_payload_that_is_not_utf8_is_left_to_the_two_passes() {
        // Not UTF-8 inside a member no reader reads: `serde_json` skips such a string without
        // checking it. The one pass checks the whole payload first and gives way, so the two
        // passes decide, as they did before it.
        let json = b"{\"sub\":\"a\",\"x\":\"\xff\"}";
        assert!(read_payload::<App>(json, &NAMES).is_none());
        let reg = parse_object_seed(json, TokenPart::Payload, Registered { extra: &NAMES });
        assert!(reg.is_ok());
        // In a member a reader reads, it is an error, the same from either parser.
        let json = b"{\"sub\":\"\xff\"}";
        assert!(read_payload::<App>(json, &NAMES).is_none());
        assert!(matches!(
            parse_object_seed(json, TokenPart::Payload, Registered { extra: &NAMES }),
            Err(TokenError::ClaimType("sub"))
        ));
    }

    #[test]
    fn the_one_pass_cuts_out_every_member_the_registered_reader_reads() {
        let collect = Collect::new(&NAMES);
        for name in CLAIMS.iter().chain(&["sid", "events"]).chain(&NAMES) {
            assert!(collect.reads(name), "{name}");
        }
        for name in ["", "ex", "expp", "roles", "Sub", "event", "client"] {
            assert!(!collect.reads(name), "{name}");
        }
    }

    fn member() -> impl Strategy<Value = String> {
        let name = prop::sample::select(vec![
            "exp",
            "nbf",
            "iat",
            "iss",
            "sub",
            "jti",
            "aud",
            "sid",
            "events",
            "client_id",
            "token_use",
            "roles",
            "x",
            "s\\u0075b",
        ]);
        let value = prop::sample::select(vec![
            "1",
            "1.5",
            "-1",
            "\"a\"",
            "\"b\\u0063\"",
            "null",
            "true",
            "[\"a\",\"b\"]",
            "[1]",
            "{}",
            "{\"http://schemas.openid.net/event/backchannel-logout\":{}}",
        ]);
        (name, value).prop_map(|(n, v)| format!("\"{n}\":{v}"))
    }

    proptest! {
        /// Whenever the two readers of before both accept a payload, the one pass accepts it
        /// with the same values; whenever either refuses it, the one pass gives way.
        #[test]
        fn one_pass_agrees_with_two(members in prop::collection::vec(member(), 0..8)) {
            let json = format!("{{{}}}", members.join(","));
            match two_passes(&json) {
                Ok(two) => prop_assert_eq!(one_pass(&json), Some(two)),
                Err(_) => prop_assert_eq!(one_pass(&json), None),
            }
        }
    }
}
