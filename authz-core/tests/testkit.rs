//! The test kit mints what services test (issue 23, item 8), each in one call, and each minted
//! token is checked by the library itself: an access token from `claims_for` carries the
//! RFC 9068 header `typ`; a back-channel logout token is received and revokes; a token shaped
//! like each identity provider's validates with that provider's settings and resolves under a
//! small policy; a tampered token is refused with the error its function names.

use authz_core::claims::{NameList, Nested};
use authz_core::testkit::{
    Provider, ProviderClaims, TestKey, claims_for, logout_claims, now, tamper,
};
use authz_core::token::{BackChannelLogout, InMemoryRevocation, LogoutError, ValidatorBuilder};
use authz_core::{Algorithm, Authenticated, Claims, Permission, Role, TokenError, Validator};
use serde_json::{Value, json};

const ISS: &str = "https://id.example";
const API: &str = "reports-api";
const CLIENT: &str = "reports-web";

authz_core::policy! {
    /// The service every token here calls.
    pub mod reports {
        permissions { "reports:read", "reports:write" }
        roles {
            "viewer" = ["reports:read"],
            "editor" = ["reports:read", "reports:write"],
        }
    }
}

#[derive(Debug, serde::Deserialize, authz_core::Claims)]
struct Plain {
    sub: String,
}

fn builder(key: &TestKey) -> ValidatorBuilder {
    Validator::builder()
        .algorithms([key.algorithm()])
        .key(key.verification_key())
}

fn validator(key: &TestKey) -> Validator {
    builder(key).issuer(ISS).audience(API).build().unwrap()
}

fn header_of(token: &str) -> Value {
    tamper::decode(token.split('.').next().unwrap()).unwrap()
}

async fn refused(validator: &Validator, token: &str) -> TokenError {
    match validator.validate::<Plain>(token).await {
        Ok(_) => panic!("a tampered token was accepted"),
        Err(error) => error,
    }
}

