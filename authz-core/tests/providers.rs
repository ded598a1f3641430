//! Real identity providers (issue 14): for Keycloak, Microsoft Entra ID, Auth0, Amazon Cognito
//! and Okta, a payload shaped like the provider's documented access token, re-signed with a
//! test key, validated with the settings that provider needs, read by a
//! `#[derive(Claims)]` struct (no hand-written trait impl) and resolved against one small
//! policy. Each fixture names the documentation its claim set was copied from; only the
//! times and the values that name this service (issuer, audience, roles, scopes) are ours.
//!
//! Also: the validator settings providers need, each refusal performed: Cognito's access
//! tokens carry no `aud` (`audience_claim("client_id")`) and are told from its ID tokens by
//! `token_use` (`require_claim`); Keycloak's by the payload `typ`.
//!
//! Names as each provider spells them (issue 22): every struct maps its provider's names
//! (`Reports.Read`, `reports.read`, `reports-api/read`, `read:reports`, `Report Admins`,
//! `manage-reports`) to the policy's with `map = { ... }`, for a user's token and for a machine
//! client's (client credentials), and reads list claims as `NameList`, so a token that omits
//! one (no groups, no app roles, no `scope`) is read with no `#[serde(default)]`. A name no
//! map lists still grants nothing and is counted and reported as unknown. One struct also
//! serves two providers at once, each with its own spelling of the same permission.

use authz_core::claims::{NameList, Nested};
use authz_core::policy::NameKind;
use authz_core::testkit::{TestKey, now};
use authz_core::token::ConfigError;
use authz_core::{Algorithm, Authenticated, Claims, Permission, Role, TokenError, Validator};
use serde_json::{Value, json};

authz_core::policy! {
    /// The reports service every fixture calls.
    pub mod reports {
        permissions {
            /// Read reports.
            "reports:read",
            /// Write reports.
            "reports:write",
        }
        roles {
            /// Reads.
            "viewer" = ["reports:read"],
            /// Reads and writes.
            "editor" = ["reports:read", "reports:write"],
        }
    }
}

type Caller<C> = Authenticated<reports::Policy, C>;

/// The caller's permission and role names, in declaration order.
fn resolved<C: Claims>(caller: &Caller<C>) -> (Vec<&'static str>, Vec<&'static str>) {
    (
        caller.permissions().iter().map(Permission::name).collect(),
        caller.roles().iter().map(Role::name).collect(),
    )
}

/// The names a caller carries that the policy does not know, as the token spells them.
fn unknown<C: Claims>(caller: &Caller<C>) -> Vec<(NameKind, String)> {
    caller
        .unknown_names()
        .into_iter()
        .map(|(kind, name)| (kind, name.to_owned()))
        .collect()
}

/// Every provider here signs access tokens with RS256.
fn provider_key(kid: &str) -> TestKey {
    TestKey::generate(Algorithm::RS256, kid)
}

/// The header Okta and Cognito document for access tokens: `kid` and `alg`, no `typ`.
fn sign_without_typ(key: &TestKey, claims: &Value) -> String {
    key.sign(&json!({ "kid": key.kid(), "alg": "RS256" }), claims)
}

async fn refusal<C: Claims + serde::de::DeserializeOwned>(
    validator: &Validator,
    token: &str,
) -> TokenError {
    match validator.validate::<C>(token).await {
        Ok(_) => panic!("accepted"),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------------------------
// Keycloak
// ---------------------------------------------------------------------------------------------

const KEYCLOAK_ISS: &str = "https://sso.example.com/realms/reports";

/// A Keycloak access token. Keycloak's guides print no sample token; the claim set is that of
/// `org.keycloak.representations.AccessToken` (Keycloak javadoc: `realm_access`,
/// `resource_access`, `scope`, `allowed-origins`, and from `IDToken`/`JsonWebToken` `typ`,
/// `azp`, `sid`, `acr`, the profile claims) in the order and form a Keycloak 2x realm issues
/// them: realm default roles (`offline_access`, `uma_authorization`, `default-roles-<realm>`),
/// the `account` client's roles, payload `typ: "Bearer"`. `aud` holds `reports-api` because the
/// realm has an audience mapper for it (see `keycloak_without_the_audience_mapper`).
fn keycloak_access_token() -> Value {
    let now = now();
    json!({
        "exp": now + 300,
        "iat": now,
        "auth_time": now - 20,
        "jti": "0b4c7f0e-1d1a-4c55-8f1e-7f3b2a7c9d41",
        "iss": KEYCLOAK_ISS,
        "aud": ["reports-api", "account"],
        "sub": "f3a5e0b2-7c1d-4e2a-9b8f-2d6c4a1e0f93",
        "typ": "Bearer",
        "azp": "reports-web",
        "sid": "8c0e3f7a-2b4d-4a91-bb6e-1f5d9c7a3e21",
        "acr": "1",
        "allowed-origins": ["https://reports.example.com"],
        "realm_access": {
            "roles": ["offline_access", "uma_authorization", "default-roles-reports", "viewer"]
        },
        "resource_access": {
            "reports-api": { "roles": ["manage-reports"] },
            "account": { "roles": ["manage-account", "manage-account-links", "view-profile"] }
        },
        "scope": "openid profile email",
        "email_verified": true,
        "name": "Jane Doe",
        "preferred_username": "jane",
        "given_name": "Jane",
        "family_name": "Doe",
        "email": "jane@example.com"
    })
}

/// A Keycloak service account's token (client credentials grant of the confidential client
/// `reports-batch`, "Service accounts" in Keycloak's Server Administration Guide): no user
/// profile, `preferred_username` is `service-account-<client>`, `clientId` and `azp` name the
/// client, and its roles are the service account's client roles of `reports-api`.
fn keycloak_service_account_token() -> Value {
    let now = now();
    json!({
        "exp": now + 300,
        "iat": now,
        "jti": "5d2f0c7e-9a4b-4f31-8c2d-3e6b1a7f9d02",
        "iss": KEYCLOAK_ISS,
        "aud": ["reports-api", "account"],
        "sub": "2b7d9e41-6c3a-4f8e-a1d5-0c9b8e7f6a53",
        "typ": "Bearer",
        "azp": "reports-batch",
        "acr": "1",
        "realm_access": { "roles": ["offline_access", "uma_authorization", "default-roles-reports"] },
        "resource_access": {
            "reports-api": { "roles": ["view-reports", "export-reports"] },
            "account": { "roles": ["manage-account", "view-profile"] }
        },
        "scope": "profile email",
        "clientHost": "10.0.0.12",
        "email_verified": false,
        "preferred_username": "service-account-reports-batch",
        "clientAddress": "10.0.0.12",
        "clientId": "reports-batch"
    })
}

/// Realm roles named as the policy names them; `reports-api`'s client roles in Keycloak's
/// kebab-case style, mapped.
#[derive(Debug, serde::Deserialize, authz_core::Claims)]
#[claims(
    policy = reports::Policy,
    ignore = ["uma_authorization", "default-roles-reports"],
)]
struct Keycloak {
    sub: String,
    #[claims(roles, at = "roles")]
    realm_access: Nested,
    #[claims(
        roles,
        at = "reports-api.roles",
        map = { "view-reports" => "viewer", "manage-reports" => "editor" },
    )]
    resource_access: Nested,
    #[claims(scope)]
    scope: NameList,
}

