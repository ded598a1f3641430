//! Token minting with generated keys, and a JWKS server on loopback.

use core::fmt;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::KeyPair as _;
use aws_lc_rs::{hmac, rand, rsa, signature};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::{Value, json};

use crate::token::{Algorithm, BACKCHANNEL_LOGOUT_EVENT, Key};
use crate::util::unix_now;

/// The current time in unix seconds, as the validator reads it.
pub fn now() -> u64 {
    unix_now()
}

/// Claims with `iss`, `aud`, `sub`, `iat` = now and `exp` = now + 5 min.
///
/// [`TestKey::mint`] signs them as an access token: under the header `typ: at+jwt` of RFC 9068,
/// so a validator that requires it ([`typ("at+jwt")`](crate::token::ValidatorBuilder::typ))
/// accepts them as it accepts no ID token or logout token. For a provider's own layout
/// (Keycloak's payload `typ: "Bearer"`, Cognito's `token_use`), see
/// [`ProviderClaims`](super::ProviderClaims).
///
/// ```
/// use authz_core::testkit::{TestKey, claims_for};
/// use authz_core::{Algorithm, Validator};
///
/// # #[derive(serde::Deserialize, authz_core::Claims)] struct MyClaims { sub: String }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let key = TestKey::generate(Algorithm::ES256, "k1");
/// let validator = Validator::builder()
///     .algorithms([Algorithm::ES256])
///     .key(key.verification_key())
///     .issuer("https://id.example")
///     .audience("reports-api")
///     .typ("at+jwt")
///     .build()
///     .unwrap();
/// let token = key.mint(&claims_for("https://id.example", "reports-api", "alice"));
/// assert!(validator.validate::<MyClaims>(&token).await.is_ok());
///
/// // The same claims under another `typ` are not an access token.
/// let mut header = key.header();
/// header["typ"] = "JWT".into();
/// let other = key.sign(&header, &claims_for("https://id.example", "reports-api", "alice"));
/// assert!(validator.validate::<MyClaims>(&other).await.is_err());
/// # });
/// ```
pub fn claims_for(issuer: &str, audience: &str, subject: &str) -> Value {
    let now = now();
    json!({ "iss": issuer, "aud": audience, "sub": subject, "iat": now, "exp": now + 300 })
}

/// The claims of an OpenID Connect back-channel logout token (Back-Channel Logout 1.0 section
/// 2.4) from `issuer` to the client `audience`, naming the user `subject`, the session
/// `session`, or both: `iss`, `aud`, `iat` = now, `exp` = now + 2 min, a fresh random `jti`,
/// `events` with [`BACKCHANNEL_LOGOUT_EVENT`] and no `nonce`. Sign them with
/// [`TestKey::mint_logout`], or in one call with [`TestKey::logout_token`]; edit the value in
/// between to test a refusal.
///
/// ```
/// use authz_core::testkit::logout_claims;
///
/// let mut claims = logout_claims("https://id.example", "reports-web", Some("ann"), None);
/// claims.as_object_mut().unwrap().remove("jti"); // a logout token without a jti
/// assert!(claims.get("sid").is_none() && claims["sub"] == "ann");
/// ```
pub fn logout_claims(
    issuer: &str,
    audience: &str,
    subject: Option<&str>,
    session: Option<&str>,
) -> Value {
    let now = now();
    let mut claims = json!({
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + 120,
        "jti": random_id(),
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    });
    if let Some(subject) = subject {
        claims["sub"] = json!(subject);
    }
    if let Some(session) = session {
        claims["sid"] = json!(session);
    }
    claims
}

/// 16 random bytes, base64url: a `jti` no other minted token shares.
#[allow(clippy::expect_used)]
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes).expect("random jti");
    b64(&bytes)
}

enum Signer {
    Rsa(rsa::KeyPair),
    Ec(signature::EcdsaKeyPair),
    Ed(signature::Ed25519KeyPair),
    Hmac(Vec<u8>),
}

/// A freshly generated signing key with a `kid`, for minting test tokens.
///
/// `Debug` shows the `kid` and algorithm only.
pub struct TestKey {
    alg: Algorithm,
    kid: String,
    signer: Signer,
    jwk: Value,
    spki_der: Option<Vec<u8>>,
}

