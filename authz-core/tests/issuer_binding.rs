//! Keys bound to issuers (RFC 8725 section 3.8) and one identity per caller: each test performs
//! an attack from the security audit of issue 11 and sees it refused.
//!
//! Findings covered: a token signed with issuer B's key claiming issuer A (static keys and
//! remote JWKS), same-named subjects of two issuers in owner checks and revocation, keys bound
//! to no issuer while several are accepted, and revocation reading another subject than the
//! one the application sees.

use std::sync::Arc;

use authz_core::testkit::{JwksServer, TestKey, claims_for, now};
use authz_core::{
    Algorithm, Authenticated, Claims, DenyReason, HasOwner, Issuer, Key, TokenError, Validator,
    token::ConfigError, token::InMemoryRevocation, token::RemoteConfig, token::Validated,
};

const A: &str = "https://a.example";
const B: &str = "https://b.example";
const AUD: &str = "reports-api";

authz_core::policy! {
    /// The test policy.
    pub mod docs {
        permissions {
            /// Read your own documents.
            "docs:read",
            /// Read anyone's.
            "docs:read_any",
        }
        roles {
            /// Reads.
            "reader" = ["docs:read"],
        }
    }
}

#[derive(Debug, serde::Deserialize, Claims)]
struct Token {
    sub: String,
    #[serde(default)]
    #[claims(roles)]
    roles: Vec<String>,
}

type Caller = Authenticated<docs::Policy, Token>;

/// Each issuer's keys, and a validator trusting both.
fn two_issuers() -> (TestKey, TestKey, Validator) {
    let a = TestKey::generate(Algorithm::ES256, "a-1");
    let b = TestKey::generate(Algorithm::ES256, "b-1");
    let validator = Validator::builder()
        .algorithms([Algorithm::ES256])
        .trust(Issuer::new(A).key(a.verification_key()))
        .trust(Issuer::new(B).key(b.verification_key()))
        .audience(AUD)
        .build()
        .unwrap();
    (a, b, validator)
}

fn reader(issuer: &str, subject: &str) -> serde_json::Value {
    let mut claims = claims_for(issuer, AUD, subject);
    claims["roles"] = serde_json::json!(["reader"]);
    claims
}

async fn caller(v: &Validator, token: &str) -> Result<Caller, TokenError> {
    v.validate::<Token>(token).await.map(Caller::from)
}

#[tokio::test]
async fn another_issuers_key_cannot_speak_for_an_issuer() {
    let (a, b, v) = two_issuers();
    // The audit's reproduction: signed with B's key, claiming A's `iss` and alice.
    let forged = b.mint(&reader(A, "alice"));
    let err = caller(&v, &forged).await.unwrap_err();
    assert!(
        matches!(err, TokenError::UnknownKey { .. }),
        "B's kid is not among A's keys: {err}"
    );

    // The same with B's key published under a kid A also uses: A's key is tried, and fails.
    let b_as_a1 = TestKey::generate(Algorithm::ES256, "a-1");
    let v2 = Validator::builder()
        .algorithms([Algorithm::ES256])
        .trust(Issuer::new(A).key(a.verification_key().with_kid("a-1")))
        .trust(Issuer::new(B).key(b_as_a1.verification_key()))
        .audience(AUD)
        .build()
        .unwrap();
    let forged = b_as_a1.mint(&reader(A, "alice"));
    assert!(matches!(
        caller(&v2, &forged).await,
        Err(TokenError::BadSignature { .. })
    ));
    // B's own token still works under B, and A's under A.
    caller(&v2, &b_as_a1.mint(&reader(B, "bob"))).await.unwrap();
    caller(&v2, &a.mint(&reader(A, "alice"))).await.unwrap();

    // Each issuer's genuine tokens pass, naming their issuer.
    let alice_a = caller(&v, &a.mint(&reader(A, "alice"))).await.unwrap();
    assert_eq!(alice_a.issuer(), Some(A));
    assert!(alice_a.identity_includes_issuer());
    let alice_b = caller(&v, &b.mint(&reader(B, "alice"))).await.unwrap();
    assert_eq!(alice_b.issuer(), Some(B));

    // A token naming no trusted issuer, or none at all, reaches no key.
    let stranger = caller(&v, &a.mint(&reader("https://c.example", "alice"))).await;
    assert!(matches!(stranger, Err(TokenError::WrongIssuer)));
    let mut no_iss = reader(A, "alice");
    no_iss.as_object_mut().unwrap().remove("iss");
    assert!(matches!(
        caller(&v, &a.mint(&no_iss)).await,
        Err(TokenError::MissingClaim("iss"))
    ));
    // `iss` of the wrong type is a type error, as after the signature.
    let mut bad_iss = reader(A, "alice");
    bad_iss["iss"] = serde_json::json!(7);
    assert!(matches!(
        caller(&v, &a.mint(&bad_iss)).await,
        Err(TokenError::ClaimType("iss"))
    ));
}