fn keycloak_validator(key: &TestKey) -> Validator {
    Validator::builder()
        .algorithms([Algorithm::RS256])
        .key(key.verification_key()) // in production: .oidc_issuer(KEYCLOAK_ISS)
        .issuer(KEYCLOAK_ISS)
        .audience("reports-api")
        .require_claim("typ", "Bearer")
        .build()
        .unwrap()
}

#[tokio::test]
async fn keycloak() {
    let key = provider_key("kc-rs256");
    let validator = keycloak_validator(&key);
    let validated = validator
        .validate::<Keycloak>(&key.mint(&keycloak_access_token()))
        .await
        .unwrap();
    assert_eq!(
        validated.subject(),
        Some("f3a5e0b2-7c1d-4e2a-9b8f-2d6c4a1e0f93")
    );
    let caller = Caller::from(validated);
    // Realm role `viewer` and client role `manage-reports` of `reports-api` (mapped to
    // `editor`); the `account` client's roles are not read.
    assert_eq!(
        resolved(&caller),
        (
            vec!["reports:read", "reports:write"],
            vec!["viewer", "editor"]
        )
    );
    // `openid profile email`, `offline_access` and the realm's default roles are no noise.
    assert_eq!(caller.unknown_counts(), (0, 0));
    assert_eq!(caller.tenant(), None);

    // The service account: `view-reports` maps to `viewer`; `export-reports` is in no map and
    // the policy does not declare it, so it grants nothing and is reported as Keycloak spells it.
    let validated = validator
        .validate::<Keycloak>(&key.mint(&keycloak_service_account_token()))
        .await
        .unwrap();
    let caller = Caller::from(validated);
    assert_eq!(resolved(&caller), (vec!["reports:read"], vec!["viewer"]));
    assert_eq!(caller.unknown_counts(), (1, 0));
    assert_eq!(
        unknown(&caller),
        [(NameKind::Role, "export-reports".to_owned())]
    );

    // A token without `realm_access`, `resource_access` or `scope` is read: no names.
    let mut bare = keycloak_service_account_token();
    for claim in ["realm_access", "resource_access", "scope"] {
        bare.as_object_mut().unwrap().remove(claim);
    }
    let caller = Caller::from(
        validator
            .validate::<Keycloak>(&key.mint(&bare))
            .await
            .unwrap(),
    );
    assert_eq!(resolved(&caller), (vec![], vec![]));
    assert_eq!(caller.unknown_counts(), (0, 0));
}

