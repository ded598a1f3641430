//! A throwaway PostgreSQL cluster on loopback for test suites (feature `test-util`).
//!
//! ```no_run
//! use authz_postgres::testing::PgServer;
//!
//! let mut server = PgServer::start().expect("postgres");
//! let config = server.config(); // host=127.0.0.1 port=PORT user=postgres dbname=postgres
//! server.kill();                 // as a crash: clients see their connections drop
//! server.restart().expect("same port, same data");
//! # let _ = config;
//!
//! // With TLS on (`ssl = on`), and the CA that signed its certificate, to trust.
//! let server = PgServer::start_with_tls().expect("postgres with TLS");
//! let ca_pem = server.ca_certificate().expect("a CA");
//! # let _ = ca_pem;
//! ```

use core::fmt;
use std::io;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

const READY_WITHIN: Duration = Duration::from_secs(30);

/// A PostgreSQL cluster made with `initdb` in a fresh temporary directory, listening on
/// `127.0.0.1` and a free port, with trust authentication for the `postgres` user; stopped
/// and removed when dropped. It can be killed and restarted on the same port with its data,
/// to test what a client does while the server is down and after it is back.
///
/// Needs the Debian package `postgresql` (its `initdb` and `pg_ctl`, found on `PATH` or under
/// `/usr/lib/postgresql/<version>/bin`); `scripts/test.sh` installs it. PostgreSQL refuses to
/// run as root, so when the tests run as root (CI), the cluster runs as the `postgres` user
/// the package creates (`runuser -u postgres`). Without the package, [`PgServer::start`]
/// returns an error saying so, so that a test fails instead of passing without having run.
pub struct PgServer {
    port: u16,
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    running: bool,
    /// With TLS: the CA's certificate (PEM).
    ca: Option<Vec<u8>>,
}

impl fmt::Debug for PgServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgServer")
            .field("port", &self.port)
            .field("running", &self.running)
            .field("tls", &self.ca.is_some())
            .finish()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn missing_package(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!(
            "cannot find `{what}`: install the Debian package `postgresql` \
             (apt-get install -y postgresql; scripts/test.sh does)"
        ),
    )
}

/// The directory holding `initdb` and `pg_ctl`: on `PATH`, else the newest
/// `/usr/lib/postgresql/<version>/bin`.
fn bin_dir() -> io::Result<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                return Ok(dir);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| missing_package("initdb"))?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| missing_package("initdb"))
}

fn checked(what: &str, output: Output) -> io::Result<()> {
    if output.status.success() {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "{what} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    )))
}

/// The output of `id` with `args`, trimmed.
fn id(args: &[&str]) -> io::Result<String> {
    let output = Command::new("id").args(args).output()?;
    checked("id", output.clone())?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Runs the `openssl` command with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) -> io::Result<()> {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    "cannot find `openssl`: install the Debian package `openssl` \
                     (apt-get install -y openssl; scripts/test.sh does)",
                )
            } else {
                e
            }
        })?;
    checked("openssl", output)
}

/// The file names of the server's certificate and key, in the cluster's directory.
const SERVER_CERT: &str = "server.crt";
const SERVER_KEY: &str = "server.key";

impl PgServer {
    /// Makes a cluster in a new temporary directory and starts it on a free loopback port.
    pub fn start() -> io::Result<Self> {
        Self::start_inner(false)
    }

    /// [`start`](Self::start), with TLS on (`ssl = on`): a CA made for this cluster (ECDSA
    /// P-256, valid for a day, made with the `openssl` command, which `scripts/test.sh`
    /// installs) signs a server certificate for `127.0.0.1` and `localhost`.
    /// [`ca_certificate`](Self::ca_certificate) is the CA to trust. The server accepts plain
    /// connections too, so a test can see from the server's side (`pg_stat_ssl`) which of
    /// its connections are encrypted.
    pub fn start_with_tls() -> io::Result<Self> {
        Self::start_inner(true)
    }

    /// With [`start_with_tls`](Self::start_with_tls): the certificate (PEM) of the CA that
    /// signed the server's.
    pub fn ca_certificate(&self) -> Option<&[u8]> {
        self.ca.as_deref()
    }