// ---------------------------------------------------------------------------------------------
// Access tokens
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn claims_for_mints_an_rfc_9068_access_token() {
    let key = TestKey::generate(Algorithm::ES256, "k1");
    let token = key.mint(&claims_for(ISS, API, "alice"));
    assert_eq!(header_of(&token)["typ"], "at+jwt");

    let strict = builder(&key)
        .issuer(ISS)
        .audience(API)
        .typ("at+jwt")
        .build()
        .unwrap();
    let ok = strict.validate::<Plain>(&token).await.unwrap();
    assert_eq!(
        (ok.typ(), ok.claims.sub.as_str()),
        (Some("at+jwt"), "alice")
    );
    // A validator that requires no `typ` accepts it too.
    validator(&key).validate::<Plain>(&token).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Back-channel logout tokens
// ---------------------------------------------------------------------------------------------

struct Logout {
    key: TestKey,
    receiver: BackChannelLogout,
    api: Validator,
}

fn logout_setup() -> Logout {
    let key = TestKey::generate(Algorithm::RS256, "k1");
    let client = builder(&key).issuer(ISS).audience(CLIENT).build().unwrap();
    let api = builder(&key)
        .issuer(ISS)
        .audience(API)
        .revocation_store(InMemoryRevocation::new())
        .build()
        .unwrap();
    Logout {
        receiver: BackChannelLogout::new(client, &api).unwrap(),
        api,
        key,
    }
}

#[tokio::test]
async fn a_minted_logout_token_is_received_and_revokes() {
    let s = logout_setup();
    let mut access = claims_for(ISS, API, "ann");
    access["iat"] = json!(now() - 30);
    access["sid"] = json!("s-1");
    let access = s.key.mint(&access);
    s.api.validate::<Plain>(&access).await.unwrap();

    let token = s.key.logout_token(ISS, CLIENT, Some("ann"), None);
    assert_eq!(header_of(&token)["typ"], "logout+jwt");
    let done = s.receiver.receive(&token).await.unwrap();
    assert_eq!(
        (done.issuer(), done.subject(), done.session()),
        (ISS, Some("ann"), None)
    );
    assert!(matches!(
        s.api.validate::<Plain>(&access).await,
        Err(TokenError::Revoked)
    ));
    // Received once only.
    assert!(matches!(
        s.receiver.receive(&token).await,
        Err(LogoutError::Replayed)
    ));
}

#[tokio::test]
async fn logout_tokens_name_a_session_or_both_and_each_has_its_own_jti() {
    let s = logout_setup();
    let by_session = s.key.logout_token(ISS, CLIENT, None, Some("s-1"));
    let done = s.receiver.receive(&by_session).await.unwrap();
    assert_eq!((done.subject(), done.session()), (None, Some("s-1")));

    // Minted a moment later for the same user and session, it is another logout, not a replay.
    let first = s.key.logout_token(ISS, CLIENT, Some("bob"), Some("s-2"));
    let second = s.key.logout_token(ISS, CLIENT, Some("bob"), Some("s-2"));
    for token in [first, second] {
        let done = s.receiver.receive(&token).await.unwrap();
        assert_eq!((done.subject(), done.session()), (Some("bob"), Some("s-2")));
    }
}

#[tokio::test]
async fn logout_claims_edited_are_refused_for_what_was_changed() {
    let s = logout_setup();
    // An ID token's `nonce`.
    let mut claims = logout_claims(ISS, CLIENT, Some("ann"), None);
    claims["nonce"] = json!("n-1");
    let err = s.receiver.receive(&s.key.mint_logout(&claims)).await;
    assert!(matches!(err, Err(LogoutError::NotLogout(_))), "{err:?}");
    // Neither `sub` nor `sid`.
    let err = s
        .receiver
        .receive(&s.key.mint_logout(&logout_claims(ISS, CLIENT, None, None)))
        .await;
    assert!(matches!(err, Err(LogoutError::NotLogout(_))), "{err:?}");
    // The claims of a logout token signed as an access token: the header `typ` is wrong.
    let err = s
        .receiver
        .receive(&s.key.mint(&logout_claims(ISS, CLIENT, Some("ann"), None)))
        .await;
    assert!(matches!(err, Err(LogoutError::NotLogout(_))), "{err:?}");
}

#[tokio::test]
async fn a_minted_logout_token_is_no_access_token() {
    let s = logout_setup();
    let token = s.key.logout_token(ISS, API, Some("ann"), None);
    assert!(matches!(
        s.api.validate::<Plain>(&token).await,
        Err(TokenError::LogoutToken)
    ));
}

// ---------------------------------------------------------------------------------------------
// Provider-shaped access tokens: the claims structs and validator settings of the guide
// ---------------------------------------------------------------------------------------------

type Caller<C> = Authenticated<reports::Policy, C>;

fn resolved<C: Claims>(caller: &Caller<C>) -> (Vec<&'static str>, Vec<&'static str>) {
    (
        caller.permissions().iter().map(Permission::name).collect(),
        caller.roles().iter().map(Role::name).collect(),
    )
}

async fn caller_of<C>(validator: &Validator, token: &str) -> Caller<C>
where
    C: Claims + serde::de::DeserializeOwned,
{
    Caller::from(validator.validate::<C>(token).await.unwrap())
}

#[derive(Debug, serde::Deserialize, authz_core::Claims)]
#[claims(policy = reports::Policy)]
struct Keycloak {
    sub: String,
    #[claims(roles, at = "roles")]
    realm_access: Nested,
    #[claims(roles, at = "reports-api.roles", map = { "manage-reports" => "editor" })]
    resource_access: Nested,
    #[claims(scope)]
    scope: NameList,
}

#[tokio::test]
async fn keycloak() {
    let key = TestKey::generate(Algorithm::RS256, "kc");
    let iss = "https://sso.example.com/realms/reports";
    let validator = builder(&key)
        .issuer(iss)
        .audience(API)
        .require_claim("typ", "Bearer")
        .build()
        .unwrap();
    let token = ProviderClaims::new(Provider::Keycloak, iss, API, "alice")
        .roles(["viewer"])
        .client_roles(API, ["manage-reports"])
        .mint(&key);
    let caller = caller_of::<Keycloak>(&validator, &token).await;
    assert_eq!(caller.subject(), Some("alice"));
    assert_eq!(
        resolved(&caller),
        (
            vec!["reports:read", "reports:write"],
            vec!["viewer", "editor"]
        )
    );
    assert_eq!(caller.unknown_counts(), (0, 0));

    // Keycloak's ID tokens say `typ: "ID"`: refused as the guide's settings intend.
    let id_token = ProviderClaims::new(Provider::Keycloak, iss, API, "alice")
        .claim("typ", json!("ID"))
        .mint(&key);
    let err = validator.validate::<Keycloak>(&id_token).await.unwrap_err();
    assert!(matches!(err, TokenError::ClaimValue("typ")), "{err}");
}

#[derive(Debug, serde::Deserialize, authz_core::Claims)]
#[claims(policy = reports::Policy)]
struct Entra {
    #[claims(subject)]
    oid: String,
    #[claims(tenant)]
    tid: String,
    #[claims(roles, map = { "Reports.Editor" => "editor" })]
    roles: NameList,
    #[claims(scope, map = { "Reports.Read" => "reports:read" })]
    scp: NameList,
}

#[tokio::test]
async fn entra_id() {
    let key = TestKey::generate(Algorithm::RS256, "entra");
    let tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let iss = format!("https://login.microsoftonline.com/{tid}/v2.0");
    let app = "6e74172b-be56-4843-9ff4-e66a39bb12e3";
    let validator = builder(&key).issuer(&iss).audience(app).build().unwrap();

    let user = ProviderClaims::new(Provider::EntraId, &iss, app, "oid-alice")
        .scopes(["Reports.Read"])
        .mint(&key);
    let caller = caller_of::<Entra>(&validator, &user).await;
    // The subject is `oid`, the tenant the issuer's.
    assert_eq!(
        (caller.subject(), caller.tenant()),
        (Some("oid-alice"), Some(tid))
    );
    assert_eq!(resolved(&caller), (vec!["reports:read"], vec![]));

    let editor = ProviderClaims::new(Provider::EntraId, &iss, app, "oid-bob")
        .roles(["Reports.Editor"])
        .tenant("another-tenant")
        .mint(&key);
    let caller = caller_of::<Entra>(&validator, &editor).await;
    assert_eq!(caller.tenant(), Some("another-tenant"));
    assert_eq!(
        resolved(&caller),
        (vec!["reports:read", "reports:write"], vec!["editor"])
    );
}

#[derive(Debug, serde::Deserialize, authz_core::Claims)]
#[claims(policy = reports::Policy)]
struct Auth0 {
    sub: String,
    #[claims(
        permissions,
        map = { "read:reports" => "reports:read", "write:reports" => "reports:write" },
    )]
    permissions: NameList,
    #[serde(rename = "https://reports.example.com/roles")]
    #[claims(roles, map = { "Report Editor" => "editor" })]
    roles: NameList,
    #[claims(tenant)]
    org_id: Option<String>,
}