/// Keycloak's `aud` names the clients whose roles the token carries (`account`), not the
/// calling client, which is `azp`. Without an audience mapper for `reports-api`, the token is
/// not meant for this API and `azp` does not stand in for it.
#[tokio::test]
async fn keycloak_without_the_audience_mapper() {
    let key = provider_key("kc-rs256");
    let validator = keycloak_validator(&key);
    let mut claims = keycloak_access_token();
    claims["aud"] = json!("account");
    let err = refusal::<Keycloak>(&validator, &key.mint(&claims)).await;
    assert!(matches!(err, TokenError::WrongAudience), "{err}");

    // The ID token of a client that is the API itself (`aud` is then `reports-api`): payload
    // `typ` is "ID", so it is refused as an access token.
    let mut id_token = keycloak_access_token();
    for claim in [
        "realm_access",
        "resource_access",
        "scope",
        "allowed-origins",
    ] {
        id_token.as_object_mut().unwrap().remove(claim);
    }
    id_token["aud"] = json!("reports-api");
    id_token["azp"] = json!("reports-api");
    id_token["typ"] = json!("ID");
    id_token["at_hash"] = json!("nW2JvY1mHHmkSrR-GTrZAA");
    let err = refusal::<Keycloak>(&validator, &key.mint(&id_token)).await;
    assert!(matches!(err, TokenError::ClaimValue("typ")), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Microsoft Entra ID
// ---------------------------------------------------------------------------------------------

const ENTRA_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// The API's application (client) ID: the `aud` of its v2.0 tokens.
const ENTRA_API: &str = "6e74172b-be56-4843-9ff4-e66a39bb12e3";
/// The API's application ID URI: the `aud` of v1.0 tokens requested for it.
const ENTRA_API_URI: &str = "api://6e74172b-be56-4843-9ff4-e66a39bb12e3";

fn entra_v2_issuer() -> String {
    format!("https://login.microsoftonline.com/{ENTRA_TENANT}/v2.0")
}

fn entra_v1_issuer() -> String {
    format!("https://sts.windows.net/{ENTRA_TENANT}/")
}

/// A v2.0 access token: the decoded v2.0 example of "Access tokens in the Microsoft identity
/// platform" (learn.microsoft.com, entra-docs `access-tokens.md`), with the API's delegated
/// permissions (scopes) `Reports.Read` and `Reports.Write` in `scp`, and no `roles` claim (the
/// user holds no app role), as Entra sends it.
fn entra_v2_access_token() -> Value {
    let now = now();
    json!({
        "aud": ENTRA_API,
        "iss": entra_v2_issuer(),
        "iat": now,
        "nbf": now,
        "exp": now + 3900,
        "aio": "AXQAi/8IAAAAtAaZLo3ChMif6KOnttRB7eBq4/DccQzjcJGxPYy/C3jDaNGxXd6wNIIVGRghNRnwJ1lOcAnNZcjvkoyrFxCttv33140RioOFJ4bCCGVuoCag1uOTT22222gHwLPYQ/uf79QX+0KIijdrmp69RctzmQ==",
        "azp": ENTRA_API,
        "azpacr": "0",
        "name": "Abe Lincoln",
        "oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474",
        "preferred_username": "abeli@microsoft.com",
        "rh": "I",
        "scp": "Reports.Read Reports.Write",
        "sub": "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
        "tid": ENTRA_TENANT,
        "uti": "fqiBqXLPj0eQa82S-IYFAA",
        "ver": "2.0"
    })
}

/// A v1.0 access token: the decoded v1.0 example of the same page, with `aud` the application
/// ID URI it was requested for, the tenant of the v2.0 example and an app role.
fn entra_v1_access_token() -> Value {
    let now = now();
    json!({
        "aud": ENTRA_API_URI,
        "iss": entra_v1_issuer(),
        "iat": now,
        "nbf": now,
        "exp": now + 3900,
        "acr": "1",
        "aio": "AXQAi/8IAAAAFm+E/QTG+gFnVxLjWdw8K+61AGrSOuMMF6ebaMj7XO3IbmD3fGmrOyD+NvZyGn2VaT/kDKXw4MIhrgGVq6Bn8wLXoT1LkIZ+FzQVkJPPLQOV4KcXqSlCVPDS/DiCDgE222TImMvWNaEMaUOTsIGvTQ==",
        "amr": ["wia"],
        "appid": "75dbe77f-10a3-4e59-85fd-8c127544f17c",
        "appidacr": "0",
        "email": "AbeLi@microsoft.com",
        "family_name": "Lincoln",
        "given_name": "Abe (MSFT)",
        "ipaddr": "222.222.222.22",
        "name": "abeli",
        "oid": "02223b6b-aa1d-42d4-9ec0-1b2bb9194438",
        "rh": "I",
        "roles": ["Reports.Editor"],
        "scp": "user_impersonation",
        "sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
        "tid": ENTRA_TENANT,
        "unique_name": "abeli@microsoft.com",
        "uti": "FVsGxYXI30-TuikuuUoFAA",
        "ver": "1.0"
    })
}

/// An app-only v2.0 token (client credentials grant, "Access token claims reference": `idtyp`
/// is `app`): no `scp`, and the application permission granted to the client app in `roles`.
/// `oid` is the client's service principal.
fn entra_app_only_token() -> Value {
    let now = now();
    json!({
        "aud": ENTRA_API,
        "iss": entra_v2_issuer(),
        "iat": now,
        "nbf": now,
        "exp": now + 3599,
        "aio": "E2ZgYJj4dGl3Xqv2N8P5kW1d9b7mLrQ2AA==",
        "azp": "75dbe77f-10a3-4e59-85fd-8c127544f17c",
        "azpacr": "1",
        "idtyp": "app",
        "oid": "b3a0c3a2-9f6b-4e0f-8c5a-2d7e1f4b6a90",
        "rh": "I",
        "roles": ["Reports.Read.All", "Reports.Archive"],
        "sub": "b3a0c3a2-9f6b-4e0f-8c5a-2d7e1f4b6a90",
        "tid": ENTRA_TENANT,
        "uti": "Hk2sQv0yTUuC3x2yZ0BjAA",
        "ver": "2.0"
    })
}

/// `sub` is pairwise (one value per user and application); `oid` is the user's stable object
/// ID, the same for every application of the tenant: it is the subject. Delegated
/// permissions (`scp`) and app roles (`roles`) as the app registration names them; the
/// application permission `Reports.Read.All` grants a permission, not a role.
#[derive(Debug, serde::Deserialize, authz_core::Claims)]
#[claims(policy = reports::Policy, ignore = ["user_impersonation"])]
struct Entra {
    #[claims(subject)]
    oid: String,
    #[claims(tenant)]
    tid: String,
    #[claims(
        roles,
        map = {
            "Reports.Editor" => "editor",
            "Reports.Read.All" => permission "reports:read",
        },
    )]
    roles: NameList,
    #[claims(scope, map = { "Reports.Read" => "reports:read", "Reports.Write" => "reports:write" })]
    scp: NameList,
}

