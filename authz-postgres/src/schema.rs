//! The table, its trigger and the channel: shipped as a migration file.

use std::time::Duration;

use crate::PgError;
use crate::error::within;

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
pub async fn migrate(config: &str) -> Result<(), PgError> {
    let config: tokio_postgres::Config = config.parse().map_err(PgError::Config)?;
    let (client, connection) =
        within(MIGRATION_TIMEOUT, config.connect(tokio_postgres::NoTls)).await?;
    let driver = tokio::spawn(connection);
    let script =
        format!("BEGIN; SELECT pg_advisory_xact_lock(7301946385012); {MIGRATION}\nCOMMIT;");
    let result = within(MIGRATION_TIMEOUT, client.batch_execute(&script)).await;
    drop(client);
    let _ = driver.await;
    result
}
