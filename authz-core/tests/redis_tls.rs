//! The Redis stores over TLS (`rediss://`, feature `redis-tls`): against a redis-server that
//! only speaks TLS, with a certificate a test CA signed (made here with the `openssl` command),
//! revocations are stored, pushed and checked; a client that does not trust the CA, or that
//! speaks plain Redis to the TLS port, fails closed.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use authz_core::store::{RedisError, RedisRevocation};
use authz_core::testkit::now;
use authz_core::token::{Revocation, RevocationQuery, RevocationStatus};

/// The time allowed to connect: an RSA handshake on a busy shared machine took more than the
/// default second, and a test that asserts why a handshake failed needs it to finish.
const HANDSHAKE: Duration = Duration::from_secs(5);

/// A TLS-only redis-server, killed on drop.
struct TlsRedis {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("this test needs the openssl command (Debian package openssl)");
    assert!(status.success(), "openssl {args:?}");
}

/// Makes a CA and a server certificate for 127.0.0.1, and starts redis-server on TLS only.
fn start() -> (TlsRedis, Vec<u8>) {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("authz-redis-tls-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = TempDir(dir);
    let d = &dir.0;
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "1",
            "-subj",
            "/CN=authz test CA",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(d.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "1",
            "-extfile",
            "san.ext",
        ],
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args(["--tls-port", &port.to_string(), "--tls-auth-clients", "no"])
        .arg("--tls-cert-file")
        .arg(d.join("server.crt"))
        .arg("--tls-key-file")
        .arg(d.join("server.key"))
        .arg("--tls-ca-cert-file")
        .arg(d.join("ca.crt"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("this test needs redis-server (Debian package redis-server)");
    let ca = std::fs::read(d.join("ca.crt")).unwrap();
    let server = TlsRedis {
        child,
        port,
        _dir: dir,
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (server, ca);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("redis-server did not listen on its TLS port");
}

#[tokio::test]
async fn revocations_are_stored_pushed_and_checked_over_tls() {
    let (server, ca) = start();
    let url = format!("rediss://127.0.0.1:{}/", server.port);
    let store = RedisRevocation::builder(url.as_str())
        .tls_root_certificate(ca.clone())
        .timeout(HANDSHAKE)
        .build()
        .unwrap();
    let other = RedisRevocation::builder(url.as_str())
        .tls_root_certificate(ca)
        .timeout(HANDSHAKE)
        .build()
        .unwrap();
    let q = RevocationQuery::new(Some("over-tls"), None, None, now() + 300);
    assert_eq!(store.check(q).await.unwrap(), RevocationStatus::Active);
    assert_eq!(other.check(q).await.unwrap(), RevocationStatus::Active);
    // The push channel's subscription runs over TLS too: the copies load and stay trusted.
    for _ in 0..300 {
        if store.is_synced() && other.is_synced() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(store.is_synced() && other.is_synced());
    store.revoke_jti("over-tls", now() + 300).await.unwrap();
    let mut pushed = false;
    for _ in 0..100 {
        if other.check(q).await.unwrap() == RevocationStatus::Revoked {
            pushed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        pushed,
        "the revocation did not reach the other store over TLS"
    );
}

#[tokio::test]
async fn an_untrusted_certificate_or_plain_redis_fails_closed() {
    let (server, _) = start();
    let q = RevocationQuery::new(Some("x"), None, None, now() + 300);
    // The system's roots do not include the test CA.
    let untrusting = RedisRevocation::builder(format!("rediss://127.0.0.1:{}/", server.port))
        .timeout(HANDSHAKE)
        .build()
        .unwrap();
    let error = untrusting.check(q).await.unwrap_err();
    let cause = error
        .get_ref()
        .downcast_ref::<RedisError>()
        .expect("a Redis error");
    // Refused for the reason this test is about: rustls did not trust the server's certificate.
    assert!(cause.is_unreachable(), "{cause:?}");
    assert!(
        cause
            .to_string()
            .contains("invalid peer certificate: UnknownIssuer"),
        "{cause}"
    );
    // Plain Redis to the TLS port.
    let plain = RedisRevocation::builder(format!("redis://127.0.0.1:{}/", server.port))
        .timeout(HANDSHAKE)
        .build()
        .unwrap();
    let error = plain.check(q).await.unwrap_err();
    let cause = error
        .get_ref()
        .downcast_ref::<RedisError>()
        .expect("a Redis error");
    // The TLS port does not answer plain Redis: the connection fails (reset, closed or timed
    // out), not a command.
    let RedisError::Redis(redis_error) = cause else {
        panic!("not a connection failure: {cause:?}");
    };
    assert!(
        redis_error.is_io_error() || redis_error.is_timeout(),
        "{redis_error:?}"
    );
}