/// Entra signs v1.0 and v2.0 tokens with the same tenant keys; each version has its own
/// issuer and audience, so each gets its own validator.
fn entra_validator(key: &TestKey, issuer: String, audience: &str) -> Validator {
    Validator::builder()
        .algorithms([Algorithm::RS256])
        .key(key.verification_key()) // in production: .oidc_issuer(issuer)
        .issuer(issuer)
        .audience(audience)
        .build()
        .unwrap()
}

fn sign_entra(key: &TestKey, claims: &Value) -> String {
    // Entra's header also carries `x5t` (the same value as `kid` for these keys).
    let header = json!({ "typ": "JWT", "alg": "RS256", "x5t": key.kid(), "kid": key.kid() });
    key.sign(&header, claims)
}

#[tokio::test]
async fn entra_id() {
    let key = provider_key("i6lGk3FZzxRcUb2C3nEQ7syHJlY");
    let v2 = entra_validator(&key, entra_v2_issuer(), ENTRA_API);
    let v1 = entra_validator(&key, entra_v1_issuer(), ENTRA_API_URI);
    let v2_token = sign_entra(&key, &entra_v2_access_token());
    let v1_token = sign_entra(&key, &entra_v1_access_token());

    let validated = v2.validate::<Entra>(&v2_token).await.unwrap();
    assert_eq!(
        validated.subject(),
        Some("690222be-ff1a-4d56-abd1-7e4f7d38e474")
    );
    let caller = Caller::from(validated);
    // Delegated scopes `Reports.Read Reports.Write`, and no `roles` claim at all.
    assert_eq!(
        resolved(&caller),
        (vec!["reports:read", "reports:write"], vec![])
    );
    assert_eq!(caller.unknown_counts(), (0, 0));
    assert_eq!(caller.tenant(), Some(ENTRA_TENANT));

    let validated = v1.validate::<Entra>(&v1_token).await.unwrap();
    assert_eq!(
        validated.subject(),
        Some("02223b6b-aa1d-42d4-9ec0-1b2bb9194438")
    );
    let caller = Caller::from(validated);
    // The app role `Reports.Editor` is the role `editor`.
    assert_eq!(
        resolved(&caller),
        (vec!["reports:read", "reports:write"], vec!["editor"])
    );
    assert_eq!(caller.unknown_counts(), (0, 0));
    assert_eq!(caller.tenant(), Some(ENTRA_TENANT));

    // App-only: no `scp`; `Reports.Read.All` grants `reports:read`. `Reports.Archive` is in no
    // map: nothing, counted and reported as Entra spells it.
    let validated = v2
        .validate::<Entra>(&sign_entra(&key, &entra_app_only_token()))
        .await
        .unwrap();
    let caller = Caller::from(validated);
    assert_eq!(resolved(&caller), (vec!["reports:read"], vec![]));
    assert_eq!(caller.unknown_counts(), (1, 0));
    assert_eq!(
        unknown(&caller),
        [(NameKind::Role, "Reports.Archive".to_owned())]
    );

    // Each version's issuer and audience are its own.
    let err = refusal::<Entra>(&v2, &v1_token).await;
    assert!(matches!(err, TokenError::WrongIssuer), "{err}");
    let err = refusal::<Entra>(&v1, &v2_token).await;
    assert!(matches!(err, TokenError::WrongIssuer), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Auth0
// ---------------------------------------------------------------------------------------------

const AUTH0_ISS: &str = "https://my-domain.auth0.com/";
const AUTH0_API: &str = "https://reports.example.com/api";

/// The "Auth0 profile sample token" of Auth0's "Access Token Profiles" page, with the
/// `permissions` claim RBAC adds ("Enable Role-Based Access Control for APIs": Add Permissions
/// in the Access Token), a namespaced custom claim set by an Action ("Create Custom Claims"),
/// and the `org_id` of Auth0 Organizations.
fn auth0_access_token() -> Value {
    let now = now();
    json!({
        "iss": AUTH0_ISS,
        "sub": "auth0|123456",
        "aud": [AUTH0_API, "https://my-domain.auth0.com/userinfo"],
        "azp": "my_client_id",
        "exp": now + 86400,
        "iat": now,
        "scope": "openid profile read:reports",
        "org_id": "org_9ybsU1dN2dKfDkBi",
        "permissions": ["read:reports"],
        "https://reports.example.com/roles": ["Report Editor"]
    })
}

/// A machine-to-machine token (client credentials grant, Auth0's "Access Token Profiles": `sub`
/// is `<client id>@clients`, `gty` is `client-credentials`), with RBAC's `permissions` and no
/// `scope` claim (the client was granted no scope), no roles claim.
fn auth0_machine_token() -> Value {
    let now = now();
    json!({
        "iss": AUTH0_ISS,
        "sub": "SPbSFtBLv3wTXZZkXQaYvtaZHoxIn0m9@clients",
        "aud": AUTH0_API,
        "azp": "SPbSFtBLv3wTXZZkXQaYvtaZHoxIn0m9",
        "exp": now + 86400,
        "iat": now,
        "gty": "client-credentials",
        "permissions": ["read:reports", "write:reports", "delete:reports"]
    })
}

/// Auth0's API permissions (`read:reports`, the action first) and a role from an Action's
/// namespaced claim, as Auth0 spells them. With RBAC, `permissions` lists the API permissions
/// the caller holds (a user's `scope` repeats those it asked for), so the mapping lives on
/// `permissions` alone.
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
    let key = provider_key("auth0-rs256");
    let validator = Validator::builder()
        .algorithms([Algorithm::RS256])
        .key(key.verification_key()) // in production: .oidc_issuer(AUTH0_ISS)
        .issuer(AUTH0_ISS)
        .audience(AUTH0_API)
        .build()
        .unwrap();
    let validated = validator
        .validate::<Auth0>(&key.mint(&auth0_access_token()))
        .await
        .unwrap();
    assert_eq!(validated.subject(), Some("auth0|123456"));
    let caller = Caller::from(validated);
    assert_eq!(
        resolved(&caller),
        (vec!["reports:read", "reports:write"], vec!["editor"])
    );
    assert_eq!(caller.unknown_counts(), (0, 0));
    assert_eq!(caller.tenant(), Some("org_9ybsU1dN2dKfDkBi"));

    // The machine client: no `scope`, no roles claim; `delete:reports` is in no map.
    let validated = validator
        .validate::<Auth0>(&key.mint(&auth0_machine_token()))
        .await
        .unwrap();
    let caller = Caller::from(validated);
    assert_eq!(
        resolved(&caller),
        (vec!["reports:read", "reports:write"], vec![])
    );
    assert_eq!(caller.unknown_counts(), (0, 1));
    assert_eq!(
        unknown(&caller),
        [(NameKind::Permission, "delete:reports".to_owned())]
    );
    assert_eq!(caller.tenant(), None);
}

// ---------------------------------------------------------------------------------------------
// Amazon Cognito
// ---------------------------------------------------------------------------------------------

const COGNITO_ISS: &str = "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example";
const COGNITO_CLIENT: &str = "57cbishk4j24pabc1234567890";

/// The sample access token payload of "Understanding the access token" (Amazon Cognito
/// Developer Guide): no `aud`; the app client is `client_id`, the kind `token_use`.
fn cognito_access_token() -> Value {
    let now = now();
    json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "device_key": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "cognito:groups": ["viewer"],
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": now - 20,
        "iss": COGNITO_ISS,
        "exp": now + 3600,
        "iat": now,
        "origin_jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "client_id": COGNITO_CLIENT,
        "username": "janedoe@example.com"
    })
}

