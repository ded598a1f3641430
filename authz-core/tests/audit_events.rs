//! The audit events' levels and fields: refusals at `WARN`, grants at `DEBUG`, owner checks
//! audited both ways, and nothing emitted for a level no subscriber wants.

use std::sync::{Arc, Mutex};

use authz_core::testkit::fixture::{Fixture, ISSUER, NotesClaims as Token, notes};
use authz_core::{Authenticated, Gate, HasOwner, audit::AUDIT_TARGET};
use tracing::Level;

struct Doc(&'static str);

impl HasOwner for Doc {
    fn owner(&self) -> &str {
        self.0
    }
}

/// One recorded audit event: level, `event`, `decision`, `reason`.
type Seen = (Level, String, String, String);

/// A subscriber that wants `authz::audit` events up to `max` and records them.
struct Capture {
    max: Level,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Each event's `issuer` field, as recorded (`Debug`).
    issuers: Arc<Mutex<Vec<String>>>,
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == AUDIT_TARGET && *metadata.level() <= self.max
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        #[derive(Default)]
        struct Fields(String, String, String, String);
        impl tracing::field::Visit for Fields {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                match field.name() {
                    "event" => self.0 = value.to_owned(),
                    "decision" => self.1 = value.to_owned(),
                    "reason" => self.2 = value.to_owned(),
                    _ => {}
                }
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "issuer" {
                    self.3 = format!("{value:?}");
                }
            }
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let level = *event.metadata().level();
        self.issuers.lock().unwrap().push(fields.3.clone());
        self.seen
            .lock()
            .unwrap()
            .push((level, fields.0, fields.1, fields.2));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

fn caller(
    gate: &Gate,
    fixture: &Fixture,
    sub: &str,
    role: &str,
) -> Authenticated<notes::Policy, Token> {
    let header = fixture.bearer(sub, &[role]);
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(gate.authenticate::<notes::Policy, Token>([header.as_bytes()], "/doc"))
        .unwrap()
}

/// Runs every kind of decision under a subscriber that wants events up to `max`.
fn decisions_seen_at(max: Level) -> Vec<Seen> {
    decisions_and_issuers_seen_at(max).0
}

/// The same, with each event's `issuer` field.
fn decisions_and_issuers_seen_at(max: Level) -> (Vec<Seen>, Vec<String>) {
    let fixture = Fixture::new();
    let gate = fixture.gate();
    // A viewer, and an admin, who reads anyone's reports.
    let ann = caller(&gate, &fixture, "ann", "viewer");
    let ada = caller(&gate, &fixture, "ada", "admin");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let issuers = Arc::new(Mutex::new(Vec::new()));
    let subscriber = Capture {
        max,
        seen: seen.clone(),
        issuers: issuers.clone(),
    };
    tracing::subscriber::with_default(subscriber, || {
        assert!(
            gate.authorize::<notes::perm::NotesRead, _>(&ann, "/doc")
                .is_ok()
        );
        assert!(
            gate.authorize::<notes::perm::NotesWrite, _>(&ann, "/doc")
                .is_err()
        );
        assert!(
            ann.check_owner(Doc("ann"), notes::perm::NotesReadAny)
                .is_ok()
        );
        assert!(
            ada.check_owner(Doc("ann"), notes::perm::NotesReadAny)
                .is_ok()
        );
        assert!(
            ann.check_owner(Doc("bob"), notes::perm::NotesReadAny)
                .is_err()
        );
    });
    let seen = seen.lock().unwrap().clone();
    let issuers = issuers.lock().unwrap().clone();
    (seen, issuers)
}

#[test]
fn decisions_name_the_callers_issuer() {
    // With several issuers the identity is (issuer, subject): every decision says which.
    let (seen, issuers) = decisions_and_issuers_seen_at(Level::DEBUG);
    assert_eq!(seen.len(), 5);
    assert_eq!(issuers, vec![format!("{ISSUER:?}"); 5]);
}

fn seen(level: Level, event: &str, decision: &str, reason: &str) -> Seen {
    (level, event.into(), decision.into(), reason.into())
}

#[test]
fn grants_are_debug_refusals_warn_and_owner_checks_are_audited() {
    assert_eq!(
        decisions_seen_at(Level::DEBUG),
        [
            seen(Level::DEBUG, "authorization", "allow", "rule met"),
            seen(Level::WARN, "authorization", "deny", "missing permission"),
            seen(Level::DEBUG, "owner_check", "allow", "owner"),
            seen(Level::DEBUG, "owner_check", "allow", "override"),
            seen(Level::WARN, "owner_check", "deny", "not the owner"),
        ]
    );
}

#[test]
fn a_service_logging_at_info_records_every_refusal_and_no_grant() {
    assert_eq!(
        decisions_seen_at(Level::INFO),
        [
            seen(Level::WARN, "authorization", "deny", "missing permission"),
            seen(Level::WARN, "owner_check", "deny", "not the owner"),
        ]
    );
}
