//! How the kit sees the audit events a case writes: one `tracing` subscriber for the process.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::Dispatch;

use super::Audit;
use crate::audit::AUDIT_TARGET;

/// Kit runs take turns within a process.
pub(super) static RUNS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// An audit event as the kit recorded it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditEvent {
    /// The `event` field.
    pub event: String,
    /// The `decision` field, if any.
    pub decision: Option<String>,
    /// The `category` field, if any.
    pub category: Option<String>,
    /// The `route` field, if any.
    pub route: Option<String>,
}

impl Audit {
    pub(super) fn matches(self, event: &AuditEvent) -> bool {
        let (name, field, value) = match self {
            Audit::Authentication(category) => ("authentication", &event.category, category),
            Audit::Authorization(decision) => ("authorization", &event.decision, decision),
            Audit::OwnerCheck(decision) => ("owner_check", &event.decision, decision),
        };
        event.event == name && field.as_deref() == Some(value)
    }
}

/// The process-wide capture: one subscriber, installed as the global default when no other
/// was, and set on each request future too.
pub(super) struct Captured {
    pub(super) dispatch: Dispatch,
    events: Arc<Mutex<Vec<AuditEvent>>>,
    /// Whether the global default is the kit's.
    pub(super) global: bool,
}

impl Captured {
    pub(super) fn take(&self) -> Vec<AuditEvent> {
        self.events
            .lock()
            .map(|mut events| std::mem::take(&mut *events))
            .unwrap_or_default()
    }
}

pub(super) fn capture() -> &'static Captured {
    static CAPTURE: OnceLock<Captured> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let events = Arc::new(Mutex::new(Vec::new()));
        let dispatch = Dispatch::new(Capture {
            events: events.clone(),
            next_span: std::sync::atomic::AtomicU64::new(0),
        });
        let global = tracing::dispatcher::set_global_default(dispatch.clone()).is_ok();
        Captured {
            dispatch,
            events,
            global,
        }
    })
}

/// A `tracing` subscriber that records the events of the `authz::audit` target.
struct Capture {
    events: Arc<Mutex<Vec<AuditEvent>>>,
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
        struct Fields(AuditEvent);
        impl tracing::field::Visit for Fields {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                let value = value.to_owned();
                match field.name() {
                    "event" => self.0.event = value,
                    "decision" => self.0.decision = Some(value),
                    "category" => self.0.category = Some(value),
                    "route" => self.0.route = Some(value),
                    _ => {}
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn fmt::Debug) {}
        }
        if event.metadata().target() != AUDIT_TARGET {
            return;
        }
        let mut fields = Fields(AuditEvent::default());
        event.record(&mut fields);
        if let Ok(mut events) = self.events.lock() {
            events.push(fields.0);
        }
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}