/// The sample ID token payload of "Understanding the identity (ID) token" (same guide), in
/// the same user pool: `aud` is the app client and `token_use` is "id".
fn cognito_id_token() -> Value {
    let now = now();
    json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "aud": COGNITO_CLIENT,
        "email_verified": true,
        "token_use": "id",
        "auth_time": now - 20,
        "iss": COGNITO_ISS,
        "cognito:username": "janedoe",
        "exp": now + 3600,
        "given_name": "Jane",
        "iat": now,
        "email": "janedoe@example.com",
        "jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "origin_jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    })
}

/// A client credentials token of the same user pool ("Scopes, M2M, and APIs with resource
/// servers", Amazon Cognito Developer Guide): `sub` is the app client, no `cognito:groups`, no
/// `username`, and the resource server's custom scopes `reports-api/<name>`.
fn cognito_machine_token(scope: &str) -> Value {
    let now = now();
    json!({
        "sub": COGNITO_CLIENT,
        "token_use": "access",
        "scope": scope,
        "auth_time": now,
        "iss": COGNITO_ISS,
        "exp": now + 3600,
        "iat": now,
        "version": 2,
        "jti": "bbbbbbbb-cccc-dddd-eeee-ffffffffffff",
        "client_id": COGNITO_CLIENT
    })
}

/// Groups named as the policy names its roles; the resource server `reports-api`'s custom
/// scopes mapped, one of them to a role.
#[derive(Debug, serde::Deserialize, authz_core::Claims)]
#[claims(policy = reports::Policy, ignore = ["aws.cognito.signin.user.admin"])]
struct Cognito {
    sub: String,
    #[serde(rename = "cognito:groups")]
    #[claims(roles)]
    groups: NameList,
    #[claims(
        scope,
        map = {
            "reports-api/read" => "reports:read",
            "reports-api/write" => "reports:write",
            "reports-api/admin" => role "editor",
        },
    )]
    scope: NameList,
    client_id: String,
}

fn cognito_validator(key: &TestKey) -> Validator {
    Validator::builder()
        .algorithms([Algorithm::RS256])
        // in production: .jwks_url(format!("{COGNITO_ISS}/.well-known/jwks.json"))
        .key(key.verification_key())
        .issuer(COGNITO_ISS)
        .audience(COGNITO_CLIENT)
        .audience_claim("client_id")
        .require_claim("token_use", "access")
        .build()
        .unwrap()
}

