//! TLS on every connection (feature `tls`), against a PostgreSQL cluster with `ssl = on` and a
//! certificate a test CA signed (`PgServer::start_with_tls`): memberships are written, read
//! and pushed over TLS, and the server itself says each of the store's connections is
//! encrypted; an untrusted certificate, a certificate for another name, a server without TLS
//! and `sslmode=require` without TLS configured are each refused, never used in the clear.

mod common;

use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use authz_core::assignments::TenantError;
use authz_postgres::rustls::pki_types::CertificateDer;
use authz_postgres::rustls::pki_types::pem::PemObject as _;
use authz_postgres::rustls::{self, ClientConfig, RootCertStore};
use authz_postgres::testing::PgServer;
use authz_postgres::{Options, PgAssignments, PgError};
use common::*;

const ONE_SECOND: Duration = Duration::from_secs(1);
/// The `application_name` of the listener's connections (`pg_stat_activity`).
const LISTENER: &str = "authz-postgres listener";

/// A rustls configuration trusting the CA `ca` (PEM), or nothing at all.
fn trusting(ca: Option<&[u8]>) -> ClientConfig {
    let mut roots = RootCertStore::empty();
    if let Some(pem) = ca {
        for certificate in CertificateDer::pem_slice_iter(pem) {
            roots.add(certificate.unwrap()).unwrap();
        }
    }
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// Options with TLS `tls`, and room for a handshake on a busy machine.
fn options(tls: ClientConfig) -> Options {
    Options::default()
        .timeout(Duration::from_secs(5))
        .load_timeout(Duration::from_secs(30))
        .tls(tls)
}

async fn start(tls: bool) -> PgServer {
    tokio::task::spawn_blocking(move || {
        if tls {
            PgServer::start_with_tls().expect("a PostgreSQL cluster with TLS")
        } else {
            PgServer::start().expect("a PostgreSQL cluster")
        }
    })
    .await
    .unwrap()
}

/// A plain connection named `name`, to write rows and read the server's statistics.
async fn admin(server: &PgServer, name: &str) -> tokio_postgres::Client {
    let config = format!("{} application_name={name}", server.config());
    let (client, connection) = tokio_postgres::connect(&config, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// The server's view of the connections named `name`: whether each is encrypted.
async fn encrypted(admin: &tokio_postgres::Client, name: &str) -> Vec<bool> {
    admin
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = $1",
            &[&name],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// The `rustls::Error` somewhere in `error`'s sources (an `io::Error` hides the error it
/// wraps from `source`, so look inside those too).
fn rustls_error(error: &PgError) -> Option<&rustls::Error> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = cause {
        if let Some(found) = error.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(found) = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(found);
        }
        cause = error.source();
    }
    None
}

/// `error` and its sources, one per line.
fn chain(error: &PgError) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        text.push_str(&format!("\n  {error}"));
        cause = error.source();
    }
    text
}

#[tokio::test]
async fn memberships_are_written_read_and_pushed_over_tls() {
    let server = start(true).await;
    let ca = server.ca_certificate().expect("a CA");
    let config = format!(
        "{} sslmode=require application_name=authz-tls-store",
        server.config()
    );
    authz_postgres::migrate_with(&config, &options(trusting(Some(ca))))
        .await
        .unwrap();
    let a = PgAssignments::<Policy>::connect_with(&config, options(trusting(Some(ca))))
        .await
        .unwrap();
    let b = PgAssignments::<Policy>::connect_with(&config, options(trusting(Some(ca))))
        .await
        .unwrap();
    assert!(a.options().has_tls());

    // Written through a's connection, read back by a, pushed to b through b's listener.
    let tokens = Tokens::new();
    let ann = tokens.caller("ann", &[], None).await;
    assert!(a.grant(member("ann", "acme"), Role::Viewer).await.unwrap());
    assert!(matches!(reads(&a, &ann, "acme").await, Ok(true)));
    until(ONE_SECOND, "grant pushed to b", || async {
        matches!(reads(&b, &ann, "acme").await, Ok(true))
    })
    .await;
    assert!(b.is_current(), "b answers from its copy");
    // A row written by hand reaches both through their listeners (NOTIFY over TLS).
    let admin = admin(&server, "authz-tls-admin").await;
    admin
        .batch_execute(
            "INSERT INTO authz_role_assignments (issuer, subject, tenant, role) \
             VALUES ('https://id.example', 'bob', 'acme', 'clerk')",
        )
        .await
        .unwrap();
    let bob = tokens.caller("bob", &[], None).await;
    for store in [&a, &b] {
        until(ONE_SECOND, "row written by hand pushed", || async {
            matches!(reads(store, &bob, "acme").await, Ok(true))
        })
        .await;
    }
    // And a revocation by hand.
    admin
        .batch_execute("DELETE FROM authz_role_assignments WHERE subject = 'ann'")
        .await
        .unwrap();
    until(ONE_SECOND, "revocation pushed to b", || async {
        matches!(reads(&b, &ann, "acme").await, Err(TenantError::Denied(_)))
    })
    .await;
    assert!(
        a.members_in("acme")
            .await
            .unwrap()
            .iter()
            .any(|listed| listed.subject == "bob")
    );

    // The server's word: each store's connection for lookups and writes (named by the
    // settings) and each listener (named by the store) is encrypted. The admin's plain
    // connection shows that the query tells the two apart.
    let stores = encrypted(&admin, "authz-tls-store").await;
    assert!(stores.len() >= 2, "a's and b's connections: {stores:?}");
    assert!(stores.iter().all(|ssl| *ssl), "{stores:?}");
    let listeners = encrypted(&admin, LISTENER).await;
    assert_eq!(listeners, [true, true], "a's and b's listeners");
    assert_eq!(encrypted(&admin, "authz-tls-admin").await, [false]);

    // Without `sslmode` in the settings (tokio-postgres's `prefer`), TLS is used all the same.
    let implicit = format!("{} application_name=authz-tls-implicit", server.config());
    let c = PgAssignments::<Policy>::connect_with(&implicit, options(trusting(Some(ca))))
        .await
        .unwrap();
    assert!(matches!(reads(&c, &bob, "acme").await, Ok(true)));
    assert_eq!(encrypted(&admin, "authz-tls-implicit").await, [true]);
    assert_eq!(encrypted(&admin, LISTENER).await, [true, true, true]);
}