#[tokio::test]
async fn auth0() {
    let key = TestKey::generate(Algorithm::RS256, "auth0");
    let iss = "https://my-domain.auth0.com/";
    let api = "https://reports.example.com/api";
    let validator = builder(&key).issuer(iss).audience(api).build().unwrap();

    let token = ProviderClaims::new(Provider::Auth0, iss, api, "auth0|123")
        .scopes(["openid", "read:reports"])
        .permissions(["read:reports"])
        .tenant("org_1")
        .mint(&key);
    let caller = caller_of::<Auth0>(&validator, &token).await;
    assert_eq!(
        (caller.subject(), caller.tenant()),
        (Some("auth0|123"), Some("org_1"))
    );
    assert_eq!(resolved(&caller), (vec!["reports:read"], vec![]));

    let token = ProviderClaims::new(Provider::Auth0, iss, api, "auth0|456")
        .roles(["Report Editor"])
        .roles_claim("https://reports.example.com/roles")
        .mint(&key);
    let caller = caller_of::<Auth0>(&validator, &token).await;
    assert_eq!(
        resolved(&caller),
        (vec!["reports:read", "reports:write"], vec!["editor"])
    );
    assert_eq!(caller.tenant(), None);
}

#[derive(Debug, serde::Deserialize, authz_core::Claims)]
#[claims(policy = reports::Policy)]
struct Cognito {
    sub: String,
    #[serde(rename = "cognito:groups")]
    #[claims(roles)]
    groups: NameList,
    #[claims(scope, map = { "reports-api/write" => "reports:write" })]
    scope: NameList,
}

