//! The adapter conformance kit (feature `test-util`): request cases with the answer every
//! adapter must give (status, `WWW-Authenticate`, `Content-Type`, problem body, `Retry-After`,
//! the body of a few allowed requests) and the audit events it must write (event, decision or
//! category, `route`), to run through an adapter's own framework. `authz-axum`, `authz-actix`
//! and the tower adapter in `examples/` all pass it.
//!
//! An adapter exposes five routes over the kit's policy ([`docs`]) and claims
//! ([`DocsClaims`]), with the kit's [`Gate`] ([`Kit::gate`]):
//!
//! | route | rule | answers |
//! |---|---|---|
//! | `GET /public` | public | anything, 200 |
//! | `GET /docs` | `docs:read` | anything, 200 |
//! | `POST /docs` | `docs:write` | anything, 200 |
//! | `GET /notes` | `docs:read` | [`read_note`]`(&caller)`: the note as the body, or its [`Denied`] refusal (a concealed 404) answered as the adapter answers refusals |
//! | `GET /whoami` | an optional caller | [`whoami`]`(caller)` as the body |
//!
//! then hands [`Kit::run`] a function that sends one request through the framework and
//! returns what came back as an [`Outcome`]. The kit captures the audit events with a
//! `tracing` subscriber it installs as the global default (once per test binary) and also sets
//! on the request future, so it sees them whether the adapter handles requests inline or on
//! worker threads (a real server on loopback). Runs of any kits in one process take turns, and
//! every audit event written during a case counts for it: do not run other tests that write
//! audit events on other threads in the same test binary as a kit.
//!
//! ```
//! use authz_core::testkit::conformance::{self, DocsClaims, Kit, Outcome, Request, docs};
//! use authz_core::{Authenticated, Gate, Refusal};
//!
//! /// A toy "framework": the gate called directly, as an adapter's extractors would.
//! async fn serve(gate: &Gate, request: &Request) -> Result<String, Refusal> {
//!     let headers: Vec<&[u8]> = request.authorization.iter().map(|v| v.as_bytes()).collect();
//!     let caller = || gate.authenticate::<docs::Policy, DocsClaims>(headers.clone(), request.path);
//!     match (request.method, request.path) {
//!         ("GET", "/public") => Ok("hello".into()),
//!         ("GET", "/whoami") => {
//!             let present = authz_core::gate::bearer_credentials(headers.clone())
//!                 != authz_core::gate::Credentials::Missing;
//!             let caller = if present { Some(caller().await?) } else { None };
//!             Ok(conformance::whoami(caller.as_ref()))
//!         }
//!         ("GET", "/docs") => {
//!             gate.authorize::<docs::perm::DocsRead, _>(&caller().await?, request.path)?;
//!             Ok("docs".into())
//!         }
//!         ("POST", "/docs") => {
//!             gate.authorize::<docs::perm::DocsWrite, _>(&caller().await?, request.path)?;
//!             Ok("written".into())
//!         }
//!         _ => {
//!             let caller: Authenticated<_, _> = caller().await?;
//!             gate.authorize::<docs::perm::DocsRead, _>(&caller, request.path)?;
//!             Ok(conformance::read_note(&caller)?.to_owned())
//!         }
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let kit = Kit::new();
//! let gate = kit.gate();
//! let send = |request: Request| {
//!     let gate = gate.clone();
//!     async move {
//!         match serve(&gate, &request).await {
//!             Ok(body) => Outcome::new(200).body(body),
//!             // The whole response mapping: status, `Refusal::headers()`, the problem body.
//!             Err(refusal) => refusal.headers()
//!                 .fold(Outcome::new(refusal.status()), |out, (name, value)| out.header(name, value))
//!                 .body(refusal.problem_json()),
//!         }
//!     }
//! };
//! let passed = kit.run(send).await.unwrap();
//! assert_eq!(passed, kit.cases().len());
//! # });
//! ```

use std::fmt;
use std::future::Future;

use serde_json::json;
use tracing::instrument::WithSubscriber as _;

