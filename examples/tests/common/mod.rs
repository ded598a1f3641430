//! The `reports-api` binary as a test starts it: a process on a free loopback port, killed
//! when the test ends however it ends.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `reports-api`.
pub(crate) struct ReportsApi {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base: String,
    /// What it printed before listening.
    pub(crate) startup: Vec<String>,
}

impl Drop for ReportsApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ReportsApi {
    /// Starts the binary with these environment variables (and `AUTHZ_ADDR` on a free port),
    /// and waits until it listens.
    pub(crate) fn start(env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_reports-api"));
        command.env("AUTHZ_ADDR", "127.0.0.1:0");
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start reports-api");
        let stdout = child.stdout.take().expect("stdout");
        let mut api = Self {
            child,
            base: String::new(),
            startup: Vec::new(),
        };
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("read stdout");
            if let Some(addr) = line.strip_prefix("listening on ") {
                api.base = addr.to_owned();
                return api;
            }
            api.startup.push(line);
        }
        panic!("reports-api exited without listening: {:?}", api.startup);
    }

    /// The URL of `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}