#[tokio::test]
async fn a_certificate_not_trusted_or_for_another_name_is_refused() {
    let server = start(true).await;
    let ca = server.ca_certificate().expect("a CA");
    let config = format!("{} sslmode=require", server.config());
    authz_postgres::migrate_with(&config, &options(trusting(Some(ca))))
        .await
        .unwrap();

    // Trusting no CA: the server's certificate has an unknown issuer.
    let error = authz_postgres::migrate_with(&config, &options(trusting(None)))
        .await
        .unwrap_err();
    assert!(matches!(error, PgError::Database(_)), "{error:?}");
    assert_eq!(
        rustls_error(&error),
        Some(&rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer
        )),
        "{}",
        chain(&error)
    );
    assert!(
        chain(&error).contains("invalid peer certificate: UnknownIssuer"),
        "{}",
        chain(&error)
    );
    // The store says so at once, not after its load timeout (30 s here).
    let started = Instant::now();
    let error = PgAssignments::<Policy>::connect_with(&config, options(trusting(None)))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        matches!(
            rustls_error(&error),
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        ),
        "{}",
        chain(&error)
    );

    // Trusting the CA, but reaching the server under a name its certificate does not carry
    // (`hostaddr` is where the connection goes, `host` the name the certificate must show).
    let elsewhere = format!(
        "host=db.example hostaddr=127.0.0.1 port={} user=postgres dbname=postgres sslmode=require",
        server.port()
    );
    let error = PgAssignments::<Policy>::connect_with(&elsewhere, options(trusting(Some(ca))))
        .await
        .unwrap_err();
    assert!(
        matches!(
            rustls_error(&error),
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. }
            ))
        ),
        "{}",
        chain(&error)
    );
}

#[tokio::test]
async fn sslmode_require_without_tls_configured_fails_closed() {
    let server = start(true).await;
    let ca = server.ca_certificate().expect("a CA");
    let admin = admin(&server, "authz-tls-admin").await;
    let config = format!(
        "{} sslmode=require application_name=authz-tls-refused",
        server.config()
    );
    // No `Options::tls`: refused before anything is sent, with the fix in the message.
    let error = authz_postgres::migrate(&config).await.unwrap_err();
    let PgError::TlsSettings(message) = &error else {
        panic!("not refused for its settings: {error:?}");
    };
    assert!(message.contains("sslmode=require"), "{message}");
    assert!(
        message.contains("enable the `tls` feature") && message.contains("Options::tls(...)"),
        "{message}"
    );
    let started = Instant::now();
    let error = PgAssignments::<Policy>::connect_with(&config, Options::default())
        .await
        .unwrap_err();
    assert!(matches!(error, PgError::TlsSettings(_)), "{error:?}");
    assert!(started.elapsed() < ONE_SECOND, "refused at once");
    assert_eq!(
        encrypted(&admin, "authz-tls-refused").await,
        [] as [bool; 0]
    );

    // The contradiction the other way: TLS configured, settings that say disable.
    let disable = format!("{} sslmode=disable", server.config());
    let error = PgAssignments::<Policy>::connect_with(&disable, options(trusting(Some(ca))))
        .await
        .unwrap_err();
    let PgError::TlsSettings(message) = &error else {
        panic!("not refused for its settings: {error:?}");
    };
    assert!(message.contains("sslmode=disable"), "{message}");
}

#[tokio::test]
async fn a_server_without_tls_is_refused_not_used_in_the_clear() {
    // A server without TLS (or a man in the middle answering for it that it has none): with
    // TLS configured the store refuses it, whether the settings say `require` or nothing.
    let server = start(false).await;
    authz_postgres::migrate(&server.config()).await.unwrap();
    for config in [
        server.config(),
        format!("{} sslmode=require", server.config()),
    ] {
        let error = authz_postgres::migrate_with(&config, &options(trusting(None)))
            .await
            .unwrap_err();
        assert!(
            chain(&error).contains("server does not support TLS"),
            "{}",
            chain(&error)
        );
        let started = Instant::now();
        let error = PgAssignments::<Policy>::connect_with(&config, options(trusting(None)))
            .await
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "refused at once"
        );
        assert!(
            chain(&error).contains("server does not support TLS"),
            "{}",
            chain(&error)
        );
    }
}