#[tokio::test]
async fn cognito() {
    let key = provider_key("1234example=");
    let validator = cognito_validator(&key);
    let token = sign_without_typ(&key, &cognito_access_token());
    let validated = validator.validate::<Cognito>(&token).await.unwrap();
    assert!(
        validated.audience().is_empty(),
        "bound by client_id, not aud"
    );
    assert_eq!(validated.claims.client_id, COGNITO_CLIENT);
    let caller = Caller::from(validated);
    assert_eq!(
        caller.subject(),
        Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    );
    assert_eq!(resolved(&caller), (vec!["reports:read"], vec!["viewer"]));
    assert_eq!(caller.unknown_counts(), (0, 0));

    // Machine clients: custom scopes, no groups. `reports-api/admin` grants the role `editor`.
    for (scope, expected) in [
        ("reports-api/read", (vec!["reports:read"], vec![])),
        (
            "reports-api/read reports-api/write",
            (vec!["reports:read", "reports:write"], vec![]),
        ),
        (
            "reports-api/admin",
            (vec!["reports:read", "reports:write"], vec!["editor"]),
        ),
    ] {
        let token = sign_without_typ(&key, &cognito_machine_token(scope));
        let caller = Caller::from(validator.validate::<Cognito>(&token).await.unwrap());
        assert_eq!(resolved(&caller), expected, "{scope}");
        assert_eq!(caller.unknown_counts(), (0, 0), "{scope}");
        assert_eq!(caller.subject(), Some(COGNITO_CLIENT));
    }
    // A scope of the resource server that no map lists: nothing, and counted.
    let token = sign_without_typ(&key, &cognito_machine_token("reports-api/purge"));
    let caller = Caller::from(validator.validate::<Cognito>(&token).await.unwrap());
    assert_eq!(resolved(&caller), (vec![], vec![]));
    assert_eq!(
        unknown(&caller),
        [(NameKind::Permission, "reports-api/purge".to_owned())]
    );
}