impl fmt::Debug for TestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl TestKey {
    /// Generates a key for `alg`: RSA 2048 for RS*/PS*, P-256/P-384 for ES256/ES384, Ed25519
    /// for EdDSA, a random 64-byte secret for HS*.
    ///
    /// # Panics
    /// If the system's random source fails (test code only).
    #[allow(clippy::expect_used)]
    pub fn generate(alg: Algorithm, kid: &str) -> Self {
        let (signer, jwk, spki_der) = match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => {
                let pair =
                    rsa::KeyPair::generate(rsa::KeySize::Rsa2048).expect("RSA key generation");
                let public = pair.public_key();
                let jwk = json!({
                    "kty": "RSA",
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                    "e": b64(public.exponent().big_endian_without_leading_zero()),
                });
                let der = public.as_der().expect("RSA SPKI").as_ref().to_vec();
                (Signer::Rsa(pair), jwk, Some(der))
            }
            Algorithm::ES256 | Algorithm::ES384 => {
                let (signing, crv, len) = if alg == Algorithm::ES256 {
                    (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", 32)
                } else {
                    (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", 48)
                };
                let pair = signature::EcdsaKeyPair::generate(signing).expect("EC key generation");
                let point = pair.public_key().as_ref();
                let jwk = json!({
                    "kty": "EC",
                    "crv": crv,
                    "x": b64(&point[1..=len]),
                    "y": b64(&point[1 + len..]),
                });
                let der = pair
                    .public_key()
                    .as_der()
                    .expect("EC SPKI")
                    .as_ref()
                    .to_vec();
                (Signer::Ec(pair), jwk, Some(der))
            }
            Algorithm::EdDSA => {
                let pair = signature::Ed25519KeyPair::generate().expect("Ed25519 key generation");
                let jwk =
                    json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref()) });
                let der = pair
                    .public_key()
                    .as_der()
                    .expect("Ed25519 SPKI")
                    .as_ref()
                    .to_vec();
                (Signer::Ed(pair), jwk, Some(der))
            }
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                let mut secret = vec![0u8; 64];
                rand::fill(&mut secret).expect("random secret");
                let jwk = json!({ "kty": "oct", "k": b64(&secret) });
                (Signer::Hmac(secret), jwk, None)
            }
        };
        let mut jwk = jwk;
        jwk["kid"] = json!(kid);
        jwk["alg"] = json!(alg.name());
        jwk["use"] = json!("sig");
        Self {
            alg,
            kid: kid.to_owned(),
            signer,
            jwk,
            spki_der,
        }
    }

    /// The algorithm the key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key's `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK (for HS*, the secret as an `oct` JWK), with `kid`, `alg` and `use`.
    pub fn public_jwk(&self) -> Value {
        self.jwk.clone()
    }

    /// The public key as a PEM SubjectPublicKeyInfo (`None` for HMAC).
    pub fn public_pem(&self) -> Option<String> {
        let der = self.spki_der.as_ref()?;
        let body = STANDARD.encode(der);
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(core::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        Some(pem)
    }

    /// The public key as DER SubjectPublicKeyInfo (`None` for HMAC).
    pub fn public_der(&self) -> Option<&[u8]> {
        self.spki_der.as_deref()
    }

    /// The HMAC secret (`None` for asymmetric keys).
    pub fn secret(&self) -> Option<&[u8]> {
        match &self.signer {
            Signer::Hmac(secret) => Some(secret),
            _ => None,
        }
    }

    /// The verification key for a validator, with this key's `kid` and algorithm.
    ///
    /// # Panics
    /// Never for keys made by [`TestKey::generate`].
    #[allow(clippy::expect_used)]
    pub fn verification_key(&self) -> Key {
        let jwk = self.jwk.to_string();
        Key::from_jwk(&jwk).expect("generated keys are valid JWKs")
    }

    /// The header of an access token: `alg`, `typ: at+jwt` (RFC 9068), `kid`.
    pub fn header(&self) -> Value {
        json!({ "alg": self.alg.name(), "typ": "at+jwt", "kid": self.kid })
    }

    /// Signs `claims` as an access token, under [`header`](Self::header).
    pub fn mint(&self, claims: &Value) -> String {
        self.sign(&self.header(), claims)
    }

    /// Signs `claims` as a back-channel logout token: under the header `typ: logout+jwt`
    /// (Back-Channel Logout 1.0 section 2.4), with `alg` and `kid`. See [`logout_claims`].
    ///
    /// ```
    /// use authz_core::testkit::{TestKey, logout_claims, tamper};
    ///
    /// let key = TestKey::generate(authz_core::Algorithm::ES256, "k1");
    /// let mut claims = logout_claims("https://id.example", "reports-web", None, Some("s-1"));
    /// claims["nonce"] = "n-1".into(); // an ID token's member, which a receiver refuses
    /// let token = key.mint_logout(&claims);
    /// let header = tamper::decode(token.split('.').next().unwrap()).unwrap();
    /// assert_eq!(header["typ"], "logout+jwt");
    /// ```
    pub fn mint_logout(&self, claims: &Value) -> String {
        self.sign(
            &json!({ "alg": self.alg.name(), "typ": "logout+jwt", "kid": self.kid }),
            claims,
        )
    }

    /// A back-channel logout token in one call: [`logout_claims`] signed with
    /// [`mint_logout`](Self::mint_logout). Name the user, the session, or both.
    ///
    /// ```
    /// use authz_core::testkit::TestKey;
    /// use authz_core::token::{BackChannelLogout, InMemoryRevocation};
    /// use authz_core::{Algorithm, Validator};
    /// use std::sync::Arc;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let key = TestKey::generate(Algorithm::RS256, "k1");
    /// let validator = |audience: &str| {
    ///     Validator::builder()
    ///         .algorithms([Algorithm::RS256])
    ///         .key(key.verification_key())
    ///         .issuer("https://id.example")
    ///         .audience(audience)
    /// };
    /// let revocations = Arc::new(InMemoryRevocation::new());
    /// let access = validator("reports-api").revocation_store(revocations).build().unwrap();
    /// let logout = BackChannelLogout::new(validator("reports-web").build().unwrap(), &access).unwrap();
    ///
    /// let token = key.logout_token("https://id.example", "reports-web", Some("ann"), Some("s-1"));
    /// let done = logout.receive(&token).await.unwrap();
    /// assert_eq!((done.subject(), done.session()), (Some("ann"), Some("s-1")));
    /// // Received once only.
    /// assert!(logout.receive(&token).await.is_err());
    /// # });
    /// ```
    pub fn logout_token(
        &self,
        issuer: &str,
        audience: &str,
        subject: Option<&str>,
        session: Option<&str>,
    ) -> String {
        self.mint_logout(&logout_claims(issuer, audience, subject, session))
    }

    /// Signs any header and payload JSON, as given (the header's `alg` is not checked, so
    /// tests can lie in it).
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        self.sign_segments(
            &b64(header.to_string().as_bytes()),
            &b64(claims.to_string().as_bytes()),
        )
    }

    /// Signs two already-encoded segments: `header.payload.signature`.
    pub fn sign_segments(&self, header_b64: &str, payload_b64: &str) -> String {
        let input = format!("{header_b64}.{payload_b64}");
        let signature = self.sign_bytes(input.as_bytes());
        format!("{input}.{}", b64(&signature))
    }

    /// The raw signature of `message` with this key's algorithm.
    ///
    /// # Panics
    /// If the crypto library fails to sign (test code only).
    #[allow(clippy::expect_used)]
    pub fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        let rng = rand::SystemRandom::new();
        match &self.signer {
            Signer::Rsa(pair) => {
                let padding: &'static dyn signature::RsaEncoding = match self.alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_SHA384,
                    _ => &signature::RSA_PSS_SHA512,
                };
                let mut out = vec![0u8; pair.public_modulus_len()];
                pair.sign(padding, &rng, message, &mut out)
                    .expect("RSA signature");
                out
            }
            Signer::Ec(pair) => pair
                .sign(&rng, message)
                .expect("ECDSA signature")
                .as_ref()
                .to_vec(),
            Signer::Ed(pair) => pair.sign(message).as_ref().to_vec(),
            Signer::Hmac(secret) => {
                let alg = match self.alg {
                    Algorithm::HS384 => hmac::HMAC_SHA384,
                    Algorithm::HS512 => hmac::HMAC_SHA512,
                    _ => hmac::HMAC_SHA256,
                };
                hmac::sign(&hmac::Key::new(alg, secret), message)
                    .as_ref()
                    .to_vec()
            }
        }
    }
}

