//! Two `reports-api` instances sharing one Redis (issue 16), driven over HTTP: how long a
//! revocation made through one takes to be refused by the other (p50, p99), what a Redis
//! outage does, and whether any revoked token is ever accepted after the bound or any valid
//! token refused outside the outage. Run by `scripts/fleet.sh`; not part of CI.
//!
//!     revocation-fleet PATH_TO_REPORTS_API [REVOCATIONS]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use authz_core::Algorithm;
use authz_core::testkit::{JwksServer, RedisServer, TestKey, claims_for};
use serde_json::json;

const ISSUER: &str = "https://id.fleet.test";
const AUDIENCE: &str = "reports-api";
/// A revocation must reach the other instance within this.
const BOUND: Duration = Duration::from_secs(1);

struct Instance {
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(binary: &str, jwks_url: &str, redis_url: &str) -> Instance {
    let child = Command::new(binary)
        .env("AUTHZ_ADDR", "127.0.0.1:0")
        .env("AUTHZ_JWKS_URL", jwks_url)
        .env("AUTHZ_ISSUER", ISSUER)
        .env("AUTHZ_AUDIENCE", AUDIENCE)
        .env("AUTHZ_REDIS_URL", redis_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start reports-api");
    // Owned by the instance from here, so it is killed and waited for however this ends.
    let mut instance = Instance {
        child,
        base: String::new(),
    };
    let stdout = instance.child.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("stdout");
        if let Some(base) = line.strip_prefix("listening on ") {
            instance.base = base.to_owned();
            return instance;
        }
    }
    panic!("reports-api exited without listening");
}

fn token(key: &TestKey, sub: &str, role: &str, jti: &str) -> String {
    let mut claims = claims_for(ISSUER, AUDIENCE, sub);
    claims["roles"] = json!([role]);
    claims["jti"] = json!(jti);
    key.mint(&claims)
}

async fn status(http: &reqwest::Client, url: String, token: &str) -> u16 {
    http.get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

async fn revoke(http: &reqwest::Client, base: &str, admin: &str, jti: &str) -> u16 {
    http.post(format!("{base}/admin/revocations"))
        .bearer_auth(admin)
        .header("content-type", "application/json")
        .body(json!({ "jti": jti }).to_string())
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let binary = args
        .next()
        .expect("usage: revocation-fleet PATH_TO_REPORTS_API [REVOCATIONS]");
    let count: usize = args.next().map_or(200, |n| n.parse().expect("a number"));
    let mut redis = RedisServer::start().expect("redis-server");
    let key = TestKey::generate(Algorithm::RS256, "fleet");
    let jwks = JwksServer::start().await.expect("jwks");
    jwks.set_keys(&[&key]);
    let a = start(&binary, &jwks.jwks_url(), &redis.url());
    let b = start(&binary, &jwks.jwks_url(), &redis.url());
    let http = reqwest::Client::new();
    let admin = token(&key, "root", "admin", "fleet-admin");
    let read = |base: &str| format!("{base}/reports/r1");
    let mut failures = Vec::new();

    // Both instances serve, and have loaded their copies.
    let warm = token(&key, "alice", "viewer", "fleet-warm");
    for instance in [&a, &b] {
        let deadline = Instant::now() + Duration::from_secs(5);
        while status(&http, read(&instance.base), &warm).await != 200 {
            assert!(Instant::now() < deadline, "an instance never served");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Propagation: revoke through A, poll B.
    let mut delays = Vec::with_capacity(count);
    for i in 0..count {
        let jti = format!("fleet-{i}");
        let victim = token(&key, "alice", "viewer", &jti);
        if status(&http, read(&b.base), &victim).await != 200 {
            failures.push(format!(
                "{jti}: a valid token was refused by B before its revocation"
            ));
        }
        let sent = Instant::now();
        if revoke(&http, &a.base, &admin, &jti).await != 204 {
            failures.push(format!("{jti}: A did not take the revocation"));
            continue;
        }
        loop {
            let code = status(&http, read(&b.base), &victim).await;
            if code == 401 {
                delays.push(sent.elapsed());
                break;
            }
            if sent.elapsed() > BOUND {
                failures.push(format!(
                    "{jti}: still {code} on B {:?} after its revocation",
                    sent.elapsed()
                ));
                break;
            }
        }
    }
    delays.sort();
    if !delays.is_empty() {
        println!(
            "propagation A -> B over HTTP, {} revocations: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            delays.len(),
            percentile(&delays, 0.5).as_secs_f64() * 1e3,
            percentile(&delays, 0.99).as_secs_f64() * 1e3,
            delays[delays.len() - 1].as_secs_f64() * 1e3,
        );
    }

    // Outage: Redis killed. Both instances fail closed (503) once they notice.
    redis.stop();
    let outage = Instant::now();
    let valid = token(&key, "alice", "viewer", "fleet-valid");
    let mut served_during = [0u32; 2];
    let mut refused_during = [0u32; 2];
    while outage.elapsed() < Duration::from_secs(2) {
        for (i, instance) in [&a, &b].iter().enumerate() {
            match status(&http, read(&instance.base), &valid).await {
                200 => served_during[i] += 1,
                503 => refused_during[i] += 1,
                other => failures.push(format!("outage: status {other}")),
            }
        }
    }
    println!(
        "outage (2 s): A served {} / refused {} with 503; B served {} / refused {} (served: before the loss was noticed)",
        served_during[0], refused_during[0], served_during[1], refused_during[1]
    );

    // Back: a revocation made through A as soon as it takes writes, before B has reloaded.
    redis.restart().expect("restart redis");
    let during = token(&key, "alice", "viewer", "fleet-during");
    let back = Instant::now();
    while revoke(&http, &a.base, &admin, "fleet-during").await != 204 {
        assert!(
            back.elapsed() < Duration::from_secs(10),
            "A never took writes again"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let acknowledged = Instant::now();
    let mut recovered = None;
    while acknowledged.elapsed() < Duration::from_secs(5) {
        match status(&http, read(&b.base), &during).await {
            200 => failures.push("B accepted a token revoked during its reload".to_owned()),
            401 => {}
            503 => {}
            other => failures.push(format!("after the outage: status {other}")),
        }
        if recovered.is_none() && status(&http, read(&b.base), &valid).await == 200 {
            recovered = Some(acknowledged.elapsed());
        }
    }
    match recovered {
        Some(after) => println!(
            "after the restart: B serves valid tokens again {:.0} ms after the first write, and never accepted the token revoked meanwhile",
            after.as_secs_f64() * 1e3
        ),
        None => failures.push("B did not serve again within 5 s of Redis coming back".to_owned()),
    }
    if failures.is_empty() {
        println!(
            "no revoked token accepted after the bound, no valid token refused outside the outage"
        );
    } else {
        for failure in &failures {
            eprintln!("FAIL {failure}");
        }
        std::process::exit(1);
    }
}