#[tokio::test]
async fn the_verified_token_cache_keeps_the_binding() {
    let a = TestKey::generate(Algorithm::ES256, "k");
    let b = TestKey::generate(Algorithm::ES256, "k");
    let v = Validator::builder()
        .algorithms([Algorithm::ES256])
        .trust(Issuer::new(A).key(a.verification_key()))
        .trust(Issuer::new(B).key(b.verification_key()))
        .audience(AUD)
        .cache(100)
        .build()
        .unwrap();
    let genuine = b.mint(&reader(B, "alice"));
    for _ in 0..2 {
        let ok: Arc<Validated<Token>> = v.validate_shared(&genuine).await.unwrap();
        assert_eq!(ok.issuer(), Some(B));
    }
    assert_eq!(v.cache_stats().unwrap().hits, 1);
    // B's key signs a token claiming A. Both issuers have a key `k`: the token is checked
    // against A's (the claimed issuer's) key, every time, and never served from the cache
    // that holds B's genuine token of the same subject.
    let forged = b.mint(&reader(A, "alice"));
    for _ in 0..2 {
        let error = v.validate_shared::<Token>(&forged).await.unwrap_err();
        assert!(
            matches!(error, TokenError::BadSignature { .. }),
            "A's key `k` refuses B's signature: {error}"
        );
    }
    let stats = v.cache_stats().unwrap();
    assert_eq!(
        (stats.hits, stats.misses),
        (1, 3),
        "the forgery went through verification both times"
    );
    // And the genuine entry still answers for B, not A.
    let again: Arc<Validated<Token>> = v.validate_shared(&genuine).await.unwrap();
    assert_eq!(again.issuer(), Some(B));
    assert_eq!(v.cache_stats().unwrap().hits, 2);
}

#[tokio::test]
async fn remote_key_sets_are_bound_to_their_issuer() {
    let server_a = JwksServer::start().await.unwrap();
    let server_b = JwksServer::start().await.unwrap();
    let a = TestKey::generate(Algorithm::RS256, "a-1");
    let b = TestKey::generate(Algorithm::RS256, "b-1");
    server_a.set_keys(&[&a]);
    server_b.set_keys(&[&b]);
    let v = Validator::builder()
        .algorithms([Algorithm::RS256])
        .trust(Issuer::new(A).jwks_url(server_a.jwks_url()))
        .trust(Issuer::new(B).jwks_url(server_b.jwks_url()))
        .remote_config(RemoteConfig {
            refetch_cooldown: std::time::Duration::from_millis(10),
            ..RemoteConfig::default()
        })
        .audience(AUD)
        .build()
        .unwrap();
    caller(&v, &a.mint(&reader(A, "alice"))).await.unwrap();
    caller(&v, &b.mint(&reader(B, "bob"))).await.unwrap();
    let forged = b.mint(&reader(A, "alice"));
    assert!(matches!(
        caller(&v, &forged).await,
        Err(TokenError::UnknownKey { .. })
    ));
    // Only A's endpoint was asked about a token claiming A; B's was never asked for it.
    assert_eq!(server_b.hits("/jwks.json"), 1);
    assert_eq!(v.refresh_keys().await.unwrap(), 2);

    // OIDC discovery, once per issuer, binds the same way.
    let v = Validator::builder()
        .algorithms([Algorithm::RS256])
        .oidc_issuer(server_a.issuer())
        .oidc_issuer(server_b.issuer())
        .audience(AUD)
        .build()
        .unwrap();
    caller(&v, &a.mint(&reader(&server_a.issuer(), "alice")))
        .await
        .unwrap();
    let forged = b.mint(&reader(&server_a.issuer(), "alice"));
    assert!(caller(&v, &forged).await.is_err());
}