/// A JWKS document holding the public JWKs of `keys`.
pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>() })
}

/// How a [`JwksServer`] answers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServeMode {
    /// Serve the JWKS and the discovery document.
    Normal,
    /// Answer every request with this HTTP status and an empty body.
    Status(u16),
    /// Answer 200 with a body that is not JSON.
    Garbage,
    /// Wait this long before answering normally (to trip client timeouts).
    Delay(Duration),
    /// Answer 200 with a JSON body of this many bytes (to trip size limits).
    Oversized(usize),
}

struct ServerState {
    jwks: Value,
    mode: ServeMode,
    discovery_issuer: Option<String>,
    hits: HashMap<String, usize>,
}

/// An HTTP server on `127.0.0.1:0` serving `/jwks.json` and
/// `/.well-known/openid-configuration` (issuer = [`JwksServer::issuer`], unless overridden),
/// counting requests per path. Stops when dropped. Needs a Tokio runtime.
pub struct JwksServer {
    addr: SocketAddr,
    state: Arc<Mutex<ServerState>>,
    task: tokio::task::JoinHandle<()>,
}

impl fmt::Debug for JwksServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl JwksServer {
    /// Binds `127.0.0.1:0` and starts serving an empty key set.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(ServerState {
            jwks: json!({ "keys": [] }),
            mode: ServeMode::Normal,
            discovery_issuer: None,
            hits: HashMap::new(),
        }));
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(respond(&state, addr, req.uri().path()).await) }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Ok(Self { addr, state, task })
    }

    /// `http://127.0.0.1:PORT`, the issuer named by the discovery document by default.
    pub fn issuer(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The JWKS URL.
    pub fn jwks_url(&self) -> String {
        format!("http://{}/jwks.json", self.addr)
    }

    /// Serves the public JWKs of these keys from now on.
    pub fn set_keys(&self, keys: &[&TestKey]) {
        self.set_jwks(jwks(keys));
    }

    /// Serves this JWKS document from now on.
    pub fn set_jwks(&self, doc: Value) {
        self.with(|s| s.jwks = doc);
    }

    /// Changes how the server answers.
    pub fn set_mode(&self, mode: ServeMode) {
        self.with(|s| s.mode = mode);
    }

    /// Makes the discovery document name another issuer.
    pub fn set_discovery_issuer(&self, issuer: impl Into<String>) {
        let issuer = issuer.into();
        self.with(|s| s.discovery_issuer = Some(issuer));
    }

    /// How many requests reached `path` (for example `"/jwks.json"`).
    pub fn hits(&self, path: &str) -> usize {
        self.with(|s| s.hits.get(path).copied().unwrap_or(0))
    }

    /// How many requests reached the server in all.
    pub fn total_hits(&self) -> usize {
        self.with(|s| s.hits.values().sum())
    }

    fn with<T>(&self, f: impl FnOnce(&mut ServerState) -> T) -> T {
        match self.state.lock() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}

async fn respond(
    state: &Mutex<ServerState>,
    addr: SocketAddr,
    path: &str,
) -> hyper::Response<Full<Bytes>> {
    let (mode, body) = {
        let mut s = match state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        *s.hits.entry(path.to_owned()).or_default() += 1;
        let issuer = s
            .discovery_issuer
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        let body = match path {
            "/jwks.json" => Some(s.jwks.to_string()),
            "/.well-known/openid-configuration" => Some(
                json!({ "issuer": issuer, "jwks_uri": format!("http://{addr}/jwks.json") })
                    .to_string(),
            ),
            _ => None,
        };
        (s.mode.clone(), body)
    };
    let reply = |status: u16, body: String| {
        let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() =
            hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
        response.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/json"),
        );
        response
    };
    match (mode, body) {
        (_, None) => reply(404, String::new()),
        (ServeMode::Status(code), _) => reply(code, String::new()),
        (ServeMode::Garbage, _) => reply(200, "<html>not json".to_owned()),
        (ServeMode::Oversized(len), _) => reply(
            200,
            format!("{{\"keys\":[],\"pad\":\"{}\"}}", "x".repeat(len)),
        ),
        (ServeMode::Delay(delay), Some(body)) => {
            tokio::time::sleep(delay).await;
            reply(200, body)
        }
        (ServeMode::Normal, Some(body)) => reply(200, body),
    }
}
