//! The setup most tests of an application or an adapter start with, written once: a small
//! policy ([`notes`]), a claims type ([`NotesClaims`]), a signing key, the validator and
//! gate that trust it, tokens for a subject with roles, and a revocation hook that counts the
//! validations it sees ([`CountingRevocation`]).
//!
//! ```
//! use authz_core::testkit::fixture::{Fixture, NotesClaims, notes};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let fixture = Fixture::new();
//! let gate = fixture.gate();
//! let header = fixture.bearer("erin", &["editor"]);
//! let caller = gate
//!     .authenticate::<notes::Policy, NotesClaims>([header.as_bytes()], "/notes")
//!     .await
//!     .unwrap();
//! assert!(caller.permissions().contains(notes::Permission::NotesWrite));
//!
//! // A token signed by another key is refused.
//! let forged = format!("Bearer {}", fixture.forger().mint(&fixture.claims("erin")));
//! let refused = gate
//!     .authenticate::<notes::Policy, NotesClaims>([forged.as_bytes()], "/notes")
//!     .await
//!     .unwrap_err();
//! assert_eq!(refused.status(), 401);
//! # });
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use super::{TestKey, claims_for};
use crate::gate::Gate;
use crate::token::{
    Algorithm, BoxFuture, Revocation, RevocationError, RevocationQuery, RevocationStatus,
    Validator, ValidatorBuilder,
};

crate::policy! {
    /// The fixture's policy: notes, read by viewers, written by editors, anyone's read by
    /// admins. Its names are unlike an application's own, so that compiler messages in a test
    /// suite that enables `test-util` need not tell the two apart.
    pub mod notes {
        permissions {
            /// Read one's own notes.
            "notes:read",
            /// Create and change notes.
            "notes:write",
            /// Read anyone's notes.
            "notes:read_any",
        }
        roles {
            /// Reads.
            "viewer" = ["notes:read"],
            /// Reads and writes.
            "editor" = "viewer" + ["notes:write"],
            /// Reads and writes, and reads anyone's.
            "admin" = "editor" + ["notes:read_any"],
        }
    }
}

/// The fixture's claims: the subject, role names (absent: none) and a tenant.
#[derive(Debug, Clone, serde::Deserialize, crate::Claims)]
pub struct NotesClaims {
    /// The subject.
    pub sub: String,
    /// Role names.
    #[serde(default)]
    #[claims(roles)]
    pub roles: Vec<String>,
    /// The tenant, if the token names one.
    #[claims(tenant)]
    pub tenant: Option<String>,
}

/// The `iss` of the fixture's tokens, which its validator requires.
pub const ISSUER: &str = "https://id.example";
/// The `aud` of the fixture's tokens, which its validator requires.
pub const AUDIENCE: &str = "notes";

/// A signing key, a second key that nobody trusts, and the validator, gate and tokens that go
/// with them (ES256, [`ISSUER`], [`AUDIENCE`]).
#[derive(Debug)]
pub struct Fixture {
    key: TestKey,
    forger: TestKey,
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

impl Fixture {
    /// Fresh keys.
    pub fn new() -> Self {
        Self {
            key: TestKey::generate(Algorithm::ES256, "fixture-key"),
            forger: TestKey::generate(Algorithm::ES256, "fixture-key"),
        }
    }

    /// The key the validator trusts.
    pub fn key(&self) -> &TestKey {
        &self.key
    }

    /// A key of the same algorithm and `kid` that the validator does not trust: what it signs
    /// is a forgery.
    pub fn forger(&self) -> &TestKey {
        &self.forger
    }

    /// A validator builder that trusts the key, for [`ISSUER`] and [`AUDIENCE`]: add what the
    /// test needs, then `build()`.
    pub fn validator_builder(&self) -> ValidatorBuilder {
        self.validator_builder_for(AUDIENCE)
    }

    /// A validator builder that trusts the key, for [`ISSUER`] and `audience`: for a second
    /// client of the same identity provider (a logout receiver, another API).
    pub fn validator_builder_for(&self, audience: &str) -> ValidatorBuilder {
        Validator::builder()
            .algorithms([Algorithm::ES256])
            .key(self.key.verification_key())
            .issuer(ISSUER)
            .audience(audience)
    }

    /// The validator of [`validator_builder`](Self::validator_builder), built.
    #[allow(clippy::expect_used)] // A fixed, valid configuration: a panic is a bug of the kit.
    pub fn validator(&self) -> Validator {
        self.validator_builder()
            .build()
            .expect("the fixture's validator configuration is valid")
    }

    /// A gate over [`validator`](Self::validator).
    pub fn gate(&self) -> Gate {
        Gate::new(self.validator())
    }

    /// A gate whose validator counts the tokens it validates (see [`CountingRevocation`]),
    /// and the counter.
    #[allow(clippy::expect_used)] // A fixed, valid configuration: a panic is a bug of the kit.
    pub fn counting_gate(&self) -> (Gate, CountingRevocation) {
        let validations = CountingRevocation::default();
        let validator = self
            .validator_builder()
            .revocation(validations.clone())
            .build()
            .expect("the fixture's validator configuration is valid");
        (Gate::new(validator), validations)
    }

    /// Claims for `subject` from [`ISSUER`] to [`AUDIENCE`], valid for 5 minutes; edit them
    /// before [`TestKey::mint`] to test a refusal.
    pub fn claims(&self, subject: &str) -> Value {
        claims_for(ISSUER, AUDIENCE, subject)
    }

    /// A token for `subject` holding `roles`.
    pub fn token(&self, subject: &str, roles: &[&str]) -> String {
        let mut claims = self.claims(subject);
        claims["roles"] = json!(roles);
        self.key.mint(&claims)
    }

    /// `Bearer <token>` for `subject` holding `roles`: an `Authorization` header value.
    pub fn bearer(&self, subject: &str, roles: &[&str]) -> String {
        format!("Bearer {}", self.token(subject, roles))
    }

    /// `Bearer <token>` for `subject` holding `roles`, the token naming `tenant` in its tenant
    /// claim (a credential bound to that tenant).
    pub fn bearer_in(&self, subject: &str, roles: &[&str], tenant: &str) -> String {
        let mut claims = self.claims(subject);
        claims["roles"] = json!(roles);
        claims["tenant"] = json!(tenant);
        format!("Bearer {}", self.key.mint(&claims))
    }

    /// Role assignments in memory for the adapters' tenant-route tests: `ann` (of
    /// [`ISSUER`]) is a `viewer` in `acme` and an `editor` in `globex`; nobody else is a member
    /// anywhere.
    pub fn assignments(&self) -> crate::assignments::MemoryAssignments<notes::Policy> {
        use crate::assignments::{Member, MemoryAssignments};
        let store = MemoryAssignments::new();
        store.grant(Member::new(ISSUER, "ann", "acme"), notes::Role::Viewer);
        store.grant(Member::new(ISSUER, "ann", "globex"), notes::Role::Editor);
        store
    }
}

/// A revocation hook that revokes nothing and counts the checks it answers: the validator
/// consults it once for every token that passed the other checks, so the count is the number
/// of validations (a test of "authenticated once per request" reads it).
#[derive(Debug, Clone, Default)]
pub struct CountingRevocation(Arc<AtomicUsize>);

impl CountingRevocation {
    /// The checks answered so far.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Revocation for CountingRevocation {
    fn check<'a>(
        &'a self,
        _: RevocationQuery<'a>,
    ) -> BoxFuture<'a, Result<RevocationStatus, RevocationError>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(RevocationStatus::Active) })
    }
}
