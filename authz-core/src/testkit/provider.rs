//! Access tokens laid out as identity providers issue them, with the caller's names in the
//! claims each provider uses (`authz-core/tests/providers.rs` has the documented samples these
//! layouts follow, and `docs/guide.md` the claims structs and validator settings that read
//! them).

use serde_json::{Map, Value, json};

use super::tokens::{TestKey, now, random_id};

/// The calling client (`azp`, `cid`) every provider-shaped token names.
const TEST_CLIENT: &str = "authz-test-client";

/// An identity provider whose access-token layout [`ProviderClaims`] reproduces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// Keycloak: realm roles in `realm_access.roles`, client roles in
    /// `resource_access.<client>.roles`, `scope` a space-separated string, the payload `typ`
    /// `"Bearer"` (validate with `require_claim("typ", "Bearer")`), `aud` the API and
    /// `account`. Header `typ: JWT`.
    Keycloak,
    /// Microsoft Entra ID, v2.0 access tokens: app roles in `roles`, delegated scopes in `scp`
    /// (a space-separated string), the subject in `oid` (`sub` is pairwise: another value per
    /// application), the tenant in `tid`, `ver` `"2.0"`. Header `typ: JWT` with `x5t`.
    EntraId,
    /// Auth0: API permissions in `permissions`, `scope` a space-separated string, roles in the
    /// namespaced claim an Action sets ([`ProviderClaims::roles_claim`]), the organization in
    /// `org_id`. Header `typ: JWT`.
    Auth0,
    /// Amazon Cognito access tokens: groups in `cognito:groups`, `scope` a space-separated
    /// string, the app client in `client_id` and no `aud` (validate with
    /// `audience_claim("client_id")`), `token_use` `"access"` (`require_claim("token_use",
    /// "access")`). Header without `typ`.
    Cognito,
    /// Okta (custom authorization server): groups in `groups`, scopes in `scp` (an array),
    /// `cid` and `uid`, `ver` 1. Header without `typ`.
    Okta,
}

/// The claims of an access token shaped like `provider`'s, for a subject and the names
/// (roles, scopes, permissions) as that provider spells them; [`mint`](Self::mint) signs them
/// under the provider's header. Every token lives 5 minutes from now and has a fresh `jti`.
///
/// ```
/// use authz_core::claims::{NameList, Nested};
/// use authz_core::testkit::{Provider, ProviderClaims, TestKey};
/// use authz_core::{Algorithm, Authenticated, Permission, Validator};
///
/// authz_core::policy! {
///     pub mod reports {
///         permissions { "reports:read", "reports:write" }
///         roles { "viewer" = ["reports:read"], "editor" = ["reports:read", "reports:write"] }
///     }
/// }
///
/// #[derive(serde::Deserialize, authz_core::Claims)]
/// #[claims(policy = reports::Policy)]
/// struct Keycloak {
///     sub: String,
///     #[claims(roles, at = "roles")]
///     realm_access: Nested,
///     #[claims(roles, at = "reports-api.roles", map = { "manage-reports" => "editor" })]
///     resource_access: Nested,
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let key = TestKey::generate(Algorithm::RS256, "kc-1");
/// let issuer = "https://sso.example.com/realms/reports";
/// let validator = Validator::builder()
///     .algorithms([Algorithm::RS256])
///     .key(key.verification_key())
///     .issuer(issuer)
///     .audience("reports-api")
///     .require_claim("typ", "Bearer")
///     .build()
///     .unwrap();
///
/// let token = ProviderClaims::new(Provider::Keycloak, issuer, "reports-api", "alice")
///     .client_roles("reports-api", ["manage-reports"])
///     .mint(&key);
/// let caller: Authenticated<reports::Policy, Keycloak> =
///     validator.validate(&token).await.unwrap().into();
/// assert_eq!(caller.permissions().to_string(), "reports:read reports:write");
///
/// // Without a role: authenticated, but nothing granted.
/// let token = ProviderClaims::new(Provider::Keycloak, issuer, "reports-api", "bob").mint(&key);
/// let caller: Authenticated<reports::Policy, Keycloak> =
///     validator.validate(&token).await.unwrap().into();
/// assert!(caller.permissions().is_empty());
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct ProviderClaims {
    provider: Provider,
    issuer: String,
    audience: String,
    subject: String,
    roles: Vec<String>,
    client_roles: Vec<(String, Vec<String>)>,
    scopes: Vec<String>,
    permissions: Vec<String>,
    tenant: Option<String>,
    roles_claim: Option<String>,
    extra: Map<String, Value>,
}

fn strings<I>(names: I) -> Vec<String>
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    names.into_iter().map(Into::into).collect()
}

/// `scope`, or the provider's default when the token names none.
fn or_default<'a>(scope: &'a str, default: &'a str) -> &'a str {
    if scope.is_empty() { default } else { scope }
}