#[test]
fn keys_must_say_whose_they_are_when_several_issuers_are_accepted() {
    let key = TestKey::generate(Algorithm::ES256, "k");
    let other = TestKey::generate(Algorithm::ES256, "o");
    let builder = || {
        Validator::builder()
            .algorithms([Algorithm::ES256])
            .audience(AUD)
    };

    let unbound = builder()
        .issuers([A, B])
        .key(key.verification_key())
        .build();
    assert!(matches!(unbound, Err(ConfigError::KeysWithoutIssuer)));
    let mixed = builder()
        .trust(Issuer::new(A).key(key.verification_key()))
        .issuer(B)
        .key(other.verification_key())
        .build();
    assert!(matches!(mixed, Err(ConfigError::KeysWithoutIssuer)));
    let keyless = builder()
        .trust(Issuer::new(A).key(key.verification_key()))
        .issuer(B)
        .build();
    assert!(matches!(keyless, Err(ConfigError::IssuerWithoutKeys(i)) if i == B));
    let twice = builder()
        .trust(Issuer::new(A).key(key.verification_key()))
        .trust(Issuer::new(A).key(other.verification_key()))
        .build();
    assert!(matches!(twice, Err(ConfigError::IssuerKeysTwice(i)) if i == A));
    // One issuer: unbound keys are that issuer's, as before.
    let single = builder().issuer(A).key(key.verification_key()).build();
    assert!(single.is_ok());
    let message = ConfigError::KeysWithoutIssuer.to_string();
    assert!(message.contains("trust(Issuer::new"), "{message}");
}

/// A resource that names its owner's issuer, and one that does not.
#[derive(Debug)]
struct Doc {
    owner: &'static str,
    issuer: Option<&'static str>,
}

impl HasOwner for Doc {
    fn owner(&self) -> &str {
        self.owner
    }
    fn owner_issuer(&self) -> Option<&str> {
        self.issuer
    }
}

#[tokio::test]
async fn owner_checks_compare_issuer_and_subject() {
    let (a, b, v) = two_issuers();
    let alice_a = caller(&v, &a.mint(&reader(A, "alice"))).await.unwrap();
    let alice_b = caller(&v, &b.mint(&reader(B, "alice"))).await.unwrap();
    let doc = || Doc {
        owner: "alice",
        issuer: Some(A),
    };
    assert!(alice_a.check_owner(doc(), docs::perm::DocsReadAny).is_ok());
    let denied = alice_b
        .check_owner(doc(), docs::perm::DocsReadAny)
        .unwrap_err();
    assert_eq!(denied.reason(), DenyReason::NotOwner);

    // A resource that does not say whose issuer its owner is belongs to nobody here.
    let unscoped = || Doc {
        owner: "alice",
        issuer: None,
    };
    assert!(
        alice_a
            .check_owner(unscoped(), docs::perm::DocsReadAny)
            .is_err()
    );
    assert!(
        alice_b
            .check_owner(unscoped(), docs::perm::DocsReadAny)
            .is_err()
    );

    // With one issuer, a resource without an issuer is owned by subject, as before.
    let single = Validator::builder()
        .algorithms([Algorithm::ES256])
        .issuer(A)
        .key(a.verification_key())
        .audience(AUD)
        .build()
        .unwrap();
    let alice = caller(&single, &a.mint(&reader(A, "alice"))).await.unwrap();
    assert!(!alice.identity_includes_issuer());
    assert!(
        alice
            .check_owner(unscoped(), docs::perm::DocsReadAny)
            .is_ok()
    );
    assert!(alice.check_owner(doc(), docs::perm::DocsReadAny).is_ok());
    let elsewhere = Doc {
        owner: "alice",
        issuer: Some(B),
    };
    assert!(
        alice
            .check_owner(elsewhere, docs::perm::DocsReadAny)
            .is_err()
    );
}

