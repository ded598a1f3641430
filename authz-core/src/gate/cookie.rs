//! Access tokens in a cookie, with the CSRF defence that comes with them (feature `cookies`).

use super::RequestHeaders;

/// The prefix a credentials cookie must carry (RFC 6265bis 4.1.3.2).
#[cfg(feature = "cookies")]
pub(super) const HOST_PREFIX: &str = "__Host-";

/// Access tokens read from a cookie, for browser clients that keep tokens out of JavaScript
/// (an `HttpOnly` cookie set by a backend-for-frontend), and the CSRF defence that comes with
/// them (feature `cookies`).
#[cfg(feature = "cookies")]
#[derive(Debug, Clone)]
pub(super) struct CookieCredentials {
    pub(super) name: Box<str>,
    pub(super) allowed_origins: Vec<Box<str>>,
}

#[cfg(feature = "cookies")]
impl CookieCredentials {
    /// The value of the gate's cookie, if the request sends it; `Err` when it sends the name
    /// more than once (one of them may be planted: which one the browser sends first is not
    /// the site's to choose). An empty value counts as sent.
    pub(super) fn token<'r>(
        &self,
        request: &'r impl RequestHeaders,
    ) -> Option<Result<&'r str, ()>> {
        let mut values = request
            .header_values("cookie")
            .filter_map(|value| std::str::from_utf8(value).ok())
            .flat_map(cookie::Cookie::split_parse)
            .filter_map(Result::ok)
            .filter(|c| c.name() == &*self.name)
            .map(|c| c.value_raw().unwrap_or(""));
        let first = values.next()?;
        if values.next().is_some() {
            return Some(Err(()));
        }
        (!first.is_empty()).then_some(Ok(first))
    }

    /// Why a request with cookie credentials may be a cross-site forgery, if it may.
    pub(super) fn cross_site(&self, request: &impl RequestHeaders) -> Option<&'static str> {
        if matches!(request.method(), "GET" | "HEAD" | "OPTIONS") {
            return None;
        }
        let one = |name| {
            let mut values = request.header_values(name);
            match (values.next(), values.next()) {
                (Some(value), None) => std::str::from_utf8(value).ok().map(str::trim),
                _ => None,
            }
        };
        if matches!(one("sec-fetch-site"), Some("same-origin" | "none")) {
            return None;
        }
        match one("origin") {
            Some(origin) if self.allowed_origins.iter().any(|o| **o == *origin) => None,
            Some(_) => Some("a state-changing request with cookie credentials from another origin"),
            None if one("sec-fetch-site").is_some() => {
                Some("a state-changing request with cookie credentials from another site")
            }
            None => Some(
                "a state-changing request with cookie credentials must send Sec-Fetch-Site or Origin",
            ),
        }
    }
}