impl ProviderClaims {
    /// An access token of `provider`, issued by `issuer` for the API `audience` (Cognito: the
    /// app client, in `client_id`) to `subject` (Entra ID: the `oid`), with no names yet.
    ///
    /// ```
    /// use authz_core::testkit::{Provider, ProviderClaims};
    ///
    /// let iss = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0";
    /// let claims = ProviderClaims::new(Provider::EntraId, iss, "api-client-id", "alice").build();
    /// assert_eq!((&claims["oid"], &claims["ver"]), (&"alice".into(), &"2.0".into()));
    /// assert_eq!(claims["tid"], "72f988bf-86f1-41af-91ab-2d7cd011db47");
    /// assert_ne!(claims["sub"], "alice"); // pairwise
    /// ```
    pub fn new(provider: Provider, issuer: &str, audience: &str, subject: &str) -> Self {
        Self {
            provider,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            subject: subject.to_owned(),
            roles: Vec::new(),
            client_roles: Vec::new(),
            scopes: Vec::new(),
            permissions: Vec::new(),
            tenant: None,
            roles_claim: None,
            extra: Map::new(),
        }
    }

    /// The provider's role names: Keycloak's realm roles (`realm_access.roles`), Entra ID's app
    /// roles (`roles`), Auth0's roles (in [`roles_claim`](Self::roles_claim)), Cognito's groups
    /// (`cognito:groups`), Okta's groups (`groups`).
    ///
    /// ```
    /// use authz_core::testkit::{Provider, ProviderClaims};
    ///
    /// let iss = "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example";
    /// let claims = ProviderClaims::new(Provider::Cognito, iss, "app-client", "alice")
    ///     .roles(["viewer"])
    ///     .build();
    /// assert_eq!(claims["cognito:groups"], serde_json::json!(["viewer"]));
    /// ```
    #[must_use]
    pub fn roles<I>(mut self, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.roles.extend(strings(names));
        self
    }

    /// Keycloak's client roles of `client` (`resource_access.<client>.roles`).
    ///
    /// # Panics
    /// For another provider: none has client roles (give them as [`roles`](Self::roles)).
    ///
    /// ```
    /// use authz_core::testkit::{Provider, ProviderClaims};
    ///
    /// let claims = ProviderClaims::new(Provider::Keycloak, "https://sso/realms/r", "api", "alice")
    ///     .client_roles("api", ["manage-reports"])
    ///     .build();
    /// let roles = &claims["resource_access"]["api"]["roles"];
    /// assert_eq!(roles, &serde_json::json!(["manage-reports"]));
    /// ```
    #[must_use]
    pub fn client_roles<I>(mut self, client: &str, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        assert!(
            self.provider == Provider::Keycloak,
            "client roles are Keycloak's; give {:?}'s role names with `roles(..)`",
            self.provider
        );
        self.client_roles.push((client.to_owned(), strings(names)));
        self
    }

    /// The granted scopes: `scope` (a space-separated string) at Keycloak, Auth0 and Cognito,
    /// `scp` at Entra ID (a string) and Okta (an array).
    ///
    /// ```
    /// use authz_core::testkit::{Provider, ProviderClaims};
    ///
    /// let okta = ProviderClaims::new(Provider::Okta, "https://o/oauth2/default", "api", "alice")
    ///     .scopes(["openid", "reports.read"])
    ///     .build();
    /// assert_eq!(okta["scp"], serde_json::json!(["openid", "reports.read"]));
    /// let auth0 = ProviderClaims::new(Provider::Auth0, "https://a.auth0.com/", "api", "alice")
    ///     .scopes(["openid", "read:reports"])
    ///     .build();
    /// assert_eq!(auth0["scope"], "openid read:reports");
    /// ```
    #[must_use]
    pub fn scopes<I>(mut self, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.scopes.extend(strings(names));
        self
    }

    /// The `permissions` claim: Auth0's API permissions (with RBAC and "Add Permissions in the
    /// Access Token"). Other providers send no such claim unless a mapper adds it; it is set
    /// for them all the same.
    ///
    /// ```
    /// use authz_core::testkit::{Provider, ProviderClaims};
    ///
    /// let claims = ProviderClaims::new(Provider::Auth0, "https://a.auth0.com/", "api", "m2m")
    ///     .permissions(["read:reports"])
    ///     .build();
    /// assert_eq!(claims["permissions"], serde_json::json!(["read:reports"]));
    /// ```
    #[must_use]
    pub fn permissions<I>(mut self, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.permissions.extend(strings(names));
        self
    }

