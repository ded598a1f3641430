//! One validation: the compact JWS split, the header read, the key chosen, the signature
//! verified (or found in the verified-token cache), the claims read and checked.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;

use crate::claims::{Claims, RegisteredClaims};
use crate::token::algorithm::Algorithm;
use crate::token::claims::{
    ClaimValue, RawHeader, RawIssuer, Registered, parse_object, parse_object_seed, read_payload,
};
use crate::token::error::{ClaimsMismatch, TokenError, TokenPart};
use crate::token::keys::{KeySet, MAX_KID_LEN};
use crate::token::revocation::{Revocation, RevocationQuery, RevocationStatus};

use super::{Inner, KeySource, Trusted, Validated};

/// The three segments of a compact JWS, still encoded.
pub(super) struct Parts<'t> {
    header: &'t str,
    payload: &'t str,
    signature: &'t str,
    signing_input: &'t str,
}

pub(super) struct Header {
    alg: Algorithm,
    kid: Option<String>,
    typ: Option<String>,
}

/// A token as far as it was decoded before its key was chosen: its segments, its header, and
/// its payload when the payload had to be read (to find the issuer whose keys to try).
pub(super) struct Decoded<'a, 't> {
    parts: &'a Parts<'t>,
    header: Header,
    payload: Option<Vec<u8>>,
}

impl<'a, 't> Decoded<'a, 't> {
    fn new(parts: &'a Parts<'t>, header: Header, payload: Option<Vec<u8>>) -> Self {
        Self {
            parts,
            header,
            payload,
        }
    }
}

/// How one validation uses the verified-token cache.
#[derive(Clone, Copy)]
pub(super) enum CacheUse<'d> {
    /// No cache.
    Off,
    /// Skip the signature check when this token verified before under the same key.
    Lookup(&'d crate::token::cache::Digest32),
    /// Verify; the caller stores the result.
    Fill,
}

pub(super) fn b64(segment: &str, part: TokenPart) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| TokenError::Base64(part))
}

/// [`b64`] into `buf` when the decoded segment fits there, else into a new vector.
fn b64_in<'b>(
    segment: &str,
    part: TokenPart,
    buf: &'b mut [u8],
) -> Result<Cow<'b, [u8]>, TokenError> {
    if base64::decoded_len_estimate(segment.len()) > buf.len() {
        return b64(segment, part).map(Cow::Owned);
    }
    match URL_SAFE_NO_PAD.decode_slice(segment, buf) {
        Ok(len) => Ok(Cow::Borrowed(&buf[..len])),
        Err(_) => Err(TokenError::Base64(part)),
    }
}

/// Stack room for a decoded header: `alg`, `typ` and a `kid` of up to [`MAX_KID_LEN`] bytes
/// fit. The header and the signature are decoded on the stack, where a buffer this small costs
/// less to clear than an allocation; the payload, of any size up to the token's, into a vector.
const HEADER_BUF: usize = 384;
/// Stack room for a decoded signature: RSA keys of up to 4,096 bits, every ECDSA and EdDSA one.
const SIGNATURE_BUF: usize = 512;