#[tokio::test]
async fn cognito() {
    let key = TestKey::generate(Algorithm::RS256, "cognito");
    let iss = "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example";
    let app_client = "57cbishk4j24pabc1234567890";
    let validator = builder(&key)
        .issuer(iss)
        .audience(app_client)
        .audience_claim("client_id")
        .require_claim("token_use", "access")
        .build()
        .unwrap();
    let claims = ProviderClaims::new(Provider::Cognito, iss, app_client, "user-1")
        .roles(["viewer"])
        .scopes(["reports-api/write"]);
    // Cognito's layout: the app client in `client_id`, and no `aud`.
    let payload = claims.build();
    assert_eq!(payload["client_id"], app_client);
    assert!(payload.get("aud").is_none());
    assert!(header_of(&claims.mint(&key)).get("typ").is_none());

    let caller = caller_of::<Cognito>(&validator, &claims.mint(&key)).await;
    assert_eq!(
        resolved(&caller),
        (vec!["reports:read", "reports:write"], vec!["viewer"])
    );

    // Another app client of the pool, and the pool's ID token, are refused.
    let other = claims.clone().claim("client_id", json!("other-client"));
    let err = validator
        .validate::<Cognito>(&other.mint(&key))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::WrongAudience), "{err}");
    let id_token = claims.claim("token_use", json!("id"));
    let err = validator
        .validate::<Cognito>(&id_token.mint(&key))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::ClaimValue("token_use")), "{err}");
}

#[derive(Debug, serde::Deserialize, authz_core::Claims)]
#[claims(policy = reports::Policy, ignore = ["Everyone"])]
struct Okta {
    sub: String,
    #[claims(scope, map = { "reports.read" => "reports:read" })]
    scp: NameList,
    #[claims(roles, map = { "Report Admins" => "editor" })]
    groups: NameList,
}

#[tokio::test]
async fn okta() {
    let key = TestKey::generate(Algorithm::RS256, "okta");
    let iss = "https://example.okta.com/oauth2/default";
    let api = "https://reports.example.com/api";
    let validator = builder(&key).issuer(iss).audience(api).build().unwrap();

    let token = ProviderClaims::new(Provider::Okta, iss, api, "00u-alice")
        .scopes(["openid", "reports.read"])
        .roles(["Everyone"])
        .mint(&key);
    let caller = caller_of::<Okta>(&validator, &token).await;
    assert_eq!(resolved(&caller), (vec!["reports:read"], vec![]));
    assert_eq!(caller.unknown_counts(), (0, 0));

    let token = ProviderClaims::new(Provider::Okta, iss, api, "00u-bob")
        .roles(["Everyone", "Report Admins"])
        .mint(&key);
    let caller = caller_of::<Okta>(&validator, &token).await;
    assert_eq!(
        resolved(&caller),
        (vec!["reports:read", "reports:write"], vec!["editor"])
    );
}

#[test]
#[should_panic(expected = "roles_claim")]
fn auth0_roles_without_their_claim_say_which_call_is_missing() {
    let _ = ProviderClaims::new(Provider::Auth0, "https://a.auth0.com/", API, "u")
        .roles(["Report Editor"])
        .build();
}

#[test]
#[should_panic(expected = "client roles are Keycloak's")]
fn client_roles_are_keycloaks_only() {
    let _ = ProviderClaims::new(Provider::Okta, ISS, API, "u").client_roles(API, ["x"]);
}

// ---------------------------------------------------------------------------------------------
// Tampered tokens
// ---------------------------------------------------------------------------------------------

const EVERY_FAMILY: [Algorithm; 5] = [
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::EdDSA,
    Algorithm::HS256,
];

