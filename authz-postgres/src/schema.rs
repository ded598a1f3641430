//! The table, its trigger and the channel: shipped as a migration file.

use std::time::Duration;

use crate::error::within;
use crate::{Options, PgError, connect};

/// The migration that creates the table and its triggers (`migrations/0001_assignments.sql`).
/// Idempotent: run it with your migration tool, or with [`migrate`].
pub const MIGRATION: &str = include_str!("../migrations/0001_assignments.sql");

/// The table the assignments live in.
pub const TABLE: &str = "authz_role_assignments";

/// The channel the migration's trigger notifies on.
pub const CHANNEL: &str = "authz_role_assignments";

/// How long the migration may take.
const MIGRATION_TIMEOUT: Duration = Duration::from_secs(30);

/// Applies [`MIGRATION`] on the database `config` names (a libpq-style string such as
/// `host=127.0.0.1 port=5432 user=app dbname=app`, or a `postgresql://` URL), in one
/// transaction, under an advisory lock so that instances starting together do not race.
/// In the clear: settings that say `sslmode=require` are refused ([`PgError::TlsSettings`]);
/// [`migrate_with`] takes the store's [`Options`], with their TLS.
pub async fn migrate(config: &str) -> Result<(), PgError> {
    migrate_with(config, &Options::default()).await
}

/// [`migrate`] over the connection `options` describe: with their TLS (`Options::tls`,
/// feature `tls`), if any, under the same rules as the store's connections. The migration's
/// own timeout (30 s) applies, not `options.timeout`.
pub async fn migrate_with(config: &str, options: &Options) -> Result<(), PgError> {
    let mut config: tokio_postgres::Config = config.parse().map_err(PgError::Config)?;
    connect::prepare(&mut config, options)?;
    let (client, connection) =
        within(MIGRATION_TIMEOUT, connect::connect(&config, options)).await?;
    let driver = tokio::spawn(connection);
    let script =
        format!("BEGIN; SELECT pg_advisory_xact_lock(7301946385012); {MIGRATION}\nCOMMIT;");
    let result = within(MIGRATION_TIMEOUT, client.batch_execute(&script)).await;
    drop(client);
    let _ = driver.await;
    result
}
