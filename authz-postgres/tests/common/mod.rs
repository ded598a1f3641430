//! What the PostgreSQL tests share: a policy, claims, a cluster with the migration applied,
//! and a direct connection for writing rows by hand.
#![allow(dead_code, unreachable_pub, unused_imports)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authz_core::assignments::{Assignments, Member, TenantError};
use authz_core::testkit::{TestKey, claims_for};
use authz_core::{Algorithm, Authenticated, Validator};
use authz_postgres::testing::PgServer;
use authz_postgres::{Options, PgAssignments};

authz_core::policy! {
    /// An organisation's invoices.
    pub mod invoices {
        permissions {
            /// Read the organisation's invoices.
            "invoices:read",
            /// Create and change invoices.
            "invoices:write",
            /// Approve invoices.
            "invoices:approve",
            /// Add and remove members of the organisation.
            "members:manage",
            /// Manage members of any organisation (support staff).
            "members:manage_any_tenant",
        }
        roles {
            /// Reads invoices.
            "viewer" = ["invoices:read"],
            /// Writes invoices.
            "clerk" = "viewer" + ["invoices:write"],
            /// Runs the organisation.
            "admin" = "clerk" + ["members:manage"],
            /// Approves invoices.
            "approver" = "viewer" + ["invoices:approve"],
            /// Support staff.
            "staff" = "viewer" + ["members:manage", "members:manage_any_tenant"],
        }
        separation_of_duties {
            ["invoices:write", "invoices:approve"],
        }
    }
}

pub use invoices::{Policy, Role, perm};

pub const ISSUER: &str = "https://id.example";
pub const AUDIENCE: &str = "invoices-api";

/// A token that only authenticates: subject, and optionally a tenant claim.
#[derive(Clone, serde::Deserialize, authz_core::Claims)]
pub struct Token {
    pub sub: String,
    #[claims(roles)]
    #[serde(default)]
    pub roles: Vec<String>,
    #[claims(tenant)]
    #[serde(default)]
    pub org: Option<String>,
}

pub type Caller = Authenticated<Policy, Token>;

/// Mints and validates tokens of [`ISSUER`].
pub struct Tokens {
    key: TestKey,
    validator: Validator,
}

impl Tokens {
    pub fn new() -> Self {
        let key = TestKey::generate(Algorithm::ES256, "k1");
        let validator = Validator::builder()
            .algorithms([Algorithm::ES256])
            .key(key.verification_key())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap();
        Self { key, validator }
    }

    /// A token of `subject` with `roles` and a tenant claim.
    pub fn token(&self, subject: &str, roles: &[&str], org: Option<&str>) -> String {
        let mut claims = claims_for(ISSUER, AUDIENCE, subject);
        claims["roles"] = serde_json::json!(roles);
        if let Some(org) = org {
            claims["org"] = serde_json::json!(org);
        }
        self.key.mint(&claims)
    }

    /// A validator of these tokens with the verified-token cache on.
    pub fn validator_with_cache(&self) -> Validator {
        Validator::builder()
            .algorithms([Algorithm::ES256])
            .key(self.key.verification_key())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .cache(1_000)
            .build()
            .unwrap()
    }

    /// A validated caller `subject` with the token's `roles` and tenant claim.
    pub async fn caller(&self, subject: &str, roles: &[&str], org: Option<&str>) -> Caller {
        let token = self.token(subject, roles, org);
        self.validator
            .validate::<Token>(&token)
            .await
            .unwrap()
            .into()
    }
}

/// A member of [`ISSUER`].
pub fn member<'a>(subject: &'a str, tenant: &'a str) -> Member<'a> {
    Member::new(ISSUER, subject, tenant)
}

/// A cluster with the migration applied.
pub async fn server() -> PgServer {
    let server = tokio::task::spawn_blocking(|| PgServer::start().expect("a PostgreSQL cluster"))
        .await
        .unwrap();
    authz_postgres::migrate(&server.config()).await.unwrap();
    server
}

pub async fn store(server: &PgServer) -> PgAssignments<Policy> {
    PgAssignments::connect_with(&server.config(), Options::default())
        .await
        .unwrap()
}

/// A connection of its own, for writing rows and sending notifications by hand.
pub async fn sql(server: &PgServer) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&server.config(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// Waits until `check` holds, polling every millisecond; how long it took. Fails the test
/// after `limit`.
pub async fn until<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Whether `caller` may act in `tenant` with permission `invoices:read`, or why not.
pub async fn reads<A: Assignments<Policy>>(
    store: &A,
    caller: &Caller,
    tenant: &str,
) -> Result<bool, TenantError> {
    let scoped = caller.in_tenant(store, tenant).await?;
    Ok(scoped.require::<perm::InvoicesRead>().is_ok())
}

/// Collects the audit events named `event` (all fields, as `name=value`), on this thread.
#[derive(Default, Clone)]
pub struct Audit(pub Arc<Mutex<Vec<String>>>);

impl Audit {
    pub fn events(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl tracing::Subscriber for Audit {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == authz_core::audit::AUDIT_TARGET
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Fields<'a>(&'a mut Vec<String>);
        impl tracing::field::Visit for Fields<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push(format!("{}={value:?}", field.name()));
            }
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.0.push(format!("{}={value}", field.name()));
            }
        }
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(fields.join(" "));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}