/// Each way a Cognito token is refused by a validator bound with
/// `audience_claim("client_id")` and `require_claim("token_use", "access")`, and what the
/// refusal says (never a claim value).
#[tokio::test]
async fn cognito_refusals() {
    let key = provider_key("1234example=");
    let validator = cognito_validator(&key);
    let refuse = |claims: Value| {
        let token = sign_without_typ(&key, &claims);
        let validator = validator.clone();
        async move { refusal::<Cognito>(&validator, &token).await }
    };

    // Another app client of the same user pool.
    let mut claims = cognito_access_token();
    claims["client_id"] = json!("3n4b5urk1ft4fl3mg5e62d9ado");
    let err = refuse(claims).await;
    assert!(matches!(err, TokenError::WrongAudience), "{err}");
    assert!(!err.to_string().contains("3n4b5urk1ft4fl3mg5e62d9ado"));

    // No `aud` and no `client_id`: nothing binds the token to this API.
    let mut claims = cognito_access_token();
    claims.as_object_mut().unwrap().remove("client_id");
    let err = refuse(claims).await;
    assert!(matches!(err, TokenError::WrongAudience), "{err}");

    // `client_id` of the wrong JSON type.
    let mut claims = cognito_access_token();
    claims["client_id"] = json!([COGNITO_CLIENT]);
    let err = refuse(claims).await;
    assert!(matches!(err, TokenError::ClaimType("client_id")), "{err}");

    // A token that has `aud` is bound by `aud` alone: naming another service, it is refused
    // whatever its `client_id`.
    let mut claims = cognito_access_token();
    claims["aud"] = json!("billing-api");
    let err = refuse(claims).await;
    assert!(matches!(err, TokenError::WrongAudience), "{err}");

    // No `token_use`.
    let mut claims = cognito_access_token();
    claims.as_object_mut().unwrap().remove("token_use");
    let err = refuse(claims).await;
    assert!(
        matches!(err, TokenError::MissingClaim("token_use")),
        "{err}"
    );

    // The user pool's ID token: its `aud` is this app client, so only `token_use` tells it
    // from an access token.
    let err = refuse(cognito_id_token()).await;
    assert!(matches!(err, TokenError::ClaimValue("token_use")), "{err}");
    assert_eq!(err.description(), "the token's claims are invalid");
    assert!(!err.to_string().contains("\"id\""));

    // `token_use` of the wrong JSON type.
    let mut claims = cognito_access_token();
    claims["token_use"] = json!(["access"]);
    let err = refuse(claims).await;
    assert!(matches!(err, TokenError::ClaimType("token_use")), "{err}");

    // A claim named twice is refused, not read as either value.
    let payload = cognito_access_token().to_string();
    let twice = payload.replacen('{', r#"{"token_use":"id","#, 1);
    let token = key.sign_segments(
        &b64(&json!({ "kid": key.kid(), "alg": "RS256" }).to_string()),
        &b64(&twice),
    );
    let err = refusal::<Cognito>(&validator, &token).await;
    assert!(matches!(err, TokenError::Json { .. }), "{err}");
}

fn b64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[test]
fn audience_claim_and_require_claim_configuration() {
    let key = provider_key("k");
    let builder = || {
        Validator::builder()
            .algorithms([Algorithm::RS256])
            .key(key.verification_key())
            .issuer(COGNITO_ISS)
    };
    let limit =
        |result: Result<Validator, ConfigError>| matches!(result, Err(ConfigError::Limit(_)));
    // The audience claim replaces `aud` only for comparison with configured audiences.
    assert!(limit(
        builder()
            .dangerously_accept_any_audience()
            .audience_claim("client_id")
            .build()
    ));
    // Registered claims have their own settings.
    assert!(limit(
        builder()
            .audience(COGNITO_CLIENT)
            .audience_claim("aud")
            .build()
    ));
    assert!(limit(
        builder()
            .audience(COGNITO_CLIENT)
            .require_claim("iss", COGNITO_ISS)
            .build()
    ));
    assert!(limit(
        builder()
            .audience(COGNITO_CLIENT)
            .require_claim("", "x")
            .build()
    ));
    // One value per claim.
    assert!(limit(
        builder()
            .audience(COGNITO_CLIENT)
            .require_claim("token_use", "access")
            .require_claim("token_use", "id")
            .build()
    ));
    let same_twice = builder()
        .audience(COGNITO_CLIENT)
        .audience_claim("client_id")
        .require_claim("token_use", "access")
        .require_claim("token_use", "access")
        .build()
        .unwrap();
    let debug = format!("{same_twice:?}");
    assert!(
        debug.contains("client_id") && debug.contains("token_use"),
        "{debug}"
    );
}

// ---------------------------------------------------------------------------------------------
// Okta
// ---------------------------------------------------------------------------------------------

const OKTA_ISS: &str = "https://example.okta.com/oauth2/default";
const OKTA_API: &str = "https://reports.example.com/api";

/// The access token payload of Okta's "OpenID Connect & OAuth 2.0 API" reference (custom
/// authorization server): `scp` is an array. `groups` is the claim "Add a Groups claim for a
/// custom authorization server" adds (filter `.*`, so Okta's `Everyone` group comes along).
fn okta_access_token() -> Value {
    let now = now();
    json!({
        "ver": 1,
        "jti": "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE",
        "iss": OKTA_ISS,
        "aud": OKTA_API,
        "sub": "00ujmkLgagxeRrAg20g3",
        "iat": now,
        "exp": now + 3600,
        "cid": "nmdP1fcyvdVO11AL7ECm",
        "uid": "00ujmkLgagxeRrAg20g3",
        "scp": ["openid", "email", "reports.read"],
        "auth_time": now - 20,
        "groups": ["Everyone", "Report Admins"]
    })
}

/// A client credentials token of the same authorization server (Okta's "Implement
/// authorization by grant type: Client Credentials"): `sub` and `cid` are the client, no
/// `uid`, no `groups`.
fn okta_machine_token() -> Value {
    let now = now();
    json!({
        "ver": 1,
        "jti": "AT.4fBq2ZXLpAwS0qM3v7n0yq8kT6uHc1rJd9eGxWbYi2o",
        "iss": OKTA_ISS,
        "aud": OKTA_API,
        "iat": now,
        "exp": now + 3600,
        "cid": "0oa5lyq2fhBqM2aKh5d7",
        "scp": ["reports.read", "reports.export"],
        "sub": "0oa5lyq2fhBqM2aKh5d7"
    })
}

/// Okta's dotted custom scopes and an administrator's group names, as Okta spells them.
#[derive(Debug, serde::Deserialize, authz_core::Claims)]
#[claims(policy = reports::Policy, ignore = ["Everyone"])]
struct Okta {
    sub: String,
    #[claims(scope, map = { "reports.read" => "reports:read", "reports.write" => "reports:write" })]
    scp: NameList,
    #[claims(roles, map = { "Report Viewers" => "viewer", "Report Admins" => "editor" })]
    groups: NameList,
}

#[tokio::test]
async fn okta() {
    let key = provider_key("45js03w0djwedsw");
    let validator = Validator::builder()
        .algorithms([Algorithm::RS256])
        .key(key.verification_key()) // in production: .oidc_issuer(OKTA_ISS)
        .issuer(OKTA_ISS)
        .audience(OKTA_API)
        .build()
        .unwrap();
    let token = sign_without_typ(&key, &okta_access_token());
    let validated = validator.validate::<Okta>(&token).await.unwrap();
    assert_eq!(validated.subject(), Some("00ujmkLgagxeRrAg20g3"));
    let caller = Caller::from(validated);
    // The group `Report Admins` is the role `editor`.
    assert_eq!(
        resolved(&caller),
        (vec!["reports:read", "reports:write"], vec!["editor"])
    );
    assert_eq!(caller.unknown_counts(), (0, 0));

    // The machine client: no groups; `reports.export` is in no map.
    let token = sign_without_typ(&key, &okta_machine_token());
    let caller = Caller::from(validator.validate::<Okta>(&token).await.unwrap());
    assert_eq!(resolved(&caller), (vec!["reports:read"], vec![]));
    assert_eq!(caller.unknown_counts(), (0, 1));
    assert_eq!(
        unknown(&caller),
        [(NameKind::Permission, "reports.export".to_owned())]
    );
}

// ---------------------------------------------------------------------------------------------
// Two providers at once
// ---------------------------------------------------------------------------------------------

/// One API behind Entra ID and Okta at once (a migration, or a customer's own provider beside
/// yours): one validator trusts both issuers, one struct reads both tokens. `scp` is a string
/// at Entra and an array at Okta, which `NameList` reads alike; each provider's spelling of
/// `reports:read` is mapped, and each one's name for the editors.
#[derive(Debug, serde::Deserialize, authz_core::Claims)]
#[claims(policy = reports::Policy, ignore = ["Everyone"])]
struct Workforce {
    sub: String,
    #[claims(
        scope,
        map = {
            "Reports.Read" => "reports:read",   // Entra ID
            "reports.read" => "reports:read",   // Okta
            "Reports.Write" => "reports:write", // Entra ID
        },
    )]
    scp: NameList,
    /// Entra ID's app roles.
    #[claims(roles, map = { "Reports.Editor" => "editor" })]
    roles: NameList,
    /// Okta's groups.
    #[claims(roles, map = { "Report Admins" => "editor" })]
    groups: NameList,
}

