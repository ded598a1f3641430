//! What can go wrong talking to PostgreSQL.

use std::time::Duration;

/// PostgreSQL could not be used: the store answers 503 for as long as this lasts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The connection settings do not parse (the message names the setting).
    #[error("invalid PostgreSQL connection settings")]
    Config(#[source] tokio_postgres::Error),
    /// The connection settings and the TLS configuration disagree (nothing was sent): the
    /// settings say `sslmode=require` and no TLS is configured (enable the `tls` feature and
    /// give `Options::tls(...)`), or `sslmode=disable` with TLS configured. The message names
    /// the fix.
    #[error("{0}")]
    TlsSettings(&'static str),
    /// The server refused, failed or closed the connection (with TLS, a refused handshake too:
    /// its sources hold the `rustls::Error`).
    #[error("PostgreSQL failed")]
    Database(#[from] tokio_postgres::Error),
    /// The connection closed (the server stopped, or ended the session).
    #[error("the connection to PostgreSQL closed")]
    Closed,
    /// The server did not answer in time.
    #[error("PostgreSQL did not answer within {0:?}")]
    Timeout(Duration),
    /// The copy in memory was not loaded in time at start.
    #[error(
        "the role assignments were not loaded within {0:?}: is PostgreSQL reachable, and was the migration applied (authz_postgres::migrate)?"
    )]
    NotLoaded(Duration),
}

/// `future`, or [`PgError::Timeout`] after `limit`.
pub(crate) async fn within<T, E: Into<PgError>>(
    limit: Duration,
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, PgError> {
    match tokio::time::timeout(limit, future).await {
        Ok(result) => result.map_err(Into::into),
        Err(_) => Err(PgError::Timeout(limit)),
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    /// The convention of the workspace's errors: a message shows its own layer and the cause
    /// is its `source`, so that a log printing the chain shows each line once.
    #[test]
    fn the_drivers_error_is_the_source_not_repeated_in_the_message() {
        let driver = "port=not-a-number"
            .parse::<tokio_postgres::Config>()
            .unwrap_err();
        let cause = driver.to_string();
        for error in [
            PgError::Config(driver),
            PgError::from("port=x".parse::<tokio_postgres::Config>().unwrap_err()),
        ] {
            let message = error.to_string();
            let source = error.source().expect("the driver's error is the source");
            assert!(!message.contains(&cause), "{message}");
            assert_eq!(source.to_string(), cause);
        }
    }
}
