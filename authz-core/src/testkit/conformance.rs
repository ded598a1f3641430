//! The adapter conformance kit (feature `test-util`): request cases with the outcome every
//! adapter must produce (status, `WWW-Authenticate` challenge, audit decision), to run through
//! an adapter's own framework. `authz-axum` and the tower adapter in `examples/` both pass it.
//!
//! An adapter exposes three routes over the kit's policy ([`docs`]) and claims
//! ([`DocsClaims`]), with the kit's [`Gate`] ([`Kit::gate`]):
//!
//! | route | rule |
//! |---|---|
//! | `GET /public` | public |
//! | `GET /docs` | `docs:read` |
//! | `POST /docs` | `docs:write` |
//!
//! then hands [`Kit::run`] a function that sends one request through the framework:
//!
//! ```
//! use authz_core::testkit::conformance::{Kit, Outcome, Request};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let kit = Kit::new();
//! let gate = kit.gate();
//! // A toy "framework": the gate called directly, as an adapter would from its extractor.
//! let send = |request: Request| {
//!     let gate = gate.clone();
//!     async move {
//!         let values: Vec<&[u8]> = request.authorization.iter().map(|v| v.as_bytes()).collect();
//!         if request.path == "/public" {
//!             return Outcome { status: 200, www_authenticate: None };
//!         }
//!         let caller = gate.authenticate::<authz_core::testkit::conformance::docs::Policy,
//!             authz_core::testkit::conformance::DocsClaims>(values, request.path).await;
//!         let decision = caller.and_then(|caller| match request.method {
//!             "GET" => gate.authorize::<authz_core::testkit::conformance::docs::perm::DocsRead, _>(&caller, request.path).map(drop),
//!             _ => gate.authorize::<authz_core::testkit::conformance::docs::perm::DocsWrite, _>(&caller, request.path).map(drop),
//!         });
//!         match decision {
//!             Ok(()) => Outcome { status: 200, www_authenticate: None },
//!             Err(refusal) => Outcome { status: refusal.status(), www_authenticate: refusal.challenge() },
//!         }
//!     }
//! };
//! let passed = kit.run(send).await.unwrap();
//! assert_eq!(passed, kit.cases().len());
//! # });
//! ```

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tracing::instrument::WithSubscriber as _;

use super::{TestKey, claims_for, now};
use crate::audit::AUDIT_TARGET;
use crate::gate::Gate;
use crate::token::Algorithm;

crate::policy! {
    /// The conformance kit's policy.
    pub mod docs {
        permissions {
            /// Read documents.
            "docs:read",
            /// Write documents.
            "docs:write",
        }
        roles {
            /// Reads.
            "reader" = ["docs:read"],
            /// Reads and writes.
            "writer" = "reader" + ["docs:write"],
        }
    }
}

/// The conformance kit's claims.
#[derive(Debug, Clone, serde::Deserialize, crate::Claims)]
pub struct DocsClaims {
    /// The caller.
    pub sub: String,
    /// Role names.
    #[serde(default)]
    #[claims(roles)]
    pub roles: Vec<String>,
}

/// The `iss` the kit's tokens carry and its gate requires.
pub const ISSUER: &str = "https://id.conformance.test";
/// The `aud` the kit's tokens carry and its gate requires.
pub const AUDIENCE: &str = "conformance";
/// The realm of the kit's gate.
pub const REALM: &str = "conformance";

/// One request to send through the adapter.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// `/public` or `/docs`.
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

/// What the adapter answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The HTTP status.
    pub status: u16,
    /// The `WWW-Authenticate` header, if any.
    pub www_authenticate: Option<String>,
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

/// The audit decision a case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An `authorization` event with `decision = "allow"`.
    Allow,
    /// An `authorization` event with `decision = "deny"`.
    Deny,
    /// No `authorization` event (refused before, or public).
    None,
}

/// A request and the outcome every adapter must produce.
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
    /// The expected audit decision.
    pub decision: Decision,
}