#[tokio::test]
async fn two_providers_with_their_own_names() {
    let entra_key = provider_key("i6lGk3FZzxRcUb2C3nEQ7syHJlY");
    let okta_key = provider_key("45js03w0djwedsw");
    let validator = Validator::builder()
        .algorithms([Algorithm::RS256])
        .trust(authz_core::Issuer::new(entra_v2_issuer()).key(entra_key.verification_key()))
        .trust(authz_core::Issuer::new(OKTA_ISS).key(okta_key.verification_key()))
        .audience(ENTRA_API)
        .audience(OKTA_API)
        .build()
        .unwrap();

    // Entra: `scp` "Reports.Read Reports.Write", no app roles.
    let token = sign_entra(&entra_key, &entra_v2_access_token());
    let caller = Caller::from(validator.validate::<Workforce>(&token).await.unwrap());
    assert_eq!(
        resolved(&caller),
        (vec!["reports:read", "reports:write"], vec![])
    );
    assert_eq!(caller.unknown_counts(), (0, 0));

    // Okta: `scp` ["openid", "email", "reports.read"], the group `Report Admins`.
    let token = sign_without_typ(&okta_key, &okta_access_token());
    let caller = Caller::from(validator.validate::<Workforce>(&token).await.unwrap());
    assert_eq!(
        resolved(&caller),
        (vec!["reports:read", "reports:write"], vec!["editor"])
    );
    assert_eq!(caller.unknown_counts(), (0, 0));

    // Okta's machine client: its `reports.read` is the same permission as Entra's
    // `Reports.Read`; `reports.export` is unknown.
    let token = sign_without_typ(&okta_key, &okta_machine_token());
    let caller = Caller::from(validator.validate::<Workforce>(&token).await.unwrap());
    assert_eq!(resolved(&caller), (vec!["reports:read"], vec![]));
    assert_eq!(caller.unknown_counts(), (0, 1));
}

/// A claims type is resolved under any policy: a map checked against `reports` gives, under
/// another policy, the permission of the same name when that policy declares it, and
/// otherwise counts the provider's name as unknown.
#[test]
fn a_map_under_another_policy_goes_by_name() {
    authz_core::policy! {
        /// Declares `reports:read` only, in another position.
        pub mod archive {
            permissions { "archive:list", "reports:read" }
            roles { "viewer" = ["reports:read"] }
        }
    }
    let token: Okta = serde_json::from_value(json!({
        "sub": "x",
        "scp": ["reports.read", "reports.write"],
        "groups": ["Report Viewers", "Report Admins"],
    }))
    .unwrap();
    let resolution = token.resolve::<archive::Policy>();
    assert_eq!(resolution.permissions.to_string(), "reports:read");
    assert_eq!(
        resolution.roles.iter().map(Role::name).collect::<Vec<_>>(),
        ["viewer"]
    );
    assert_eq!(
        (resolution.unknown_roles, resolution.unknown_permissions),
        (1, 1)
    );
    let unknown: Vec<_> = token.unknown_names::<archive::Policy>().collect();
    assert_eq!(
        unknown,
        [
            (NameKind::Role, "Report Admins"),
            (NameKind::Permission, "reports.write")
        ]
    );
    // Under its own policy, every one of them is known.
    let own = token.resolve::<reports::Policy>();
    assert_eq!(own.permissions.to_string(), "reports:read reports:write");
    assert_eq!(token.unknown_names::<reports::Policy>().count(), 0);
}

/// The list claims of every struct above may be absent, `null`, `[]`, a string or an array.
#[test]
fn list_claims_may_be_absent_null_or_either_shape() {
    for (groups, roles) in [
        (json!(null), 0),
        (json!([]), 0),
        (json!("Report Admins"), 1),
        (json!(["Report Admins"]), 1),
    ] {
        let token: Okta =
            serde_json::from_value(json!({ "sub": "x", "groups": groups.clone() })).unwrap();
        assert_eq!(
            token.resolve::<reports::Policy>().roles.len(),
            roles,
            "{groups}"
        );
    }
    let token: Okta = serde_json::from_value(json!({ "sub": "x" })).unwrap();
    assert!(token.scp.is_empty() && token.groups.is_empty());
    // A string `scp` is split at spaces; one string of `groups` is one name.
    let token: Okta =
        serde_json::from_value(json!({ "sub": "x", "scp": "reports.read reports.write" })).unwrap();
    assert_eq!(
        token.permissions::<reports::Policy>().to_string(),
        "reports:read reports:write"
    );
    // Any other JSON type is a malformed claim.
    for bad in [json!(1), json!({ "a": 1 }), json!([1]), json!(true)] {
        assert!(
            serde_json::from_value::<Okta>(json!({ "sub": "x", "groups": bad.clone() })).is_err(),
            "{bad}"
        );
    }
}
