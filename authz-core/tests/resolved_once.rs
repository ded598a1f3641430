//! A token the verified-token cache keeps is resolved against the policy (its role and
//! permission names looked up) once, on its first admission, and not again on every request
//! that repeats it; under another policy, the same token is resolved under that policy.

use std::sync::atomic::{AtomicUsize, Ordering};

use authz_core::claims::RegisteredClaims;
use authz_core::gate::RequestHeaders;
use authz_core::testkit::fixture::{Fixture, notes};
use authz_core::{Claims, Gate};

/// How many times any `Counted` was asked for its role names: once per resolution.
static ROLE_READS: AtomicUsize = AtomicUsize::new(0);

#[derive(serde::Deserialize)]
struct Counted {
    sub: String,
    #[serde(default)]
    roles: Vec<String>,
}

impl Claims for Counted {
    const REGISTERED: RegisteredClaims = RegisteredClaims::SUB;
    fn subject(&self) -> Option<&str> {
        Some(&self.sub)
    }
    fn role_names(&self) -> impl Iterator<Item = &str> {
        ROLE_READS.fetch_add(1, Ordering::SeqCst);
        self.roles.iter().map(String::as_str)
    }
    fn permission_names(&self) -> impl Iterator<Item = &str> {
        std::iter::empty()
    }
}

authz_core::policy! {
    /// Another policy over the same tokens, where a viewer may also comment.
    pub mod other {
        permissions {
            /// Read.
            "other:read",
            /// Comment.
            "other:comment",
        }
        roles {
            /// Reads and comments.
            "viewer" = ["other:read", "other:comment"],
        }
    }
}

struct Request(String);

impl RequestHeaders for Request {
    fn method(&self) -> &str {
        "GET"
    }
    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> {
        (name == "authorization")
            .then_some(self.0.as_bytes())
            .into_iter()
    }
}

async fn admit<P: authz_core::Policy>(
    gate: &Gate,
    request: &Request,
) -> authz_core::Authenticated<P, Counted> {
    gate.authenticate_request::<P, Counted>(request, "/notes")
        .await
        .unwrap()
}

#[tokio::test]
async fn a_cached_token_is_resolved_once_per_policy() {
    let fixture = Fixture::new();
    let cached = Gate::new(fixture.validator_builder().cache(100).build().unwrap());
    let uncached = fixture.gate();
    let request = Request(fixture.bearer("ann", &["viewer", "unknown-role"]));

    // Without the cache, every request resolves its token.
    let before = ROLE_READS.load(Ordering::SeqCst);
    for _ in 0..3 {
        let ann = admit::<notes::Policy>(&uncached, &request).await;
        assert!(ann.require::<notes::perm::NotesRead>().is_ok());
    }
    assert_eq!(ROLE_READS.load(Ordering::SeqCst) - before, 3);

    // With it, the first request resolves the token and the repeats read what it found,
    // unknown names included.
    let before = ROLE_READS.load(Ordering::SeqCst);
    for _ in 0..3 {
        let ann = admit::<notes::Policy>(&cached, &request).await;
        assert!(ann.require::<notes::perm::NotesRead>().is_ok());
        assert!(ann.require::<notes::perm::NotesWrite>().is_err());
        assert_eq!(ann.unknown_names().len(), 1);
    }
    assert_eq!(
        cached.validator().cache_stats().unwrap().hits,
        2,
        "the repeats were cache hits"
    );
    // `unknown_names` reads the names again, once per call: three calls.
    assert_eq!(ROLE_READS.load(Ordering::SeqCst) - before, 1 + 3);

    // The same cached token under another policy: resolved under that policy, each time
    // (what is kept is the first policy's), never given the first policy's answer.
    let before = ROLE_READS.load(Ordering::SeqCst);
    for _ in 0..2 {
        let ann = admit::<other::Policy>(&cached, &request).await;
        assert!(ann.require::<other::perm::OtherComment>().is_ok());
        let ann = admit::<notes::Policy>(&cached, &request).await;
        assert!(ann.require::<notes::perm::NotesRead>().is_ok());
    }
    assert_eq!(ROLE_READS.load(Ordering::SeqCst) - before, 2);
}
