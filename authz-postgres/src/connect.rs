//! Opening a connection: with TLS when [`Options::tls`] gave a configuration (feature `tls`),
//! in the clear otherwise, and never in the clear when the settings ask for TLS.

use core::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio_postgres::config::SslMode;
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{AsyncMessage, Client, Config, NoTls, Socket};

use crate::{Options, PgError};

/// The stream of a TLS connection, as tokio-postgres-rustls makes it (its type is private).
#[cfg(feature = "tls")]
type RustlsStream =
    <tokio_postgres_rustls::MakeRustlsConnect as tokio_postgres::tls::MakeTlsConnect<Socket>>::Stream;

/// The TLS configuration [`Options::tls`] stores: the rustls client configuration, shared by
/// every connection of the store (a clone is a reference count).
#[cfg(feature = "tls")]
#[derive(Clone)]
pub(crate) struct Tls(pub(crate) tokio_postgres_rustls::MakeRustlsConnect);

#[cfg(feature = "tls")]
impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("rustls::ClientConfig")
    }
}

/// Checks `config` against the TLS the options configure before anything is sent, so that a
/// store never speaks in the clear where the settings ask for TLS:
///
/// - no TLS configured and `sslmode=require`: [`PgError::TlsSettings`], naming the fix;
/// - TLS configured and `sslmode=prefer` (tokio-postgres's default): taken as `require`, since
///   under `prefer` a server, or a man in the middle, answering that it has no TLS would get
///   the session in the clear;
/// - TLS configured and `sslmode=disable`: [`PgError::TlsSettings`], a contradiction.
pub(crate) fn prepare(config: &mut Config, options: &Options) -> Result<(), PgError> {
    match (config.get_ssl_mode(), options.has_tls()) {
        (SslMode::Require, false) => Err(PgError::TlsSettings(
            "the connection settings say sslmode=require and no TLS is configured: \
             enable the `tls` feature of authz-postgres and give Options::tls(...) a rustls \
             ClientConfig (the roots to trust), or connect without sslmode=require",
        )),
        (SslMode::Disable, true) => Err(PgError::TlsSettings(
            "the connection settings say sslmode=disable and Options::tls(...) configures TLS: \
             remove one of the two",
        )),
        (SslMode::Prefer, true) => {
            config.ssl_mode(SslMode::Require);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Opens a connection with the TLS `options` configure, or in the clear; `config` has been
/// through [`prepare`]. The caller bounds the time it takes.
pub(crate) async fn connect(
    config: &Config,
    options: &Options,
) -> Result<(Client, Connection), PgError> {
    #[cfg(feature = "tls")]
    if let Some(tls) = &options.tls {
        let (client, connection) = config.connect(tls.0.clone()).await?;
        return Ok((client, Connection::Tls(Box::new(connection))));
    }
    #[cfg(not(feature = "tls"))]
    let _ = options;
    let (client, connection) = config.connect(NoTls).await?;
    Ok((client, Connection::Plain(Box::new(connection))))
}

/// Whether `error` is TLS refused: the handshake failing (an untrusted or mismatched
/// certificate, no protocol in common) or a server that has no TLS, a configuration that will
/// not fix itself, rather than the network or the server being down.
#[cfg(feature = "tls")]
pub(crate) fn is_tls_refusal(error: &PgError) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = cause {
        // tokio-postgres's error when the server answers the TLS request with no.
        if error.is::<rustls::Error>() || error.to_string() == "server does not support TLS" {
            return true;
        }
        // io::Error's `source` skips the error it wraps: look at that one too.
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && io
                .get_ref()
                .is_some_and(|inner| inner.is::<rustls::Error>())
        {
            return true;
        }
        cause = error.source();
    }
    false
}

/// The connection's half that talks to the server, with or without TLS: a future to spawn, or
/// a source of messages (notifications) to poll. Boxed (one allocation per connection): a TLS
/// session is four times the size of a plain one.
pub(crate) enum Connection {
    Plain(Box<tokio_postgres::Connection<Socket, NoTlsStream>>),
    #[cfg(feature = "tls")]
    Tls(Box<tokio_postgres::Connection<Socket, RustlsStream>>),
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plain(_) => f.write_str("Connection(plain)"),
            #[cfg(feature = "tls")]
            Self::Tls(_) => f.write_str("Connection(tls)"),
        }
    }
}

impl Connection {
    /// [`tokio_postgres::Connection::poll_message`].
    pub(crate) fn poll_message(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<AsyncMessage, tokio_postgres::Error>>> {
        match self {
            Self::Plain(connection) => connection.poll_message(cx),
            #[cfg(feature = "tls")]
            Self::Tls(connection) => connection.poll_message(cx),
        }
    }
}

impl Future for Connection {
    type Output = Result<(), tokio_postgres::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Self::Plain(connection) => Pin::new(connection.as_mut()).poll(cx),
            #[cfg(feature = "tls")]
            Self::Tls(connection) => Pin::new(connection.as_mut()).poll(cx),
        }
    }
}