    fn start_inner(tls: bool) -> io::Result<Self> {
        static SEQUENCE: AtomicU32 = AtomicU32::new(0);
        let bin = bin_dir()?;
        let as_postgres = id(&["-u"])? == "0";
        let dir = std::env::temp_dir().join(format!(
            "authz-pg-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let mut server = Self {
            port,
            dir,
            bin,
            as_postgres,
            running: false,
            ca: None,
        };
        let owner = if as_postgres {
            let uid = id(&["-u", "postgres"]).map_err(|_| {
                io::Error::other(
                    "running as root, and there is no `postgres` user to run the cluster as: \
                     install the Debian package `postgresql`, which creates it",
                )
            })?;
            let gid = id(&["-g", "postgres"])?;
            let (uid, gid) = (
                uid.parse().map_err(io::Error::other)?,
                gid.parse().map_err(io::Error::other)?,
            );
            std::os::unix::fs::chown(&server.dir, Some(uid), Some(gid))?;
            Some((uid, gid))
        } else {
            None
        };
        let data = server.data();
        server.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth=trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        if tls {
            server.ca = Some(server.make_certificates(owner)?);
        }
        server.restart()?;
        Ok(server)
    }

    /// Makes the CA and the server's certificate and key in the cluster's directory, the key
    /// owned by the server's user and readable by it alone (PostgreSQL refuses it otherwise);
    /// the CA's certificate.
    fn make_certificates(&self, owner: Option<(u32, u32)>) -> io::Result<Vec<u8>> {
        let dir = &self.dir;
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "1",
                "-subj",
                "/CN=authz-postgres test CA",
            ],
        )?;
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                SERVER_KEY,
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        )?;
        std::fs::write(
            dir.join("san.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )?;
        openssl(
            dir,
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
                SERVER_CERT,
                "-days",
                "1",
                "-extfile",
                "san.ext",
            ],
        )?;
        let _ = std::fs::remove_file(dir.join("ca.key"));
        for file in [SERVER_CERT, SERVER_KEY] {
            let path = dir.join(file);
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::chown(&path, Some(uid), Some(gid))?;
            }
            let mode = if file == SERVER_KEY { 0o600 } else { 0o644 };
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(mode))?;
        }
        std::fs::read(dir.join("ca.crt"))
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs one of the cluster's programs, as `postgres` when this process is root.
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> io::Result<()> {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&path);
            command
        } else {
            Command::new(&path)
        };
        let output = command
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                if e.kind() == io::ErrorKind::NotFound {
                    missing_package(program)
                } else {
                    e
                }
            })?;
        checked(program, output)
    }

    /// `host=127.0.0.1 port=PORT user=postgres dbname=postgres`, for
    /// [`PgAssignments::connect`](crate::PgAssignments::connect).
    pub fn config(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            self.port
        )
    }

    /// The port, the same across [`kill`](Self::kill) and [`restart`](Self::restart).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The temporary directory holding the cluster (removed on drop).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the server is running.
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`: every backend
    /// quits without a goodbye to its client), and waits for it to be gone.
    pub fn kill(&mut self) {
        if !self.running {
            return;
        }
        let data = self.data();
        let _ = self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-m".as_ref(),
                "immediate".as_ref(),
                "-w".as_ref(),
                "stop".as_ref(),
            ],
        );
        self.running = false;
    }

    /// Starts the server again on the same port, with its data, and waits until it accepts
    /// connections. Does nothing if it is running.
    pub fn restart(&mut self) -> io::Result<()> {
        if self.running {
            return Ok(());
        }
        let data = self.data();
        let log = self.dir.join("server.log");
        // fsync off: a killed server keeps what it committed (the OS holds the writes), only
        // an OS crash would lose it. `synchronous_commit` stays on: off, a kill loses the last
        // commits, and the tests kill the server.
        let mut options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
             -c fsync=off -c full_page_writes=off \
             -c shared_buffers=16MB -c max_connections=50",
            self.port,
            self.dir.display()
        );
        if self.ca.is_some() {
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                self.dir.join(SERVER_CERT).display(),
                self.dir.join(SERVER_KEY).display()
            ));
        }
        self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
                "-w".as_ref(),
                "-t".as_ref(),
                "30".as_ref(),
                "start".as_ref(),
            ],
        )
        .map_err(|e| io::Error::other(format!("{e}; server log: {}", tail(&log))))?;
        self.running = true;
        let deadline = Instant::now() + READY_WITHIN;
        while TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_err() {
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "postgres did not accept connections within 30 s",
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

/// The end of the server's log, for an error message.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let start = text.len().saturating_sub(2000);
    let start = (start..text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(text.len());
    text[start..].trim().to_owned()
}