#[tokio::test]
async fn revoking_one_issuers_subject_leaves_the_other() {
    let a = TestKey::generate(Algorithm::ES256, "a-1");
    let b = TestKey::generate(Algorithm::ES256, "b-1");
    let revoked = Arc::new(InMemoryRevocation::new());
    let v = Validator::builder()
        .algorithms([Algorithm::ES256])
        .trust(Issuer::new(A).key(a.verification_key()))
        .trust(Issuer::new(B).key(b.verification_key()))
        .audience(AUD)
        .revocation(Arc::clone(&revoked))
        .build()
        .unwrap();
    let alice_a = a.mint(&reader(A, "alice"));
    let alice_b = b.mint(&reader(B, "alice"));
    revoked.revoke_subject_of(A, "alice", now() + 1, now() + 600);
    assert!(matches!(
        caller(&v, &alice_a).await,
        Err(TokenError::Revoked)
    ));
    caller(&v, &alice_b).await.unwrap();
    revoked.revoke_subject("alice", now() + 1, now() + 600);
    assert!(matches!(
        caller(&v, &alice_b).await,
        Err(TokenError::Revoked)
    ));
}

/// Entra ID's shape: `sub` is pairwise per application, `oid` the stable user id.
#[derive(Debug, serde::Deserialize, Claims)]
struct EntraToken {
    #[allow(dead_code)]
    sub: String,
    #[claims(subject)]
    oid: String,
}

#[tokio::test]
async fn revocation_checks_the_subject_the_application_sees() {
    let key = TestKey::generate(Algorithm::ES256, "k");
    let revoked = Arc::new(InMemoryRevocation::new());
    let v = Validator::builder()
        .algorithms([Algorithm::ES256])
        .issuer(A)
        .key(key.verification_key())
        .audience(AUD)
        .revocation(Arc::clone(&revoked))
        .build()
        .unwrap();
    let mut claims = claims_for(A, AUD, "pairwise-3f9a");
    claims["oid"] = serde_json::json!("mallory");
    let token = key.mint(&claims);
    let ok = v.validate::<EntraToken>(&token).await.unwrap();
    assert_eq!(ok.subject(), Some("mallory"));
    let caller = Authenticated::<docs::Policy, EntraToken>::from(ok);
    assert_eq!(caller.subject(), Some("mallory"));

    // The audit's reproduction: revoking the subject owner checks see changed nothing.
    revoked.revoke_subject("mallory", now() + 1, now() + 600);
    assert!(matches!(
        v.validate::<EntraToken>(&token).await,
        Err(TokenError::Revoked)
    ));
    assert!(matches!(
        v.validate_shared::<EntraToken>(&token).await,
        Err(TokenError::Revoked)
    ));
}

