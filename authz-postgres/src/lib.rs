//! Per-tenant role assignments for authz on PostgreSQL.
//!
//! The identity provider says who a caller is; this crate lets the application's database say
//! what the caller is in each tenant. [`PgAssignments`] implements
//! [`authz_core::assignments::Assignments`]: every instance of the service keeps the
//! assignments in memory, loaded at start and kept current by PostgreSQL `LISTEN/NOTIFY`, so a
//! request asks no query; [`Authenticated::in_tenant`](authz_core::Authenticated::in_tenant)
//! joins a caller's roles in the request's tenant to its token's, under the same policy.
//!
//! ```
//! use authz_core::assignments::Member;
//! use authz_postgres::PgAssignments;
//! # authz_core::policy! { /// P
//! # pub mod invoices { permissions { /// r
//! # "invoices:read", /// w
//! # "invoices:write", } roles { /// v
//! # "viewer" = ["invoices:read"], /// a
//! # "admin" = "viewer" + ["invoices:write"], } } }
//! # #[derive(authz_core::Claims)] struct Session { sub: String }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! # let server = authz_postgres::testing::PgServer::start().unwrap();
//! # let config = server.config();
//! // `config`: "host=127.0.0.1 port=5432 user=app dbname=app", or a postgresql:// URL.
//! authz_postgres::migrate(&config).await?; // or run migrations/0001_assignments.sql yourself
//! let store = PgAssignments::<invoices::Policy>::connect(&config).await?;
//! store.grant(Member::new("", "ann", "acme"), invoices::Role::Admin).await?;
//!
//! // A caller whose credential says who it is, and nothing about acme.
//! let ann = authz_core::Authenticated::<invoices::Policy, _>::from_verified_claims(Session { sub: "ann".into() });
//! // In a handler for /orgs/{org}/invoices: the caller's roles in `org` joined to its own.
//! let in_acme = ann.in_tenant(&store, "acme").await.unwrap();
//! assert!(in_acme.require::<invoices::perm::InvoicesWrite>().is_ok());
//! // No membership in globex: 404, as another tenant's resource; 503 if the database is down.
//! assert_eq!(ann.in_tenant(&store, "globex").await.unwrap_err().http_status(), 404);
//! # Ok::<(), authz_postgres::PgError>(())
//! # }).unwrap();
//! ```
//!
//! # How the copy stays current, and when it is not read
//!
//! A background task listens on the channel `authz_role_assignments`, loads every assignment,
//! then follows the channel: the migration's trigger names each changed member there. **A
//! message is a hint, never the data**: the task reads the member's rows again before the copy
//! changes, so a forged `NOTIFY` costs one query and changes nothing.
//!
//! **Trust is a deadline.** Every [`HEARTBEAT`] the task sends a barrier (a random nonce) on
//! the channel through its own connection. PostgreSQL delivers notifications in commit order,
//! so when the barrier comes back and every hint before it has been re-read, the copy holds
//! every change committed before the barrier was sent; it is then trusted until that moment
//! plus [`HEARTBEAT`] plus the timeout (500 ms by default). A lost connection, a barrier not
//! back in time or a failed re-read end the subscription: until a new one has loaded
//! everything again, each lookup asks the database, and a database that cannot answer gives
//! [`Unavailable`](authz_core::assignments::Unavailable) (503), never a stale grant. A
//! revoked membership therefore stops working on every instance within 750 ms at most, and
//! within milliseconds in practice.
//!
//! # Driver
//!
//! `tokio-postgres`: asynchronous, notifications arrive on the connection's own message
//! stream, and it needs no database at compile time; see the guide for why, and for sqlx.
//!
//! # TLS
//!
//! With the feature `tls`, `Options::tls` takes a rustls `ClientConfig` and every connection
//! the crate makes uses it (the store's, its listener's, and [`migrate_with`]'s), verifying
//! the server's certificate; `sslmode=prefer` is then taken as `require`. Without it,
//! connections are in the clear, and settings that say `sslmode=require` are refused
//! ([`PgError::TlsSettings`]) rather than connected in the clear.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod connect;
mod error;
mod follow;
mod schema;
mod store;
mod table;
#[cfg(feature = "test-util")]
pub mod testing;

pub use error::PgError;
pub use follow::HEARTBEAT;
/// The rustls that [`Options::tls`] takes a configuration of (feature `tls`).
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub use rustls;
pub use schema::{CHANNEL, MIGRATION, TABLE, migrate, migrate_with};
pub use store::{Listed, Options, PgAssignments};