impl Inner {
    pub(super) fn split<'t>(&self, token: &'t str) -> Result<Parts<'t>, TokenError> {
        if token.is_empty() {
            return Err(TokenError::Empty);
        }
        if token.len() > self.max_len {
            return Err(TokenError::TooLong {
                len: token.len(),
                max: self.max_len,
            });
        }
        let mut it = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (it.next(), it.next(), it.next(), it.next())
        else {
            return Err(TokenError::Segments {
                segments: token.split('.').count(),
            });
        };
        let signing_input = &token[..header.len() + 1 + payload.len()];
        Ok(Parts {
            header,
            payload,
            signature,
            signing_input,
        })
    }

    pub(super) fn header(&self, parts: &Parts<'_>) -> Result<Header, TokenError> {
        let mut buf = [0; HEADER_BUF];
        let bytes = b64_in(parts.header, TokenPart::Header, &mut buf)?;
        let raw: RawHeader<'_> = parse_object(&bytes, TokenPart::Header)?;
        if raw.alg.eq_ignore_ascii_case("none") {
            return Err(TokenError::Unsigned);
        }
        let alg = Algorithm::from_name(&raw.alg).ok_or(TokenError::UnsupportedAlgorithm)?;
        if !self.algorithms.contains(&alg) {
            return Err(TokenError::AlgorithmNotAllowed(alg));
        }
        if raw.crit {
            return Err(TokenError::UnsupportedCritical);
        }
        if let Some(kid) = &raw.kid
            && kid.len() > MAX_KID_LEN
        {
            return Err(TokenError::KidTooLong {
                len: kid.len(),
                max: MAX_KID_LEN,
            });
        }
        if let Some(want) = &self.typ {
            let ok = raw
                .typ
                .as_deref()
                .is_some_and(|typ| normalize_typ(typ).eq_ignore_ascii_case(want));
            if !ok {
                return Err(TokenError::WrongType);
            }
        }
        Ok(Header {
            alg,
            kid: raw.kid.map(|k| k.into_owned()),
            typ: raw.typ.map(|t| t.into_owned()),
        })
    }

    /// [`read_any`](Self::read_any), for access tokens: a logout token (OpenID Connect
    /// Back-Channel Logout) is refused, so that it cannot pass for an access token when the
    /// audiences coincide and no `typ` is required. Every access path goes through here
    /// (cached entries are only made from its results); the logout receiver does not.
    pub(super) async fn read<C: Claims + DeserializeOwned>(
        &self,
        parts: &Parts<'_>,
        cache_use: CacheUse<'_>,
        now: u64,
    ) -> Result<(Validated<C>, Option<crate::token::cache::Digest32>), TokenError> {
        let read = self.read_any::<C>(parts, cache_use, now).await?;
        if read.0.logout_event {
            return Err(TokenError::LogoutToken);
        }
        Ok(read)
    }

    /// Everything but revocation: header, key, signature, registered claims, the claims type.
    /// Returns the verifying key's digest when the cache should store the result (the
    /// signature was checked and the cache is on).
    pub(super) async fn read_any<C: Claims + DeserializeOwned>(
        &self,
        parts: &Parts<'_>,
        cache_use: CacheUse<'_>,
        now: u64,
    ) -> Result<(Validated<C>, Option<crate::token::cache::Digest32>), TokenError> {
        let header = self.header(parts)?;
        if parts.signature.is_empty() {
            // A stripped signature: refused before any key is looked up.
            return Err(TokenError::BadSignature {
                kid: header.kid,
                alg: header.alg,
            });
        }
        // With several issuers, the token's claimed `iss` chooses whose keys to try; the
        // payload is decoded (not trusted) for that alone. The claim is checked against the
        // verifying key's issuer after the signature, so a token signed by one issuer's key
        // cannot speak for another issuer.
        let (trusted, payload) = if let [only] = self.sources.as_slice() {
            (only, None)
        } else {
            let payload = b64(parts.payload, TokenPart::Payload)?;
            let claimed: RawIssuer<'_> = parse_object(&payload, TokenPart::Payload)?;
            let trusted = self.trusted(claimed.iss.as_deref())?;
            (trusted, Some(payload))
        };
        let issuer = trusted.issuer.as_deref();
        let (mut validated, key) = match &trusted.keys {
            KeySource::Static(set) => self.finish::<C>(
                Decoded::new(parts, header, payload),
                issuer,
                set,
                cache_use,
                now,
            ),
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => {
                let set = remote.keys_for(header.kid.as_deref(), header.alg).await?;
                self.finish::<C>(
                    Decoded::new(parts, header, payload),
                    issuer,
                    &set,
                    cache_use,
                    now,
                )
            }
        }?;
        // The issuer speaks for its own tenants only, and grants at most its cap. The same
        // scope is kept on the token, for a tenant the application names later.
        let speaks = trusted.authority.speaks(self.sources.len());
        if let Some(tenant) = validated.claims.tenant()
            && !speaks.for_tenant(tenant)
        {
            return Err(TokenError::TenantNotAllowed);
        }
        validated.grants = trusted.authority.grants.clone();
        validated.speaks = speaks;
        Ok((validated, key))
    }

    /// The key source for a token claiming issuer `iss`.
    pub(super) fn trusted(&self, iss: Option<&str>) -> Result<&Trusted, TokenError> {
        if let [only] = self.sources.as_slice() {
            return Ok(only);
        }
        let iss = iss.ok_or(TokenError::MissingClaim("iss"))?;
        self.sources
            .iter()
            .find(|trusted| trusted.issuer.as_deref() == Some(iss))
            .ok_or(TokenError::WrongIssuer)
    }

    /// The digest of the key that a token of issuer `iss` with this `kid` and `alg` selects
    /// now, if any.
    pub(super) async fn current_key(
        &self,
        iss: Option<&str>,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Option<crate::token::cache::Digest32> {
        match &self.trusted(iss).ok()?.keys {
            KeySource::Static(set) => selected_key(set, kid, alg),
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => {
                let set = remote.keys_for(kid, alg).await.ok()?;
                selected_key(&set, kid, alg)
            }
        }
    }

    /// [`current_key`](Self::current_key) without waiting: `None` when the issuer's remote
    /// keys must be fetched first.
    pub(super) fn current_key_now(
        &self,
        iss: Option<&str>,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Option<Option<crate::token::cache::Digest32>> {
        let Ok(trusted) = self.trusted(iss) else {
            return Some(None);
        };
        match &trusted.keys {
            KeySource::Static(set) => Some(selected_key(set, kid, alg)),
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => remote.key_now(kid, alg),
        }
    }

    pub(super) async fn check_revocation<C>(
        &self,
        validated: &Validated<C>,
    ) -> Result<(), TokenError> {
        let Some(revocation) = &self.revocation else {
            return Ok(());
        };
        let query = revocation_query(validated);
        revocation_result(match revocation.check_now(&query) {
            Some(answer) => answer,
            None => revocation.check(query).await,
        })
    }

    /// [`check_revocation`](Self::check_revocation) without waiting: `None` when the backend
    /// must be asked and cannot answer at once.
    pub(super) fn revocation_now<C>(
        &self,
        validated: &Validated<C>,
    ) -> Option<Result<(), TokenError>> {
        let Some(revocation) = &self.revocation else {
            return Some(Ok(()));
        };
        revocation
            .check_now(&revocation_query(validated))
            .map(revocation_result)
    }

    /// The checks that depend on the clock: expiry, not-before, issued-in-the-future, the
    /// lifetime bound and the maximum age, each with the leeway.
    pub(super) fn check_times(
        &self,
        exp: u64,
        nbf: Option<u64>,
        iat: Option<u64>,
        now: u64,
    ) -> Result<(), TokenError> {
        let leeway = self.leeway;
        if now >= exp.saturating_add(leeway) {
            return Err(TokenError::Expired { exp, now, leeway });
        }
        if let Some(nbf) = nbf
            && nbf > now.saturating_add(leeway)
        {
            return Err(TokenError::NotYetValid { nbf, now, leeway });
        }
        if let Some(iat) = iat
            && iat > now.saturating_add(leeway)
        {
            return Err(TokenError::IssuedInFuture { iat, now, leeway });
        }
        if let Some(max) = self.max_lifetime {
            // With `iat`, the whole lifetime; without, what is left of it: either way no token
            // accepted from now on outlives `now + max`, which bounds how long a revocation of
            // it must be kept.
            let lifetime = exp.saturating_sub(iat.unwrap_or(now).min(now));
            if lifetime > max.saturating_add(leeway) {
                return Err(TokenError::LifetimeTooLong { lifetime, max });
            }
        }
        if let Some(max_age) = self.max_age {
            let iat = iat.ok_or(TokenError::MissingClaim("iat"))?;
            if now > iat.saturating_add(max_age).saturating_add(leeway) {
                return Err(TokenError::TooOld { iat, now, max_age });
            }
        }
        Ok(())
    }

    /// Verifies `token` with the key `keys` select (the keys of `issuer`, when bound to
    /// one), then reads its payload.
    pub(super) fn finish<C: Claims + DeserializeOwned>(
        &self,
        token: Decoded<'_, '_>,
        issuer: Option<&str>,
        keys: &KeySet,
        cache_use: CacheUse<'_>,
        now: u64,
    ) -> Result<(Validated<C>, Option<crate::token::cache::Digest32>), TokenError> {
        let Decoded {
            parts,
            header,
            payload,
        } = token;
        let key = keys.select(header.kid.as_deref(), header.alg)?;
        let hit = match (cache_use, &self.cache) {
            (CacheUse::Lookup(digest), Some(cache)) => cache.hit(digest, key.fingerprint(), now),
            _ => false,
        };
        if !hit {
            let mut buf = [0; SIGNATURE_BUF];
            let signature = b64_in(parts.signature, TokenPart::Signature, &mut buf)?;
            if !key.verify(header.alg, parts.signing_input.as_bytes(), &signature) {
                return Err(TokenError::BadSignature {
                    kid: header.kid,
                    alg: header.alg,
                });
            }
        }

        // Authenticated from here on.
        let payload = match payload {
            Some(payload) => payload,
            None => b64(parts.payload, TokenPart::Payload)?,
        };
        // One pass over the payload reads the registered claims and the application's; on
        // any error, two passes (the registered claims first) say which error it is.
        let (reg, claims) = match read_payload::<C>(&payload, &self.extra.names) {
            Some((reg, claims)) => (reg, Some(claims)),
            None => {
                let reg = parse_object_seed(
                    &payload,
                    TokenPart::Payload,
                    Registered {
                        extra: &self.extra.names,
                    },
                )?;
                (reg, None)
            }
        };

        let required = self.required.union(C::REGISTERED);
        let exp = reg.exp.ok_or(TokenError::MissingClaim("exp"))?;
        for (claim, present) in [
            (RegisteredClaims::NBF, reg.nbf.is_some()),
            (
                RegisteredClaims::IAT,
                reg.iat.is_some() || self.max_age.is_some(),
            ),
            (
                RegisteredClaims::ISS,
                reg.iss.is_some() || self.issuers.is_some(),
            ),
            (
                RegisteredClaims::AUD,
                reg.aud.is_some() || self.audiences.is_some(),
            ),
            (RegisteredClaims::JTI, reg.jti.is_some()),
            (RegisteredClaims::SUB, reg.sub.is_some()),
        ] {
            if !present && required.contains(claim) && !self.optional.contains(claim) {
                return Err(TokenError::MissingClaim(
                    claim.names().next().unwrap_or("?"),
                ));
            }
        }
        self.check_times(exp, reg.nbf, reg.iat, now)?;
        if let Some(bound) = issuer {
            // The key that verified the signature belongs to `bound`: the token must be
            // that issuer's (RFC 8725 section 3.8).
            let iss = reg.iss.as_deref().ok_or(TokenError::MissingClaim("iss"))?;
            if iss != bound {
                return Err(TokenError::WrongIssuer);
            }
        } else if let Some(issuers) = &self.issuers {
            let iss = reg.iss.as_deref().ok_or(TokenError::MissingClaim("iss"))?;
            if !issuers.iter().any(|i| i == iss) {
                return Err(TokenError::WrongIssuer);
            }
        }
        if let Some(audiences) = &self.audiences {
            match (reg.aud.as_deref(), self.extra.audience) {
                (Some(aud), _) => {
                    if !aud.iter().any(|a| audiences.iter().any(|want| want == a)) {
                        return Err(TokenError::WrongAudience);
                    }
                }
                (None, None) => return Err(TokenError::MissingClaim("aud")),
                // No `aud`: the configured claim names the audience instead (Cognito's
                // `client_id`). Absent is a wrong audience, never a pass.
                (None, Some(at)) => match &reg.extra[at] {
                    Some(ClaimValue::Str(value)) if audiences.iter().any(|want| want == value) => {}
                    Some(ClaimValue::NotAString) => {
                        return Err(TokenError::ClaimType(self.extra.names[at]));
                    }
                    _ => return Err(TokenError::WrongAudience),
                },
            }
        }
        for (at, want) in &self.extra.required {
            let name = self.extra.names[*at];
            match &reg.extra[*at] {
                Some(ClaimValue::Str(value)) if value == want => {}
                Some(ClaimValue::Str(_)) => return Err(TokenError::ClaimValue(name)),
                Some(ClaimValue::NotAString) => return Err(TokenError::ClaimType(name)),
                None => return Err(TokenError::MissingClaim(name)),
            }
        }

        let claims: C = match claims {
            Some(claims) => claims,
            None => serde_json::from_slice(&payload)
                .map_err(|e| TokenError::Claims(ClaimsMismatch::from_serde(&e)))?,
        };
        // `Lookup` and `Fill` are only made when the cache is on.
        let store = (!matches!(cache_use, CacheUse::Off) && !hit).then(|| *key.fingerprint());
        let texts = super::Texts::new([
            header.kid.as_deref(),
            header.typ.as_deref(),
            reg.iss.as_deref(),
            claims.subject(),
            reg.jti.as_deref(),
            reg.sid.as_deref(),
        ]);
        let validated = Validated {
            alg: header.alg,
            texts,
            exp,
            nbf: reg.nbf,
            iat: reg.iat,
            aud: reg
                .aud
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.into_owned())
                .collect(),
            several_issuers: self.sources.len() > 1,
            logout_event: reg.logout_event,
            grants: None,
            speaks: super::Speaks::Any,
            memo: None,
            resolution: None,
            claims,
        };
        Ok((validated, store))
    }
}

