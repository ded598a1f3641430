//! Access tokens in a cookie (issue 21, findings 10 and 11), each attack performed and
//! refused: a cookie of the same name planted by a sibling subdomain and sent first, a
//! cookie name without the `__Host-` prefix, and an API key carried in the cookie.

use authz_core::api_key::{ApiKeyError, ApiKeys, InMemoryApiKeyStore};
use authz_core::gate::{RefusalKind, RequestHeaders};
use authz_core::testkit::fixture::{Fixture, NotesClaims as Token, notes};

const COOKIE: &str = "__Host-access_token";

/// A request as an adapter hands it to the gate.
struct Request {
    method: &'static str,
    headers: Vec<(&'static str, String)>,
}

impl RequestHeaders for Request {
    fn method(&self) -> &str {
        self.method
    }
    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> {
        self.headers
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v.as_bytes())
    }
}

fn get(cookie: String) -> Request {
    Request {
        method: "GET",
        headers: vec![("cookie", cookie)],
    }
}

#[tokio::test]
async fn a_planted_duplicate_cookie_is_refused_not_chosen() {
    let fixture = Fixture::new();
    let gate = fixture.gate().cookie(COOKIE);
    let victim = fixture.token("victim", &["viewer"]);
    let attacker = fixture.token("attacker", &["viewer"]);
    // The attacker's cookie, set for the parent domain by a sibling, comes first.
    for request in [
        get(format!("{COOKIE}={attacker}; {COOKIE}={victim}")),
        Request {
            method: "GET",
            headers: vec![
                ("cookie", format!("{COOKIE}={attacker}")),
                ("cookie", format!("theme=dark; {COOKIE}={victim}")),
            ],
        },
    ] {
        let refusal = gate
            .authenticate_request::<notes::Policy, Token>(&request, "/payments")
            .await
            .unwrap_err();
        assert_eq!(refusal.status(), 400);
        assert!(
            matches!(
                refusal.kind(),
                RefusalKind::InvalidRequest("the credentials cookie is sent more than once")
            ),
            "{refusal}"
        );
    }
    // One cookie: the victim's own session works.
    let caller = gate
        .authenticate_request::<notes::Policy, Token>(
            &get(format!("theme=dark; {COOKIE}={victim}")),
            "/payments",
        )
        .await
        .unwrap();
    assert_eq!(caller.subject(), Some("victim"));
}

#[test]
fn a_cookie_name_without_the_host_prefix_is_refused_at_start_up() {
    let fixture = Fixture::new();
    let panic = std::panic::catch_unwind(|| fixture.gate().cookie("access_token"))
        .expect_err("a name without __Host- must not configure a gate");
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("`__Host-` prefix"), "{message}");
    assert!(
        message.contains("dangerously_cookie_without_host_prefix"),
        "names the opt-out: {message}"
    );
    // The explicit opt-out still refuses duplicates.
    let gate = fixture
        .gate()
        .dangerously_cookie_without_host_prefix("access_token");
    let t = fixture.token("ann", &["viewer"]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let refusal = runtime
        .block_on(gate.authenticate_request::<notes::Policy, Token>(
            &get(format!("access_token={t}; access_token={t}")),
            "/",
        ))
        .unwrap_err();
    assert_eq!(refusal.status(), 400);
}

#[tokio::test]
async fn an_api_key_in_the_cookie_is_refused() {
    let fixture = Fixture::new();
    let keys = ApiKeys::new(InMemoryApiKeyStore::default(), "pay").unwrap();
    let issued = keys
        .issue::<notes::Policy>("ci-bot", ["notes:read"], None)
        .await
        .unwrap();
    let gate = fixture.gate().cookie(COOKIE).api_keys(keys);
    let refusal = gate
        .authenticate_request::<notes::Policy, Token>(
            &get(format!("{COOKIE}={}", issued.raw())),
            "/payments",
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.status(), 401);
    assert!(
        matches!(refusal.kind(), RefusalKind::ApiKey(ApiKeyError::InCookie)),
        "{refusal}"
    );
    assert_eq!(
        refusal.description(),
        "an api key is accepted only in the Authorization header"
    );
    // The same key in the Authorization header is accepted.
    let request = Request {
        method: "GET",
        headers: vec![("authorization", format!("Bearer {}", issued.raw()))],
    };
    let caller = gate
        .authenticate_request::<notes::Policy, Token>(&request, "/payments")
        .await
        .unwrap();
    assert_eq!(caller.subject(), Some("ci-bot"));
}