mod capture;
mod case;

pub use capture::AuditEvent;
pub use case::{Audit, Case, Challenge, Outcome, Request};

use capture::{RUNS, capture};

use super::{TestKey, claims_for, now};
use crate::authorize::{Authenticated, Denied, HasOwner};
use crate::gate::Gate;
use crate::token::{
    Algorithm, BoxFuture, Revocation, RevocationError, RevocationQuery, RevocationStatus,
};

crate::policy! {
    /// The conformance kit's policy.
    pub mod docs {
        permissions {
            /// Read documents, and one's own notes.
            "docs:read",
            /// Write documents.
            "docs:write",
            /// Read anyone's notes (no role grants it).
            "docs:read_any",
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
/// The body of `GET /notes` for its owner.
pub const NOTE: &str = "ann's note";
/// The body of `GET /whoami` without credentials.
pub const ANONYMOUS: &str = "anonymous";
/// The subject whose tokens the kit's revocation backend cannot check (503).
const OUTAGE_SUBJECT: &str = "sam";

/// The note behind `GET /notes`, owned by `ann`.
struct Note;

impl HasOwner for Note {
    fn owner(&self) -> &str {
        "ann"
    }
}

/// What `GET /notes` answers: [`NOTE`] to its owner (or a caller with `docs:read_any`), else
/// a concealed refusal, which the adapter answers as 404.
pub fn read_note(caller: &Authenticated<docs::Policy, DocsClaims>) -> Result<&'static str, Denied> {
    caller
        .check_owner(Note, docs::perm::DocsReadAny)
        .map(|_| NOTE)
        .map_err(Denied::conceal)
}

/// What `GET /whoami` answers: the caller's subject, or [`ANONYMOUS`] without credentials.
pub fn whoami(caller: Option<&Authenticated<docs::Policy, DocsClaims>>) -> String {
    caller
        .and_then(Authenticated::subject)
        .unwrap_or(ANONYMOUS)
        .to_owned()
}

/// The kit's revocation backend: down for the subject `sam`, every other token active.
struct KitRevocation;

impl Revocation for KitRevocation {
    fn check<'a>(
        &'a self,
        token: RevocationQuery<'a>,
    ) -> BoxFuture<'a, Result<RevocationStatus, RevocationError>> {
        let down = token.sub == Some(OUTAGE_SUBJECT);
        Box::pin(async move {
            if down {
                Err(RevocationError::new("down"))
            } else {
                Ok(RevocationStatus::Active)
            }
        })
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

    /// The gate the adapter under test must use: the kit's key, issuer, audience and realm,
    /// and a revocation backend that is down for one subject (the 503 case).
    #[allow(clippy::expect_used)]
    pub fn gate(&self) -> Gate {
        let validator = crate::Validator::builder()
            .algorithms([Algorithm::ES256])
            .key(self.key.verification_key())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .revocation(KitRevocation)
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
        let outage = self.token(OUTAGE_SUBJECT, &["reader"]);
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
        let ok = |name, request| Case {
            name,
            request,
            status: 200,
            challenge: Challenge::Absent,
            body: None,
            audit: vec![Audit::Authorization("allow")],
        };
        let refused = |name, request, status, challenge, category| Case {
            name,
            request,
            status,
            challenge,
            body: None,
            audit: vec![Audit::Authentication(category)],
        };
        let with_body = |case: Case, body| Case {
            body: Some(body),
            ..case
        };
        let with_audit = |case: Case, audit| Case { audit, ..case };
        vec![
            with_audit(
                ok("public route, no credentials", get("/public", vec![])),
                vec![],
            ),
            refused(
                "no credentials",
                get("/docs", vec![]),
                401,
                Challenge::Bare,
                "missing_credentials",
            ),
            refused(
                "another scheme",
                get("/docs", vec!["Basic YW5uOnB3".into()]),
                401,
                Challenge::Bare,
                "missing_credentials",
            ),
            refused(
                "token in the query string only",
                Request {
                    query: Some(format!("access_token={reader}")),
                    ..get("/docs", vec![])
                },
                401,
                Challenge::Bare,
                "missing_credentials",
            ),
            refused(
                "empty bearer",
                get("/docs", vec!["Bearer".into()]),
                400,
                invalid_request,
                "invalid_request",
            ),
            refused(
                "two tokens",
                get("/docs", vec![format!("Bearer {reader} {reader}")]),
                400,
                invalid_request,
                "invalid_request",
            ),
            refused(
                "two headers",
                get("/docs", [bearer(&reader), bearer(&reader)].concat()),
                400,
                invalid_request,
                "invalid_request",
            ),
            ok(
                "scheme in any case",
                get("/docs", vec![format!("bEARER {reader}")]),
            ),
            refused(
                "garbage token",
                get("/docs", bearer("not-a-token")),
                401,
                invalid_token,
                "invalid_token",
            ),
            refused(
                "expired token",
                get("/docs", bearer(&expired)),
                401,
                invalid_token,
                "invalid_token",
            ),
            refused(
                "wrong audience",
                get("/docs", bearer(&wrong_audience)),
                401,
                invalid_token,
                "invalid_token",
            ),
            refused(
                "signed by another key",
                get("/docs", bearer(&forged)),
                401,
                invalid_token,
                "invalid_token",
            ),
            refused(
                "revocation backend down",
                get("/docs", bearer(&outage)),
                503,
                Challenge::Absent,
                "unavailable",
            ),
            ok("reader reads", get("/docs", bearer(&reader))),
            Case {
                status: 403,
                challenge: Challenge::Error {
                    code: "insufficient_scope",
                    scope: Some("docs:write"),
                },
                audit: vec![Audit::Authorization("deny")],
                ..ok("reader writes", post(bearer(&reader)))
            },
            ok("writer writes", post(bearer(&writer))),
            ok("writer reads (inherited)", get("/docs", bearer(&writer))),
            with_audit(
                with_body(
                    ok("owner reads her note", get("/notes", bearer(&reader))),
                    NOTE,
                ),
                vec![Audit::Authorization("allow"), Audit::OwnerCheck("allow")],
            ),
            with_audit(
                Case {
                    status: 404,
                    ..ok(
                        "another's note is concealed",
                        get("/notes", bearer(&writer)),
                    )
                },
                vec![Audit::Authorization("allow"), Audit::OwnerCheck("deny")],
            ),
            with_audit(
                with_body(
                    ok("optional caller, no credentials", get("/whoami", vec![])),
                    ANONYMOUS,
                ),
                vec![],
            ),
            with_audit(
                with_body(
                    ok(
                        "optional caller, another scheme",
                        get("/whoami", vec!["Basic YW5uOnB3".into()]),
                    ),
                    ANONYMOUS,
                ),
                vec![],
            ),
            with_audit(
                with_body(
                    ok(
                        "optional caller, valid token",
                        get("/whoami", bearer(&reader)),
                    ),
                    "ann",
                ),
                vec![],
            ),
            refused(
                "optional caller, forged token",
                get("/whoami", bearer(&forged)),
                401,
                invalid_token,
                "invalid_token",
            ),
            refused(
                "optional caller, malformed credentials",
                get("/whoami", vec!["Bearer".into()]),
                400,
                invalid_request,
                "invalid_request",
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
        let capture = capture();
        // One kit at a time per process: events are attributed to the case running.
        let _turn = RUNS.lock().await;
        let cases = self.cases();
        let mut failures = Vec::new();
        for case in &cases {
            capture.take();
            let outcome = send(case.request.clone())
                .with_subscriber(capture.dispatch.clone())
                .await;
            let events = capture.take();
            if let Err(mut failure) = case.check(&outcome, &events) {
                if !capture.global && failure.contains("audit events") {
                    failure.push_str(
                        " (another global tracing subscriber was set before the kit's, so \
                         events written on worker threads are lost: run the kit in a test \
                         binary that sets none)",
                    );
                }
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
