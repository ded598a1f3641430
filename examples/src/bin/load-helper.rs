//! The issuer side of `scripts/load.sh`: serves a JWKS on loopback whose keys rotate and which
//! fails and recovers on a schedule, and mints the token mix the load generator sends.
//!
//! Usage: `load-helper DIR`. It writes into `DIR`:
//! - `jwks_url`: the JWKS URL to start `reports-api` with;
//! - one file per token class (`valid-200`, `valid-403`, `valid-404`, `expired`, `forged`,
//!   `garbage`, `rotated`, `retiring`), one `Authorization` header value per line;
//! - `schedule`: the fault and rotation times, in seconds after the start signal.
//!
//! Then it waits for `DIR/go` to hold a unix time `T0` and runs the schedule from `T0`:
//! - `T0+5 .. T0+9`: the JWKS endpoint answers 503;
//! - `T0+12`: the new key `rsa-2` is published (tokens of class `rotated` start to verify);
//! - `T0+16 .. T0+19`: the JWKS endpoint answers 200 with a body that is not JSON;
//! - `T0+22`: the old key `ed-old` is retired (tokens of class `retiring` stop verifying).
//!
//! It exits by itself at `T0+40`, or 300 s after it started if no start signal came. Binds
//! `127.0.0.1` only. Test tooling: never run it as an identity provider.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use authz_core::Algorithm;
use authz_core::testkit::{JwksServer, ServeMode, TestKey, now};
use serde_json::{Value, json};

const ISSUER: &str = "https://id.load.test";
const AUDIENCE: &str = "reports-api";
/// Tokens per class: enough distinct tokens that no layer sees one token only.
const PER_CLASS: usize = 64;

const DOWN: (u64, u64) = (5, 9);
const PUBLISH: u64 = 12;
const GARBAGE: (u64, u64) = (16, 19);
const RETIRE: u64 = 22;
const END: u64 = 40;
const WAIT_FOR_START: Duration = Duration::from_secs(300);

#[tokio::main]
async fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: load-helper DIR");
        return ExitCode::FAILURE;
    };
    match run(&dir).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("load-helper: {error}");
            ExitCode::FAILURE
        }
    }
}

fn claims(sub: &str, roles: &[&str], jti: usize) -> Value {
    let issued = now();
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "roles": roles,
        "iat": issued, "exp": issued + 3600, "jti": format!("load-{jti}"),
    })
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn write_class(dir: &Path, name: &str, lines: &[String]) -> std::io::Result<()> {
    std::fs::write(dir.join(name), lines.join("\n") + "\n")
}