impl Case {
    /// Compares an outcome and the observed audit decision with the expectation.
    pub fn check(&self, outcome: &Outcome, decision: Decision) -> Result<(), String> {
        let fail = |what: String| Err(format!("{}: {what}", self.name));
        if outcome.status != self.status {
            return fail(format!(
                "status {} (expected {})",
                outcome.status, self.status
            ));
        }
        let challenge = outcome.www_authenticate.as_deref();
        let realm = format!("realm=\"{REALM}\"");
        match (self.challenge, challenge) {
            (Challenge::Absent, None) => {}
            (Challenge::Bare, Some(c)) if c == format!("Bearer {realm}") => {}
            (Challenge::Error { code, scope }, Some(c))
                if c.starts_with("Bearer ")
                    && c.contains(&realm)
                    && c.contains(&format!("error=\"{code}\""))
                    && scope.is_none_or(|s| c.contains(&format!("scope=\"{s}\""))) => {}
            (expected, got) => return fail(format!("challenge {got:?} (expected {expected:?})")),
        }
        if decision != self.decision {
            return fail(format!(
                "audit decision {decision:?} (expected {:?})",
                self.decision
            ));
        }
        Ok(())
    }
}

/// Keys, tokens and cases.
pub struct Kit {
    key: TestKey,
    other: TestKey,
}

impl fmt::Debug for Kit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kit").finish_non_exhaustive()
    }
}

impl Default for Kit {
    fn default() -> Self {
        Self::new()
    }
}

impl Kit {
    /// A kit with fresh ES256 keys.
    pub fn new() -> Self {
        Self {
            key: TestKey::generate(Algorithm::ES256, "kit"),
            other: TestKey::generate(Algorithm::ES256, "kit"),
        }
    }

    /// The gate the adapter under test must use.
    #[allow(clippy::expect_used)]
    pub fn gate(&self) -> Gate {
        let validator = crate::Validator::builder()
            .algorithms([Algorithm::ES256])
            .key(self.key.verification_key())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .expect("the kit's validator");
        Gate::new(validator).realm(REALM)
    }

    fn token(&self, sub: &str, roles: &[&str]) -> String {
        let mut claims = claims_for(ISSUER, AUDIENCE, sub);
        claims["roles"] = json!(roles);
        self.key.mint(&claims)
    }

    /// Every case.
    pub fn cases(&self) -> Vec<Case> {
        let reader = self.token("ann", &["reader"]);
        let writer = self.token("wes", &["writer"]);
        let mut expired = claims_for(ISSUER, AUDIENCE, "ann");
        expired["exp"] = json!(now() - 3600);
        expired["iat"] = json!(now() - 7200);
        expired["roles"] = json!(["writer"]);
        let expired = self.key.mint(&expired);
        let mut wrong_audience = claims_for(ISSUER, "elsewhere", "ann");
        wrong_audience["roles"] = json!(["writer"]);
        let wrong_audience = self.key.mint(&wrong_audience);
        let forged = self.other.mint(&claims_for(ISSUER, AUDIENCE, "ann"));
        let bearer = |token: &str| vec![format!("Bearer {token}")];
        let get = |path, authorization: Vec<String>| Request {
            method: "GET",
            path,
            query: None,
            authorization,
        };
        let post = |authorization: Vec<String>| Request {
            method: "POST",
            path: "/docs",
            query: None,
            authorization,
        };
        let invalid_token = Challenge::Error {
            code: "invalid_token",
            scope: None,
        };
        let invalid_request = Challenge::Error {
            code: "invalid_request",
            scope: None,
        };
        let case = |name, request, status, challenge, decision| Case {
            name,
            request,
            status,
            challenge,
            decision,
        };
        vec![
            case(
                "public route, no credentials",
                get("/public", vec![]),
                200,
                Challenge::Absent,
                Decision::None,
            ),
            case(
                "no credentials",
                get("/docs", vec![]),
                401,
                Challenge::Bare,
                Decision::None,
            ),
            case(
                "another scheme",
                get("/docs", vec!["Basic YW5uOnB3".into()]),
                401,
                Challenge::Bare,
                Decision::None,
            ),
            case(
                "token in the query string only",
                Request {
                    query: Some(format!("access_token={reader}")),
                    ..get("/docs", vec![])
                },
                401,
                Challenge::Bare,
                Decision::None,
            ),
            case(
                "empty bearer",
                get("/docs", vec!["Bearer".into()]),
                400,
                invalid_request,
                Decision::None,
            ),
            case(
                "two tokens",
                get("/docs", vec![format!("Bearer {reader} {reader}")]),
                400,
                invalid_request,
                Decision::None,
            ),
            case(
                "two headers",
                get("/docs", [bearer(&reader), bearer(&reader)].concat()),
                400,
                invalid_request,
                Decision::None,
            ),
            case(
                "scheme in any case",
                get("/docs", vec![format!("bEARER {reader}")]),
                200,
                Challenge::Absent,
                Decision::Allow,
            ),
            case(
                "garbage token",
                get("/docs", bearer("not-a-token")),
                401,
                invalid_token,
                Decision::None,
            ),
            case(
                "expired token",
                get("/docs", bearer(&expired)),
                401,
                invalid_token,
                Decision::None,
            ),
            case(
                "wrong audience",
                get("/docs", bearer(&wrong_audience)),
                401,
                invalid_token,
                Decision::None,
            ),
            case(
                "signed by another key",
                get("/docs", bearer(&forged)),
                401,
                invalid_token,
                Decision::None,
            ),
            case(
                "reader reads",
                get("/docs", bearer(&reader)),
                200,
                Challenge::Absent,
                Decision::Allow,
            ),
            case(
                "reader writes",
                post(bearer(&reader)),
                403,
                Challenge::Error {
                    code: "insufficient_scope",
                    scope: Some("docs:write"),
                },
                Decision::Deny,
            ),
            case(
                "writer writes",
                post(bearer(&writer)),
                200,
                Challenge::Absent,
                Decision::Allow,
            ),
            case(
                "writer reads (inherited)",
                get("/docs", bearer(&writer)),
                200,
                Challenge::Absent,
                Decision::Allow,
            ),
        ]
    }