/// The fingerprint of the key `set` selects for `kid` and `alg`, if it selects one.
fn selected_key(
    set: &KeySet,
    kid: Option<&str>,
    alg: Algorithm,
) -> Option<crate::token::cache::Digest32> {
    set.select(kid, alg).ok().map(|key| *key.fingerprint())
}

/// What the revocation hook is asked about a token. `sub` is the claims type's subject (see
/// `finish`), the one the application sees: revoking it refuses exactly the caller that owner
/// checks and audit name.
fn revocation_query<C>(validated: &Validated<C>) -> RevocationQuery<'_> {
    RevocationQuery {
        jti: validated.texts.get(super::Text::Jti),
        sub: validated.texts.get(super::Text::Sub),
        iss: validated.texts.get(super::Text::Iss),
        iat: validated.iat,
        exp: validated.exp,
        sid: validated.texts.get(super::Text::Sid),
        memo: validated.memo.as_ref(),
    }
}

fn revocation_result(
    answer: Result<RevocationStatus, crate::token::revocation::RevocationError>,
) -> Result<(), TokenError> {
    match answer {
        Ok(RevocationStatus::Active) => Ok(()),
        Ok(RevocationStatus::Revoked) => Err(TokenError::Revoked),
        Err(e) => Err(TokenError::RevocationUnavailable(e)),
    }
}

/// `application/at+jwt` and `at+jwt` name the same type (RFC 7515 section 4.1.9).
pub(super) fn normalize_typ(typ: &str) -> &str {
    match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
        _ => typ,
    }
}
