// Keycloak-shaped claims: realm and client roles at paths inside JSON objects, a tenant, and a
// name that is neither role nor permission.
use authz_core::Claims as _;

authz_core::policy! {
    pub mod reports {
        permissions { "reports:read", "reports:write" }
        roles { "viewer" = ["reports:read"], "editor" = "viewer" + ["reports:write"] }
    }
}

#[derive(serde::Deserialize, authz_core::Claims)]
#[claims(ignore = ["uma_authorization"])]
struct Keycloak {
    sub: String,
    #[claims(roles, at = "roles")]
    realm_access: Option<authz_core::claims::Nested>,
    #[claims(roles, at = "reports-api.roles")]
    resource_access: Option<authz_core::claims::Nested>,
    #[claims(scope)]
    scope: String,
    #[claims(tenant)]
    org: Option<String>,
}

fn main() {
    let token: Keycloak = serde_json::from_str(
        r#"{"sub": "ann", "scope": "openid profile",
            "realm_access": {"roles": ["viewer", "uma_authorization"]},
            "resource_access": {"reports-api": {"roles": ["editor"]}},
            "org": "acme"}"#,
    )
    .unwrap();
    let resolved = token.resolve::<reports::Policy>();
    assert!(resolved.permissions.contains(reports::Permission::ReportsWrite));
    assert_eq!((resolved.unknown_roles, resolved.unknown_permissions), (0, 0));
    assert_eq!(token.tenant(), Some("acme"));
}
