//! The back-channel logout endpoint as data: what an adapter's ready handler reads from the
//! request (the `Content-Type` and the body) and writes back (status, headers, body), so that
//! no application writes the form parsing, the status codes or `Cache-Control: no-store`
//! (OpenID Connect Back-Channel Logout 1.0 section 2.8) by hand.

use super::logout::{BackChannelLogout, Logout, LogoutError};
use crate::audit;

/// The largest request body a logout endpoint reads: a logout token is a few kilobytes.
pub const MAX_LOGOUT_BODY: usize = 16 * 1024;

/// The answer to one back-channel logout request: 200 with no body once the session's or
/// user's tokens are revoked; 400 with an OAuth error body (`{"error", "error_description"}`)
/// otherwise. Every answer carries `Cache-Control: no-store`.
#[derive(Debug)]
pub struct LogoutResponse {
    status: u16,
    body: Option<String>,
    outcome: Result<Logout, LogoutError>,
}

impl LogoutResponse {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response headers, as (lowercase name, value) pairs.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        let content_type = self
            .body
            .as_ref()
            .map(|_| ("content-type", "application/json"));
        [Some(("cache-control", "no-store")), content_type]
            .into_iter()
            .flatten()
    }

    /// The body (a JSON error object on 400), if any.
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }

    /// The logout that was carried out, or why none was.
    pub fn outcome(&self) -> Result<&Logout, &LogoutError> {
        self.outcome.as_ref()
    }

    /// The answer to a request whose body an adapter stopped reading at
    /// [`MAX_LOGOUT_BODY`] bytes (or could not read at all): 400.
    pub fn body_too_large() -> Self {
        let error = LogoutError::NotLogout("the request body is too large");
        audit::backchannel_logout(Err(&error));
        Self {
            status: 400,
            body: Some(error.body()),
            outcome: Err(error),
        }
    }
}

impl BackChannelLogout {
    /// Answers one `POST` to the back-channel logout endpoint: `content_type` is the request's
    /// `Content-Type` header (it must be `application/x-www-form-urlencoded`), `body` the
    /// request body (at most [`MAX_LOGOUT_BODY`] bytes; an adapter stops reading there). The
    /// form's `logout_token` goes through [`receive`](Self::receive); the outcome is written to
    /// the audit log as a `backchannel_logout` event. What adapters' ready handlers call.
    ///
    /// ```
    /// # use authz_core::{Algorithm, Validator, testkit::TestKey};
    /// # use authz_core::token::{BackChannelLogout, InMemoryRevocation};
    /// # let key = TestKey::generate(Algorithm::HS256, "k");
    /// # let validator = |aud: &str| Validator::builder().algorithms([Algorithm::HS256])
    /// #     .key(key.verification_key()).issuer("https://id").audience(aud);
    /// # let access = validator("api").revocation_store(InMemoryRevocation::new()).build().unwrap();
    /// let logout = BackChannelLogout::new(validator("client").build().unwrap(), &access).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let answer = logout.respond(Some(b"text/plain"), b"logout_token=x").await;
    /// assert_eq!(answer.status(), 400);
    /// assert!(answer.headers().any(|h| h == ("cache-control", "no-store")));
    /// assert!(answer.body().unwrap().contains("invalid_request"));
    /// # });
    /// ```
    pub async fn respond(&self, content_type: Option<&[u8]>, body: &[u8]) -> LogoutResponse {
        let outcome = match logout_token(content_type, body) {
            Ok(token) => self.receive(&token).await,
            Err(reason) => Err(LogoutError::NotLogout(reason)),
        };
        audit::backchannel_logout(outcome.as_ref());
        match outcome {
            Ok(done) => LogoutResponse {
                status: 200,
                body: None,
                outcome: Ok(done),
            },
            Err(error) => LogoutResponse {
                status: 400,
                body: Some(error.body()),
                outcome: Err(error),
            },
        }
    }
}

/// The `logout_token` of a form body, or why there is none (client-safe).
fn logout_token(content_type: Option<&[u8]>, body: &[u8]) -> Result<String, &'static str> {
    let form = content_type
        .and_then(|value| std::str::from_utf8(value).ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return Err("expected an application/x-www-form-urlencoded body");
    }
    if body.len() > MAX_LOGOUT_BODY {
        return Err("the request body is too large");
    }
    let mut tokens = form_urlencoded::parse(body)
        .filter(|(name, _)| name == "logout_token")
        .map(|(_, value)| value);
    match (tokens.next(), tokens.next()) {
        (Some(token), None) if !token.is_empty() => Ok(token.into_owned()),
        (Some(_), Some(_)) => Err("logout_token is given more than once"),
        _ => Err("expected a form body with logout_token"),
    }
}

#[cfg(test)]
mod tests {
    use super::logout_token;

    const FORM: Option<&[u8]> = Some(b"application/x-www-form-urlencoded; charset=utf-8");

    #[test]
    fn the_form_must_carry_exactly_one_token() {
        assert_eq!(logout_token(FORM, b"logout_token=a.b.c").unwrap(), "a.b.c");
        assert_eq!(
            logout_token(FORM, b"x=1&logout_token=a%2Eb.c").unwrap(),
            "a.b.c"
        );
        assert_eq!(
            logout_token(FORM, b"logout_token=a&logout_token=b"),
            Err("logout_token is given more than once")
        );
        assert_eq!(
            logout_token(FORM, b"logout_token="),
            Err("expected a form body with logout_token")
        );
        assert_eq!(
            logout_token(Some(b"application/json"), b"logout_token=a"),
            Err("expected an application/x-www-form-urlencoded body")
        );
        assert_eq!(
            logout_token(None, b"logout_token=a"),
            Err("expected an application/x-www-form-urlencoded body")
        );
        let huge = vec![b'a'; super::MAX_LOGOUT_BODY + 1];
        assert_eq!(
            logout_token(FORM, &huge),
            Err("the request body is too large")
        );
    }
}