    /// The tenant: Entra ID's `tid` (by default the tenant id in an issuer
    /// `https://login.microsoftonline.com/<tid>/v2.0`), Auth0's organization `org_id`; the
    /// other providers have no tenant claim of their own, and get `tenant` (what a mapper
    /// would add; use [`claim`](Self::claim) for another name).
    ///
    /// ```
    /// use authz_core::testkit::{Provider, ProviderClaims};
    ///
    /// let claims = ProviderClaims::new(Provider::Auth0, "https://a.auth0.com/", "api", "alice")
    ///     .tenant("org_1")
    ///     .build();
    /// assert_eq!(claims["org_id"], "org_1");
    /// ```
    #[must_use]
    pub fn tenant(mut self, tenant: &str) -> Self {
        self.tenant = Some(tenant.to_owned());
        self
    }

    /// The claim Auth0's roles go in: Auth0 has none of its own, an Action adds a namespaced
    /// one (`https://<namespace>/roles`). Needed for Auth0 roles.
    ///
    /// ```
    /// use authz_core::testkit::{Provider, ProviderClaims};
    ///
    /// let claims = ProviderClaims::new(Provider::Auth0, "https://a.auth0.com/", "api", "alice")
    ///     .roles(["Report Editor"])
    ///     .roles_claim("https://reports.example.com/roles")
    ///     .build();
    /// let roles = &claims["https://reports.example.com/roles"];
    /// assert_eq!(roles, &serde_json::json!(["Report Editor"]));
    /// ```
    #[must_use]
    pub fn roles_claim(mut self, name: &str) -> Self {
        self.roles_claim = Some(name.to_owned());
        self
    }

