//! The header and the registered claims, parsed strictly: a registered claim of the wrong JSON
//! type is an error, never "absent".

use core::fmt;
use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::error::{TokenError, TokenPart};

mod one_pass;

pub(crate) use one_pass::read_payload;

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

    /// Which member `name` is, if [`member`](Self::member) reads it (every other member is
    /// skipped): found once, for both the choice to read and the reading.
    fn which(&self, name: &str) -> Option<Which> {
        if let Some(i) = CLAIMS.iter().position(|claim| *claim == name) {
            Some(Which::Registered(i))
        } else if name == "sid" {
            Some(Which::Sid)
        } else if name == "events" {
            Some(Which::Events)
        } else {
            self.extra
                .iter()
                .position(|claim| *claim == name)
                .map(Which::Extra)
        }
    }

    fn member<M: Member<'de>>(&mut self, which: Which, value: M) -> Result<(), M::Error> {
        let out = &mut self.out;
        match which {
            Which::Registered(i) => {
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
            }
            Which::Sid => {
                if core::mem::replace(&mut self.seen_sid, true) {
                    return Err(de::Error::duplicate_field("sid"));
                }
                if let ClaimValue::Str(sid) = value.read::<ClaimValue<'de>>()? {
                    out.sid = Some(sid);
                }
            }
            // Twice is refused by the logout receiver's own parser; here either one naming
            // the logout event marks the token.
            Which::Events => out.logout_event |= value.read::<LogoutEvent>()?.0,
            Which::Extra(j) => {
                if out.extra[j].is_some() {
                    return Err(de::Error::duplicate_field(self.extra[j]));
                }
                out.extra[j] = Some(value.read()?);
            }
        }
        Ok(())
    }
}

/// A member [`Collect`] reads: a registered claim (by its place in [`CLAIMS`]), `sid`,
/// `events`, or an extra claim (by its place in [`Registered::extra`]).
#[derive(Clone, Copy)]
enum Which {
    Registered(usize),
    Sid,
    Events,
    Extra(usize),
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
            match collect.which(&name) {
                Some(which) => collect.member(which, Next(&mut map))?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(collect.out)
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
mod tests;