#[test]
fn a_key_given_alone_still_stands_in_for_an_unknown_kid() {
    // Documented convenience for one configured key; a JWKS key never does (token_jwks.rs).
    let key = TestKey::generate(Algorithm::ES256, "idp-kid");
    let pem = key.public_pem().unwrap();
    let v = Validator::builder()
        .algorithms([Algorithm::ES256])
        .issuer(A)
        .key(Key::from_pem(pem).unwrap())
        .audience(AUD)
        .build()
        .unwrap();
    let token = key.mint(&claims_for(A, AUD, "alice"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(v.validate::<Token>(&token)).unwrap();
}

// Issue 21, finding 1: tenants, roles and permissions bound to the issuer. Realm A (`acme`'s
// identity provider) and realm B (`globex`'s) distrust each other; B must not speak for acme.

authz_core::policy! {
    /// Invoices of many tenants.
    pub mod invoices {
        permissions {
            /// Read one's own invoices.
            "invoices:read",
            /// Read every invoice of one's tenant.
            "invoices:read_any",
            /// Read invoices of every tenant (your own support staff).
            "invoices:read_any_tenant",
        }
        roles {
            /// Reads the tenant's invoices.
            "auditor" = ["invoices:read", "invoices:read_any"],
            /// Reads across tenants.
            "support" = "auditor" + ["invoices:read_any_tenant"],
        }
    }
}

#[derive(Debug, serde::Deserialize, Claims)]
struct TenantToken {
    sub: String,
    #[serde(default)]
    #[claims(roles)]
    roles: Vec<String>,
    #[claims(tenant)]
    tenant: Option<String>,
}

type TenantCaller = Authenticated<invoices::Policy, TenantToken>;

#[derive(Debug)]
struct AcmeInvoice;
impl HasOwner for AcmeInvoice {
    fn owner(&self) -> &str {
        "alice"
    }
    fn owner_issuer(&self) -> Option<&str> {
        Some(A)
    }
    fn owner_tenant(&self) -> Option<&str> {
        Some("acme")
    }
}
impl authz_core::checks::HasTenant for AcmeInvoice {
    fn tenant(&self) -> &str {
        "acme"
    }
}

fn tenant_claims(issuer: &str, subject: &str, roles: &[&str], tenant: &str) -> serde_json::Value {
    let mut claims = claims_for(issuer, AUD, subject);
    claims["roles"] = serde_json::json!(roles);
    claims["tenant"] = serde_json::json!(tenant);
    claims
}

/// Two customers' issuers, each bound to its tenant, and our own staff issuer for every tenant.
fn customer_issuers() -> (TestKey, TestKey, TestKey, Validator) {
    let a = TestKey::generate(Algorithm::ES256, "a-1");
    let b = TestKey::generate(Algorithm::ES256, "b-1");
    let staff = TestKey::generate(Algorithm::ES256, "s-1");
    let validator = Validator::builder()
        .algorithms([Algorithm::ES256])
        .trust(Issuer::new(A).key(a.verification_key()).tenants(["acme"]))
        .trust(
            Issuer::new(B)
                .key(b.verification_key())
                .tenants(["globex"])
                .grants_at_most(["invoices:read", "invoices:read_any"]),
        )
        .trust(
            Issuer::new("https://staff.example")
                .key(staff.verification_key())
                .any_tenant(),
        )
        .audience(AUD)
        .cache(100)
        .build()
        .unwrap();
    (a, b, staff, validator)
}

#[tokio::test]
async fn an_issuer_cannot_speak_for_another_issuers_tenant() {
    let (a, b, _, v) = customer_issuers();
    // The audit's reproduction: signed by B (globex's realm), naming tenant acme.
    let forged = b.mint(&tenant_claims(B, "mallory", &["auditor"], "acme"));
    for _ in 0..2 {
        let error = v.validate_shared::<TenantToken>(&forged).await.unwrap_err();
        assert!(
            matches!(error, TokenError::TenantNotAllowed),
            "B may not assert tenant acme: {error}"
        );
        assert_eq!(error.category().http_status(), 401);
    }
    // A's own auditor still reads acme's invoice, and B's auditor its own tenant.
    let alice: TenantCaller = v
        .validate_shared::<TenantToken>(&a.mint(&tenant_claims(A, "ann", &["auditor"], "acme")))
        .await
        .unwrap()
        .into();
    assert!(
        alice
            .check_owner(AcmeInvoice, invoices::perm::InvoicesReadAny)
            .is_ok()
    );
    assert!(alice.check_tenant(AcmeInvoice).is_ok());
    let mallory: TenantCaller = v
        .validate_shared::<TenantToken>(&b.mint(&tenant_claims(
            B,
            "mallory",
            &["auditor"],
            "globex",
        )))
        .await
        .unwrap()
        .into();
    let denied = mallory.check_tenant(AcmeInvoice).unwrap_err();
    assert_eq!(denied.reason(), DenyReason::OtherTenant);
}

#[tokio::test]
async fn a_customers_issuer_cannot_grant_past_its_cap() {
    let (_, b, staff, v) = customer_issuers();
    // globex's realm hands out our support role, which reaches every tenant.
    let token = b.mint(&tenant_claims(B, "mallory", &["support"], "globex"));
    let mallory: TenantCaller = v.validate_shared(&token).await.unwrap().into();
    assert!(!mallory.meets::<invoices::perm::InvoicesReadAnyTenant>());
    let denied = mallory
        .check_tenant_or(AcmeInvoice, invoices::perm::InvoicesReadAnyTenant)
        .unwrap_err();
    assert_eq!(denied.reason(), DenyReason::OtherTenant);
    // The role that grants past the cap is gone too; the role it inherits, inside the cap, stays.
    assert_eq!(
        mallory
            .require::<invoices::role::Support>()
            .unwrap_err()
            .reason(),
        DenyReason::MissingRole
    );
    assert!(mallory.require::<invoices::role::Auditor>().is_ok());
    // Our own staff issuer is not capped.
    let token = staff.mint(&tenant_claims(
        "https://staff.example",
        "sam",
        &["support"],
        "globex",
    ));
    let sam: TenantCaller = v.validate_shared(&token).await.unwrap().into();
    assert!(
        sam.check_tenant_or(AcmeInvoice, invoices::perm::InvoicesReadAnyTenant)
            .is_ok()
    );
}

#[tokio::test]
async fn with_several_issuers_an_undeclared_issuer_asserts_no_tenant() {
    // Neither issuer declares its tenants: neither may name one.
    let (a, _, v) = two_issuers();
    let token = a.mint(&tenant_claims(A, "ann", &["reader"], "acme"));
    let error = v.validate::<TenantToken>(&token).await.unwrap_err();
    assert!(matches!(error, TokenError::TenantNotAllowed), "{error}");
    assert!(
        error.to_string().contains("Issuer::tenants"),
        "the message names the fix: {error}"
    );
    // A token without a tenant is fine.
    let token = a.mint(&reader(A, "ann"));
    assert!(v.validate::<TenantToken>(&token).await.is_ok());
    // With a single issuer, that issuer is the only authority: any tenant.
    let single = Validator::builder()
        .algorithms([Algorithm::ES256])
        .key(a.verification_key())
        .issuer(A)
        .audience(AUD)
        .build()
        .unwrap();
    let token = a.mint(&tenant_claims(A, "ann", &["reader"], "acme"));
    assert_eq!(
        single
            .validate::<TenantToken>(&token)
            .await
            .unwrap()
            .claims
            .tenant
            .as_deref(),
        Some("acme")
    );
}

/// Issue 25 with issue 21's binding: a customer's issuer bound to its tenant names no tenant
/// in its token, and the application scopes the caller to a tenant from the request's path.
/// Even a membership row for that issuer's subject in another tenant (written by mistake, or
/// by a subject name the two providers share) does not let it in: the issuer may not speak
/// for that tenant, whatever the store says.
#[tokio::test]
async fn a_path_tenant_is_bound_to_the_issuer_as_a_tenant_claim_is() {
    use authz_core::assignments::{Member, MemoryAssignments};
    let a = TestKey::generate(Algorithm::ES256, "a-1");
    let b = TestKey::generate(Algorithm::ES256, "b-1");
    let v = Validator::builder()
        .algorithms([Algorithm::ES256])
        .trust(Issuer::new(A).key(a.verification_key()).any_tenant())
        .trust(Issuer::new(B).key(b.verification_key()).tenants(["acme"]))
        .audience(AUD)
        .build()
        .unwrap();
    let store = MemoryAssignments::<docs::Policy>::new();
    store.grant(Member::new(B, "mallory", "acme"), docs::Role::Reader);
    store.grant(Member::new(B, "mallory", "globex"), docs::Role::Reader);
    store.grant(Member::new(A, "ops", "globex"), docs::Role::Reader);

    let mallory = caller(&v, &b.mint(&claims_for(B, AUD, "mallory")))
        .await
        .unwrap();
    let in_acme = mallory.in_tenant(&store, "acme").await.unwrap();
    assert!(in_acme.require::<docs::perm::DocsRead>().is_ok());
    let refused = mallory.in_tenant(&store, "globex").await.unwrap_err();
    assert_eq!(refused.http_status(), 404);
    assert_eq!(
        refused.denied().map(|d| d.reason()),
        Some(DenyReason::OtherTenant)
    );
    // `?` in a handler answers it as a missing resource: 404, no challenge.
    let refusal = authz_core::Refusal::from(refused);
    assert_eq!((refusal.status(), refusal.challenge()), (404, None));
    // A store that cannot answer is 503 with Retry-After, never a grant.
    let down = authz_core::assignments::TenantError::Unavailable(
        authz_core::assignments::Unavailable::new("connection refused"),
    );
    let refusal = authz_core::Refusal::from(down);
    assert_eq!((refusal.status(), refusal.retry_after()), (503, Some(5)));
    assert!(!refusal.problem_json().contains("connection refused"));
    // The operator's own issuer speaks for every tenant.
    let ops = caller(&v, &a.mint(&claims_for(A, AUD, "ops")))
        .await
        .unwrap();
    assert!(ops.in_tenant(&store, "globex").await.is_ok());
}