    /// Sets any claim, replacing the layout's value (`Value::Null` removes it): a custom
    /// claim, or a refusal to test (`("token_use", "id".into())`).
    ///
    /// ```
    /// use authz_core::testkit::{Provider, ProviderClaims};
    /// use serde_json::Value;
    ///
    /// let claims = ProviderClaims::new(Provider::Keycloak, "https://sso/realms/r", "api", "alice")
    ///     .claim("typ", "ID".into()) // a Keycloak ID token
    ///     .claim("sid", Value::Null)
    ///     .build();
    /// assert_eq!(claims["typ"], "ID");
    /// assert!(claims.get("sid").is_none());
    /// ```
    #[must_use]
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.extra.insert(name.to_owned(), value);
        self
    }

    /// The payload.
    ///
    /// # Panics
    /// For Auth0 roles without a [`roles_claim`](Self::roles_claim) (test code only).
    ///
    /// ```
    /// use authz_core::testkit::{Provider, ProviderClaims};
    ///
    /// let iss = "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example";
    /// let claims = ProviderClaims::new(Provider::Cognito, iss, "app-client", "alice").build();
    /// // Cognito's access tokens name the app client in `client_id` and have no `aud`.
    /// assert_eq!(claims["client_id"], "app-client");
    /// assert_eq!(claims["token_use"], "access");
    /// assert!(claims.get("aud").is_none());
    /// ```
    #[allow(clippy::panic)]
    pub fn build(&self) -> Value {
        let now = now();
        let scope = self.scopes.join(" ");
        let mut claims = match self.provider {
            Provider::Keycloak => {
                let mut claims = json!({
                    "exp": now + 300,
                    "iat": now,
                    "auth_time": now,
                    "jti": random_id(),
                    "iss": self.issuer,
                    "aud": [self.audience, "account"],
                    "sub": self.subject,
                    "typ": "Bearer",
                    "azp": TEST_CLIENT,
                    "sid": random_id(),
                    "acr": "1",
                    "scope": or_default(&scope, "profile email"),
                    "preferred_username": self.subject,
                });
                if !self.roles.is_empty() {
                    claims["realm_access"] = json!({ "roles": self.roles });
                }
                if !self.client_roles.is_empty() {
                    let clients: Map<String, Value> = self
                        .client_roles
                        .iter()
                        .map(|(client, roles)| (client.clone(), json!({ "roles": roles })))
                        .collect();
                    claims["resource_access"] = Value::Object(clients);
                }
                claims
            }
            Provider::EntraId => {
                let tenant = self.tenant.clone().unwrap_or_else(|| {
                    self.issuer
                        .strip_prefix("https://login.microsoftonline.com/")
                        .and_then(|rest| rest.split('/').next())
                        .unwrap_or("00000000-0000-0000-0000-000000000000")
                        .to_owned()
                });
                let mut claims = json!({
                    "aud": self.audience,
                    "iss": self.issuer,
                    "iat": now,
                    "nbf": now,
                    "exp": now + 300,
                    "azp": TEST_CLIENT,
                    "azpacr": "0",
                    "oid": self.subject,
                    "sub": format!("pairwise-{}", self.subject),
                    "tid": tenant,
                    "uti": random_id(),
                    "ver": "2.0",
                });
                if !scope.is_empty() {
                    claims["scp"] = json!(scope);
                }
                if !self.roles.is_empty() {
                    claims["roles"] = json!(self.roles);
                }
                claims
            }
            Provider::Auth0 => {
                let mut claims = json!({
                    "iss": self.issuer,
                    "sub": self.subject,
                    "aud": self.audience,
                    "azp": TEST_CLIENT,
                    "exp": now + 300,
                    "iat": now,
                    "jti": random_id(),
                });
                if !scope.is_empty() {
                    claims["scope"] = json!(scope);
                }
                if let Some(org) = &self.tenant {
                    claims["org_id"] = json!(org);
                }
                if !self.roles.is_empty() {
                    let Some(name) = &self.roles_claim else {
                        panic!(
                            "Auth0 sends roles in a claim an Action names: call `roles_claim(\"https://<namespace>/roles\")`"
                        );
                    };
                    claims[name.as_str()] = json!(self.roles);
                }
                claims
            }
            Provider::Cognito => {
                let mut claims = json!({
                    "sub": self.subject,
                    "token_use": "access",
                    "scope": or_default(&scope, "aws.cognito.signin.user.admin"),
                    "auth_time": now,
                    "iss": self.issuer,
                    "exp": now + 300,
                    "iat": now,
                    "jti": random_id(),
                    "origin_jti": random_id(),
                    "client_id": self.audience,
                    "username": self.subject,
                });
                if !self.roles.is_empty() {
                    claims["cognito:groups"] = json!(self.roles);
                }
                claims
            }
            Provider::Okta => {
                let mut claims = json!({
                    "ver": 1,
                    "jti": format!("AT.{}", random_id()),
                    "iss": self.issuer,
                    "aud": self.audience,
                    "sub": self.subject,
                    "iat": now,
                    "exp": now + 300,
                    "cid": TEST_CLIENT,
                    "uid": self.subject,
                    "scp": self.scopes,
                });
                if !self.roles.is_empty() {
                    claims["groups"] = json!(self.roles);
                }
                claims
            }
        };
        if !self.permissions.is_empty() {
            claims["permissions"] = json!(self.permissions);
        }
        if let Some(tenant) = &self.tenant
            && matches!(
                self.provider,
                Provider::Keycloak | Provider::Cognito | Provider::Okta
            )
        {
            claims["tenant"] = json!(tenant);
        }
        if let Value::Object(map) = &mut claims {
            for (name, value) in &self.extra {
                if value.is_null() {
                    map.remove(name);
                } else {
                    map.insert(name.clone(), value.clone());
                }
            }
        }
        claims
    }

    /// The provider's header for `key`: `alg` and `kid`, with `typ: JWT` at Keycloak, Entra
    /// ID (also `x5t`) and Auth0, without `typ` at Cognito and Okta.
    ///
    /// ```
    /// use authz_core::testkit::{Provider, ProviderClaims, TestKey};
    ///
    /// let key = TestKey::generate(authz_core::Algorithm::RS256, "k1");
    /// let okta = ProviderClaims::new(Provider::Okta, "https://o/oauth2/default", "api", "alice");
    /// assert!(okta.header(&key).get("typ").is_none());
    /// let iss = "https://login.microsoftonline.com/t/v2.0";
    /// let entra = ProviderClaims::new(Provider::EntraId, iss, "api", "alice");
    /// assert_eq!(entra.header(&key)["x5t"], "k1");
    /// ```
    pub fn header(&self, key: &TestKey) -> Value {
        let (alg, kid) = (key.algorithm().name(), key.kid());
        match self.provider {
            Provider::Keycloak | Provider::Auth0 => json!({ "alg": alg, "typ": "JWT", "kid": kid }),
            Provider::EntraId => json!({ "typ": "JWT", "alg": alg, "kid": kid, "x5t": kid }),
            Provider::Cognito | Provider::Okta => json!({ "kid": kid, "alg": alg }),
        }
    }

    /// The token: [`build`](Self::build) signed by `key` under [`header`](Self::header).
    ///
    /// ```
    /// use authz_core::testkit::{Provider, ProviderClaims, TestKey, tamper};
    ///
    /// let key = TestKey::generate(authz_core::Algorithm::RS256, "k1");
    /// let token = ProviderClaims::new(Provider::Okta, "https://o/oauth2/default", "api", "alice")
    ///     .roles(["Report Admins"])
    ///     .mint(&key);
    /// let payload = tamper::decode(token.split('.').nth(1).unwrap()).unwrap();
    /// assert_eq!(payload["groups"], serde_json::json!(["Report Admins"]));
    /// ```
    ///
    /// # Panics
    /// As [`build`](Self::build).
    pub fn mint(&self, key: &TestKey) -> String {
        key.sign(&self.header(key), &self.build())
    }
}
