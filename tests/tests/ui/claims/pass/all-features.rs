//! Every feature of `#[derive(Claims)]`, resolved against a policy.

use std::borrow::Cow;
use std::collections::BTreeSet;

use authz_core::{Claims, claims::RegisteredClaims};

authz_core::policy! {
    /// Reports.
    pub mod reports {
        permissions { "reports:read", "reports:write", "reports:delete", "reports:read_any" }
        roles {
            "viewer" = ["reports:read"],
            "editor" = "viewer" + ["reports:write"],
            "admin" = "editor" + ["reports:delete", "reports:read_any"],
        }
    }
}

#[derive(serde::Deserialize, Claims)]
#[serde(rename_all = "camelCase")]
struct Azure<'a> {
    #[claims(subject)]
    oid: Cow<'a, str>,
    #[serde(rename = "sub")]
    pairwise_subject: String,
    #[claims(roles)]
    roles: Option<Vec<String>>,
    #[claims(roles)]
    groups: BTreeSet<String>,
    #[claims(scope)]
    scp: Option<String>,
    #[claims(permissions)]
    app_permissions: Option<Box<[String]>>,
    #[serde(rename = "exp")]
    expires_at: u64,
    nbf: u64,
    aud: String,
}

#[derive(Claims)]
struct Generic<T> {
    sub: Option<String>,
    #[claims(permissions)]
    permissions: Vec<String>,
    extra: T,
}

fn main() {
    let token: Azure<'_> = serde_json::from_str(
        r#"{"oid":"o-1","sub":"pairwise","roles":["viewer","ghost"],"groups":["editor"],
            "scp":"reports:delete openid","appPermissions":["reports:read_any"],
            "exp":10,"nbf":1,"aud":"api"}"#,
    )
    .unwrap();
    assert_eq!(token.subject(), Some("o-1"));
    let resolved = token.resolve::<reports::Policy>();
    assert_eq!(resolved.permissions, reports::Role::Admin.grants());
    // `ghost` is an unknown role; `openid` is an OpenID Connect scope, not an unknown permission.
    assert_eq!((resolved.unknown_roles, resolved.unknown_permissions), (1, 0));
    assert_eq!(
        Azure::REGISTERED,
        RegisteredClaims::EXP
            .union(RegisteredClaims::NBF)
            .union(RegisteredClaims::AUD)
            .union(RegisteredClaims::SUB)
    );
    let unknown: Vec<_> = token.unknown_names::<reports::Policy>().map(|(_, n)| n).collect();
    assert_eq!(unknown, ["ghost"]);

    let generic = Generic { sub: None, permissions: vec!["reports:read".into()], extra: 1u8 };
    assert_eq!(generic.subject(), None);
    assert_eq!(generic.permissions::<reports::Policy>().len(), 1);
    assert_eq!(generic.extra, 1);
}