    /// Sends every case through `send` (the adapter's framework), capturing the audit events
    /// each produces; `Ok(number of cases)` when all pass, else every failure.
    pub async fn run<F, Fut>(&self, send: F) -> Result<usize, Vec<String>>
    where
        F: Fn(Request) -> Fut,
        Fut: Future<Output = Outcome>,
    {
        let cases = self.cases();
        let mut failures = Vec::new();
        for case in &cases {
            let capture = Capture::default();
            let decisions = capture.decisions.clone();
            let outcome = send(case.request.clone()).with_subscriber(capture).await;
            let decisions = decisions.lock().map(|d| d.clone()).unwrap_or_default();
            let decision = match decisions.as_slice() {
                [] => Decision::None,
                [one] if one == "allow" => Decision::Allow,
                [one] if one == "deny" => Decision::Deny,
                more => {
                    failures.push(format!(
                        "{}: audit decisions {more:?} (expected one)",
                        case.name
                    ));
                    continue;
                }
            };
            if let Err(failure) = case.check(&outcome, decision) {
                failures.push(failure);
            }
        }
        if failures.is_empty() {
            Ok(cases.len())
        } else {
            Err(failures)
        }
    }
}

/// A `tracing` subscriber that records the `decision` field of `authz::audit` authorization
/// events.
#[derive(Default)]
struct Capture {
    decisions: Arc<Mutex<Vec<String>>>,
    next_span: std::sync::atomic::AtomicU64,
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == AUDIT_TARGET
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let id = self
            .next_span
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        tracing::span::Id::from_u64(id)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        struct Fields {
            event: Option<String>,
            decision: Option<String>,
        }
        impl tracing::field::Visit for Fields {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                match field.name() {
                    "event" => self.event = Some(value.to_owned()),
                    "decision" => self.decision = Some(value.to_owned()),
                    _ => {}
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn fmt::Debug) {}
        }
        let mut fields = Fields {
            event: None,
            decision: None,
        };
        event.record(&mut fields);
        if fields.event.as_deref() == Some("authorization")
            && let (Some(decision), Ok(mut decisions)) = (fields.decision, self.decisions.lock())
        {
            decisions.push(decision);
        }
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}
