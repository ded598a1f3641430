//! A case of the kit: the request, and the answer and audit events every adapter must give.

use serde_json::json;

use super::{AuditEvent, REALM};
use crate::gate::{PROBLEM_JSON, RETRY_AFTER_SECONDS};

/// One request to send through the adapter.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// `/public`, `/docs`, `/notes` or `/whoami` (also the route pattern audit events name).
    pub path: &'static str,
    /// The query string, without `?` (tokens there must be ignored).
    pub query: Option<String>,
    /// The values of the `Authorization` headers, in order (zero, one or several).
    pub authorization: Vec<String>,
}

impl Request {
    /// The path and query, for building a request URI.
    pub fn uri(&self) -> String {
        match &self.query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.to_owned(),
        }
    }
}

/// What the adapter answered: the status, every response header (name and value, in any
/// case and order) and the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The HTTP status.
    pub status: u16,
    /// Every header, as (name, value).
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
}

impl Outcome {
    /// An answer with this status, no headers and an empty body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            ..Self::default()
        }
    }

    /// With one more header.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// With this body.
    #[must_use]
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }

    /// Every value of header `name` (any case).
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of header `name` when there is exactly one.
    fn one<'a>(&'a self, name: &'a str) -> Result<Option<&'a str>, String> {
        let mut values = self.values(name);
        match (values.next(), values.next()) {
            (value, None) => Ok(value),
            _ => Err(format!("more than one {name} header")),
        }
    }
}

/// The challenge a case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// No `WWW-Authenticate` header.
    Absent,
    /// Exactly `Bearer realm="conformance"`.
    Bare,
    /// A `Bearer` challenge with this realm, `error` code and, for `insufficient_scope`, scope.
    Error {
        /// The RFC 6750 error code.
        code: &'static str,
        /// The `scope` attribute, if the case expects one.
        scope: Option<&'static str>,
    },
}

/// An audit event a case expects (target `authz::audit`), each with `route` equal to the
/// request's path. Successful authentication writes none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audit {
    /// `event = "authentication"` (a failure) with this `category`.
    Authentication(&'static str),
    /// `event = "authorization"` with this `decision` (`allow`, `deny`).
    Authorization(&'static str),
    /// `event = "owner_check"` with this `decision`.
    OwnerCheck(&'static str),
}

/// A request and the answer and audit events every adapter must produce.
#[derive(Debug, Clone)]
pub struct Case {
    /// What the case checks.
    pub name: &'static str,
    /// The request.
    pub request: Request,
    /// The expected status.
    pub status: u16,
    /// The expected challenge.
    pub challenge: Challenge,
    /// The expected body of an allowed request, when the kit prescribes it.
    pub body: Option<&'static str>,
    /// The expected audit events, in order, and no others.
    pub audit: Vec<Audit>,
}

impl Case {
    /// Compares an outcome and the audit events observed with the expectation.
    pub fn check(&self, outcome: &Outcome, events: &[AuditEvent]) -> Result<(), String> {
        self.check_answer(outcome)
            .and_then(|()| self.check_audit(events))
            .map_err(|what| format!("{}: {what}", self.name))
    }

    fn check_answer(&self, outcome: &Outcome) -> Result<(), String> {
        if outcome.status != self.status {
            return Err(format!(
                "status {} (expected {})",
                outcome.status, self.status
            ));
        }
        let challenge = outcome.one("www-authenticate")?;
        let realm = format!("realm=\"{REALM}\"");
        match (self.challenge, challenge) {
            (Challenge::Absent, None) => {}
            (Challenge::Bare, Some(c)) if c == format!("Bearer {realm}") => {}
            (Challenge::Error { code, scope }, Some(c))
                if c.starts_with("Bearer ")
                    && c.contains(&realm)
                    && c.contains(&format!("error=\"{code}\""))
                    && scope.is_none_or(|s| c.contains(&format!("scope=\"{s}\""))) => {}
            (expected, got) => return Err(format!("challenge {got:?} (expected {expected:?})")),
        }
        let retry_after = outcome.one("retry-after")?;
        let expected_retry = (self.status == 503).then(|| RETRY_AFTER_SECONDS.to_string());
        if retry_after != expected_retry.as_deref() {
            return Err(format!(
                "Retry-After {retry_after:?} (expected {expected_retry:?})"
            ));
        }
        if self.status >= 400 {
            let content_type = outcome.one("content-type")?;
            if content_type != Some(PROBLEM_JSON) {
                return Err(format!(
                    "Content-Type {content_type:?} (expected {PROBLEM_JSON:?})"
                ));
            }
            check_problem(&outcome.body, self.status)?;
        } else if let Some(body) = self.body
            && outcome.body != body
        {
            return Err(format!("body {:?} (expected {body:?})", outcome.body));
        }
        for secret in self.secrets() {
            let leaked = outcome.body.contains(secret)
                || outcome.headers.iter().any(|(_, v)| v.contains(secret));
            if leaked {
                return Err("the response contains the request's token".to_owned());
            }
        }
        Ok(())
    }

    fn check_audit(&self, events: &[AuditEvent]) -> Result<(), String> {
        let matching = events.len() == self.audit.len()
            && events.iter().zip(&self.audit).all(|(e, a)| a.matches(e));
        if !matching {
            return Err(format!(
                "audit events {events:?} (expected {:?})",
                self.audit
            ));
        }
        if let Some(event) = events
            .iter()
            .find(|e| e.route.as_deref() != Some(self.request.path))
        {
            return Err(format!(
                "audit event {event:?} names route {:?} (expected {:?})",
                event.route, self.request.path
            ));
        }
        Ok(())
    }

    /// The credentials of the request, which no answer may contain.
    fn secrets(&self) -> Vec<&str> {
        let header = self.request.authorization.iter().map(|value| {
            let value = value.trim();
            value.split_once(' ').map_or(value, |(_, rest)| rest.trim())
        });
        let query = self
            .request
            .query
            .iter()
            .filter_map(|q| q.split_once('=').map(|(_, token)| token));
        header.chain(query).filter(|s| s.len() >= 16).collect()
    }
}

/// An RFC 9457 body as `Refusal::problem_json` writes it: an object with `type`, `title`,
/// `status` (the response's) and `detail`.
fn check_problem(body: &str, status: u16) -> Result<(), String> {
    let problem: serde_json::Value =
        serde_json::from_str(body).map_err(|_| format!("problem body {body:?} is not JSON"))?;
    let fine = problem["status"] == json!(status)
        && problem["type"].is_string()
        && problem["title"].is_string()
        && problem["detail"].is_string();
    if fine {
        Ok(())
    } else {
        Err(format!(
            "problem body {body:?} (expected type, title, detail and status {status})"
        ))
    }
}
