//! Interoperability: a client no one here wrote, Python's `grpcio` (installed by
//! `scripts/test.sh`), calls the conformance service on loopback and sees the status codes,
//! messages and `www-authenticate` metadata a gRPC client should. The script
//! (`tests/interop_client.py`) only reports what it saw; this test asserts.

mod common;

use std::process::Command;

use authz_core::testkit::conformance::{AUDIENCE, ISSUER};
use authz_core::testkit::{TestKey, claims_for};
use authz_core::{Algorithm, Gate, Validator};
use serde_json::Value;

/// python3 with grpcio and grpcio-tools, or a failure that says how to get them.
fn python() -> &'static str {
    let found = Command::new("python3")
        .args(["-c", "import grpc, grpc_tools"])
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "the interoperability test needs python3 with grpcio and grpcio-tools: run `bash scripts/test.sh --install-only` (it installs them with pip)"
    );
    "python3"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_grpcio_client_sees_the_codes_and_challenges() {
    let python = python();
    let key = TestKey::generate(Algorithm::HS256, "k1");
    let validator = Validator::builder()
        .algorithms([Algorithm::HS256])
        .key(key.verification_key())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let (address, _) = common::serve(Gate::new(validator).realm("docs")).await;
    let token = |key: &TestKey, sub: &str, roles: &[&str]| {
        let mut claims = claims_for(ISSUER, AUDIENCE, sub);
        claims["roles"] = serde_json::json!(roles);
        key.mint(&claims)
    };
    let reader = token(&key, "ann", &["reader"]);
    let writer = token(&key, "wes", &["writer"]);
    let forged = token(
        &TestKey::generate(Algorithm::HS256, "k1"),
        "ann",
        &["writer"],
    );

    let manifest = env!("CARGO_MANIFEST_DIR");
    let output = tokio::process::Command::new(python)
        .arg(format!("{manifest}/tests/interop_client.py"))
        .arg(address.to_string())
        .arg(format!("{manifest}/protos/proto"))
        .env("READER", &reader)
        .env("WRITER", &writer)
        .env("FORGED", &forged)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "the Python client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    for secret in [&reader, &writer, &forged] {
        assert!(!stdout.contains(secret.as_str()), "a token came back");
    }
    let results: Value = serde_json::from_str(&stdout).unwrap();
    let code = |name: &str| results[name]["code"].as_str().unwrap().to_owned();
    let challenge = |name: &str| -> Vec<String> {
        results[name]["metadata"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|entry| entry[0] == "www-authenticate")
            .map(|entry| entry[1].as_str().unwrap().to_owned())
            .collect()
    };
    let texts = |name: &str| -> Vec<String> {
        results[name]["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect()
    };

    assert_eq!(code("read_without_credentials"), "UNAUTHENTICATED");
    assert_eq!(
        challenge("read_without_credentials"),
        [r#"Bearer realm="docs""#]
    );
    assert_eq!(
        results["read_without_credentials"]["message"],
        "bearer credentials are required"
    );

    assert_eq!(code("read_as_reader"), "OK");
    assert_eq!(texts("read_as_reader"), ["doc"]);
    assert!(challenge("read_as_reader").is_empty());

    assert_eq!(code("write_as_reader"), "PERMISSION_DENIED");
    let [denied] = challenge("write_as_reader").try_into().unwrap();
    assert!(
        denied.starts_with(r#"Bearer realm="docs", error="insufficient_scope""#)
            && denied.contains(r#"scope="docs:write""#),
        "{denied}"
    );
    assert_eq!(code("write_as_writer"), "OK");
    assert_eq!(texts("write_as_writer"), ["written"]);

    assert_eq!(code("read_with_forged_token"), "UNAUTHENTICATED");
    let [invalid] = challenge("read_with_forged_token").try_into().unwrap();
    assert!(invalid.contains(r#"error="invalid_token""#), "{invalid}");

    assert_eq!(code("read_with_empty_bearer"), "INVALID_ARGUMENT");
    let [malformed] = challenge("read_with_empty_bearer").try_into().unwrap();
    assert!(
        malformed.contains(r#"error="invalid_request""#),
        "{malformed}"
    );

    // The owner check in the body conceals another's note.
    assert_eq!(code("note_of_another"), "NOT_FOUND");
    assert!(challenge("note_of_another").is_empty());

    // Server streaming: refused before the first message, or three messages.
    assert_eq!(code("watch_without_credentials"), "UNAUTHENTICATED");
    assert!(texts("watch_without_credentials").is_empty());
    assert_eq!(code("watch_as_reader"), "OK");
    assert_eq!(texts("watch_as_reader"), ["ann 1", "ann 2", "ann 3"]);

    assert_eq!(code("public_without_credentials"), "OK");
    assert_eq!(texts("public_without_credentials"), ["hello"]);
}