#[tokio::test]
async fn a_changed_signature_does_not_verify_for_any_algorithm() {
    for alg in EVERY_FAMILY {
        let key = TestKey::generate(alg, "k1");
        let validator = validator(&key);
        // Many tokens, so that no signature happens to survive the change.
        for n in 0..16 {
            let token = key.mint(&claims_for(ISS, API, &format!("user-{n}")));
            validator.validate::<Plain>(&token).await.unwrap();
            let forged = tamper::signature(&token);
            assert_ne!(forged, token);
            let err = refused(&validator, &forged).await;
            assert!(
                matches!(err, TokenError::BadSignature { .. }),
                "{alg}: {err}"
            );
        }
    }
}

#[tokio::test]
async fn a_changed_payload_keeps_a_signature_that_no_longer_verifies() {
    for alg in EVERY_FAMILY {
        let key = TestKey::generate(alg, "k1");
        let validator = validator(&key);
        let token = key.mint(&claims_for(ISS, API, "alice"));
        let forged = tamper::payload(&token);
        let payload = tamper::decode(forged.split('.').nth(1).unwrap()).unwrap();
        assert_eq!(payload["sub"], "mallory");
        let err = refused(&validator, &forged).await;
        assert!(
            matches!(err, TokenError::BadSignature { .. }),
            "{alg}: {err}"
        );

        let forged = tamper::payload_with(&token, |claims| claims["exp"] = json!(now() + 86_400));
        let err = refused(&validator, &forged).await;
        assert!(
            matches!(err, TokenError::BadSignature { .. }),
            "{alg}: {err}"
        );
    }
    // A token whose `sub` already is "mallory" is changed too.
    let key = TestKey::generate(Algorithm::HS256, "k1");
    let token = key.mint(&claims_for(ISS, API, "mallory"));
    let err = refused(&validator(&key), &tamper::payload(&token)).await;
    assert!(matches!(err, TokenError::BadSignature { .. }), "{err}");
}

#[tokio::test]
async fn a_changed_header_is_refused_for_the_change() {
    let key = TestKey::generate(Algorithm::RS256, "k1");
    let validator = validator(&key);
    let token = key.mint(&claims_for(ISS, API, "alice"));

    let err = refused(&validator, &tamper::header(&token)).await;
    assert!(
        matches!(&err, TokenError::UnknownKey { kid: Some(kid), .. } if kid == "k1-tampered"),
        "{err}"
    );
    // The algorithm confusion attack: RS256 relabelled HS256.
    let err = refused(&validator, &tamper::alg(&token, Algorithm::HS256)).await;
    assert!(
        matches!(err, TokenError::AlgorithmNotAllowed(Algorithm::HS256)),
        "{err}"
    );
    let unsigned = tamper::unsigned(&token);
    assert!(unsigned.ends_with('.'));
    let err = refused(&validator, &unsigned).await;
    assert!(matches!(err, TokenError::Unsigned), "{err}");

    // Any other change to the header breaks the signature, which covers it.
    let forged = tamper::header_with(&token, |header| header["x5u"] = json!("https://evil"));
    let err = refused(&validator, &forged).await;
    assert!(matches!(err, TokenError::BadSignature { .. }), "{err}");
    // A `typ` the validator requires is checked before the signature.
    let strict = builder(&key)
        .issuer(ISS)
        .audience(API)
        .typ("at+jwt")
        .build()
        .unwrap();
    let forged = tamper::header_with(&token, |header| header["typ"] = json!("JWT"));
    let err = refused(&strict, &forged).await;
    assert!(matches!(err, TokenError::WrongType), "{err}");
}

#[test]
fn tampering_changes_only_its_segment() {
    let key = TestKey::generate(Algorithm::ES256, "k1");
    let token = key.mint(&claims_for(ISS, API, "alice"));
    let parts = |t: &str| t.split('.').map(str::to_owned).collect::<Vec<_>>();
    let original = parts(&token);
    for (forged, changed) in [
        (tamper::signature(&token), 2),
        (tamper::payload(&token), 1),
        (tamper::header(&token), 0),
    ] {
        let forged = parts(&forged);
        for i in 0..3 {
            assert_eq!(forged[i] == original[i], i != changed, "segment {i}");
        }
    }
}