async fn run(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    std::fs::create_dir_all(dir)?;
    let rsa = TestKey::generate(Algorithm::RS256, "rsa-1");
    let ec = TestKey::generate(Algorithm::ES256, "ec-1");
    let old = TestKey::generate(Algorithm::EdDSA, "ed-old");
    let new = TestKey::generate(Algorithm::RS256, "rsa-2");
    let attacker = TestKey::generate(Algorithm::RS256, "rsa-1");
    let stranger = TestKey::generate(Algorithm::ES256, "unknown-kid");

    let server = JwksServer::start().await?;
    server.set_keys(&[&rsa, &ec, &old]);

    let stable = [&rsa, &ec];
    let mut classes: Vec<(&str, Vec<String>)> = Vec::new();
    let signed = |f: &dyn Fn(usize) -> String| (0..PER_CLASS).map(f).collect::<Vec<_>>();
    classes.push((
        "valid-200",
        signed(&|i| bearer(&stable[i % 2].mint(&claims("alice", &["viewer"], i)))),
    ));
    classes.push((
        "valid-403",
        signed(&|i| bearer(&stable[i % 2].mint(&claims("alice", &["viewer"], i)))),
    ));
    classes.push((
        "valid-404",
        signed(&|i| bearer(&stable[i % 2].mint(&claims("root", &["admin"], i)))),
    ));
    classes.push((
        "expired",
        signed(&|i| {
            let mut c = claims("alice", &["viewer"], i);
            c["iat"] = json!(now() - 7200);
            c["exp"] = json!(now() - 3600);
            bearer(&stable[i % 2].mint(&c))
        }),
    ));
    classes.push((
        "forged",
        signed(&|i| {
            let c = claims("root", &["admin"], i);
            let token = match i % 6 {
                // Signed by another key under a published kid.
                0 => attacker.mint(&c),
                // A kid nobody publishes: the server may refetch, rate-limited.
                1 => stranger.mint(&c),
                // Unsigned.
                2 => {
                    let header = json!({ "alg": "none", "typ": "JWT", "kid": "rsa-1" });
                    let signed = rsa.sign(&header, &c);
                    let (input, _) = signed.rsplit_once('.').unwrap_or((&signed, ""));
                    format!("{input}.")
                }
                // Algorithm confusion: HS256 is not allowed by the server.
                3 => rsa.sign(&json!({ "alg": "HS256", "typ": "JWT", "kid": "rsa-1" }), &c),
                // Genuine signature, wrong audience.
                4 => {
                    let mut c = c;
                    c["aud"] = json!("billing");
                    rsa.mint(&c)
                }
                // Genuine signature, payload swapped afterwards.
                _ => {
                    let genuine = ec.mint(&claims("alice", &["viewer"], i));
                    let other = ec.mint(&c);
                    let g: Vec<&str> = genuine.split('.').collect();
                    let o: Vec<&str> = other.split('.').collect();
                    format!("{}.{}.{}", g[0], o[1], g[2])
                }
            };
            bearer(&token)
        }),
    ));
    let valid = rsa.mint(&claims("alice", &["viewer"], 0));
    let garbage: Vec<String> = [
        "Bearer not-a-jwt".to_owned(),
        "Bearer a.b.c".to_owned(),
        "Bearer a b".to_owned(),
        "Bearer".to_owned(),
        "Bearer ====".to_owned(),
        "Bearer !!!".to_owned(),
        format!("Bearer {}", &valid[..valid.len() / 2]),
        format!("Bearer {valid}.{valid}"),
        format!("Bearer {}", "A".repeat(9000)),
        "Basic YWxpY2U6c2VjcmV0".to_owned(),
    ]
    .into_iter()
    .cycle()
    .take(PER_CLASS)
    .collect();
    classes.push(("garbage", garbage));
    classes.push((
        "rotated",
        signed(&|i| bearer(&new.mint(&claims("alice", &["viewer"], i)))),
    ));
    classes.push((
        "retiring",
        signed(&|i| bearer(&old.mint(&claims("alice", &["viewer"], i)))),
    ));
    for (name, lines) in &classes {
        write_class(dir, name, lines)?;
    }
    std::fs::write(
        dir.join("schedule"),
        format!(
            "down {} {}\npublish {PUBLISH}\ngarbage {} {}\nretire {RETIRE}\nend {END}\n",
            DOWN.0, DOWN.1, GARBAGE.0, GARBAGE.1
        ),
    )?;
    // Written last: the script waits for it.
    std::fs::write(dir.join("jwks_url"), server.jwks_url())?;

    let go = dir.join("go");
    let t0 = loop {
        if let Ok(text) = std::fs::read_to_string(&go)
            && let Ok(t0) = text.trim().parse::<u64>()
        {
            break t0;
        }
        if started.elapsed() > WAIT_FOR_START {
            return Err("no start signal within 300 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let at = |offset: u64| async move {
        let target = t0 + offset;
        let now = now();
        if target > now {
            tokio::time::sleep(Duration::from_secs(target - now)).await;
        }
    };
    let log = |what: &str| println!("load-helper: t0+{:>2}s {what}", now().saturating_sub(t0));
    at(DOWN.0).await;
    server.set_mode(ServeMode::Status(503));
    log("JWKS down (503)");
    at(DOWN.1).await;
    server.set_mode(ServeMode::Normal);
    log("JWKS up");
    at(PUBLISH).await;
    server.set_keys(&[&rsa, &ec, &old, &new]);
    log("published rsa-2");
    at(GARBAGE.0).await;
    server.set_mode(ServeMode::Garbage);
    log("JWKS serves garbage");
    at(GARBAGE.1).await;
    server.set_mode(ServeMode::Normal);
    log("JWKS up");
    at(RETIRE).await;
    server.set_keys(&[&rsa, &ec, &new]);
    log("retired ed-old");
    at(END).await;
    log(&format!(
        "done, {} JWKS requests",
        server.hits("/jwks.json")
    ));
    Ok(())
}
