//! One policy in three engines, for `benches/peers.rs` and the HTTP comparison in `http.sh`.
//!
//! The policy: `viewer` < `editor` < `admin` over `reports:read`, `reports:write`,
//! `reports:delete` and `reports:read_any`; reading a report needs `reports:read` and either
//! owning it or `reports:read_any` (the owner check of `reports-api`).
//!
//! - authz: [`reports`] (the `policy!` macro), decided with [`Requirement::is_met`] on the
//!   permission set resolved once from the claims, and [`Authenticated::check_owner`].
//! - casbin-rs: [`CASBIN_MODEL`], RBAC with role inheritance (`g`) and the owner condition in the
//!   matcher. The request carries the role from the token: `(sub, role, owner, act)`.
//! - cedar-policy: [`CEDAR_POLICIES`], schema-less; roles are entities whose parents give the
//!   inheritance, the principal's parents are its roles, and reports have an `owner` attribute.
//!
//! [`Case::expected`] holds the answers all three must give; `tests/agree.rs` checks them.
//!
//! [`Requirement::is_met`]: authz_core::Requirement::is_met
//! [`Authenticated::check_owner`]: authz_core::Authenticated::check_owner

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::time::Duration;

use authz_core::{Authenticated, Claims, HasOwner, Requirement};
use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityUid, PolicySet, Request,
    RestrictedExpression,
};

pub mod jwt_authorizer_app;
pub mod store;

authz_core::policy! {
    /// The reports policy, as in `reports-api` without its `users:revoke` permission.
    pub mod reports {
        permissions {
            /// Read a report one owns.
            "reports:read",
            /// Create reports.
            "reports:write",
            /// Delete reports.
            "reports:delete",
            /// Read any report (the owner-check override).
            "reports:read_any",
        }
        roles {
            /// Reads their own reports.
            "viewer" = ["reports:read"],
            /// Also writes.
            "editor" = "viewer" + ["reports:write"],
            /// Also deletes and reads everyone's reports.
            "admin" = "editor" + ["reports:delete", "reports:read_any"],
        }
    }
}

pub use reports::perm;

/// Claims as a token carries them (already deserialized).
#[derive(Debug, Clone, serde::Deserialize, Claims)]
pub struct Token {
    /// The caller.
    pub sub: String,
    /// Role names.
    #[serde(default)]
    #[claims(roles)]
    pub roles: Vec<String>,
}

/// A report reduced to what the owner check reads.
#[derive(Debug, Clone, Copy)]
pub struct Doc<'a> {
    /// Its owner's subject.
    pub owner: &'a str,
}

impl HasOwner for Doc<'_> {
    fn owner(&self) -> &str {
        self.owner
    }
}

/// What a case asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// A permission check alone: may the caller `reports:write`?
    Write,
    /// The owner check: may the caller read the report owned by this subject?
    ReadOwnedBy(&'static str),
}

/// One decision, with the answer every engine must give.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// Benchmark name.
    pub name: &'static str,
    /// The caller's subject.
    pub sub: &'static str,
    /// The caller's one role.
    pub role: &'static str,
    /// The question.
    pub ask: Ask,
    /// The answer.
    pub expected: bool,
}

/// The benchmarked cases: a permission check allowed and denied, an owner check allowed and
/// denied.
pub const CASES: [Case; 4] = [
    Case {
        name: "allow",
        sub: "alice",
        role: "editor",
        ask: Ask::Write,
        expected: true,
    },
    Case {
        name: "deny",
        sub: "alice",
        role: "viewer",
        ask: Ask::Write,
        expected: false,
    },
    Case {
        name: "owner_allow",
        sub: "alice",
        role: "viewer",
        ask: Ask::ReadOwnedBy("alice"),
        expected: true,
    },
    Case {
        name: "owner_deny",
        sub: "alice",
        role: "viewer",
        ask: Ask::ReadOwnedBy("bob"),
        expected: false,
    },
];

/// More cases for the agreement test: the override, inheritance both ways, unknown roles.
pub const MORE_CASES: [Case; 6] = [
    Case {
        name: "admin_reads_any",
        sub: "root",
        role: "admin",
        ask: Ask::ReadOwnedBy("bob"),
        expected: true,
    },
    Case {
        name: "editor_not_read_any",
        sub: "erin",
        role: "editor",
        ask: Ask::ReadOwnedBy("bob"),
        expected: false,
    },
    Case {
        name: "editor_reads_own",
        sub: "erin",
        role: "editor",
        ask: Ask::ReadOwnedBy("erin"),
        expected: true,
    },
    Case {
        name: "admin_writes",
        sub: "root",
        role: "admin",
        ask: Ask::Write,
        expected: true,
    },
    Case {
        name: "unknown_role_writes",
        sub: "mallory",
        role: "superuser",
        ask: Ask::Write,
        expected: false,
    },
    Case {
        name: "unknown_role_reads_own",
        sub: "mallory",
        role: "superuser",
        ask: Ask::ReadOwnedBy("mallory"),
        expected: false,
    },
];

impl Case {
    /// The claims a token for this case carries.
    pub fn token(&self) -> Token {
        Token {
            sub: self.sub.to_owned(),
            roles: vec![self.role.to_owned()],
        }
    }
}

// ---------------------------------------------------------------------------------------------
// authz

/// The authz decision for a caller resolved once (as `#[require]` and handlers see it):
/// a requirement check, or the owner check with `reports:read_any` as the override.
#[inline]
pub fn authz_decide(caller: &Authenticated<reports::Policy, Token>, ask: Ask) -> bool {
    match ask {
        Ask::Write => caller.require::<perm::ReportsWrite>().is_ok(),
        Ask::ReadOwnedBy(owner) => {
            caller.require::<perm::ReportsRead>().is_ok()
                && caller
                    .check_owner(Doc { owner }, perm::ReportsReadAny)
                    .is_ok()
        }
    }
}

/// Claims -> decision with authz: resolve the role names to the effective set, then decide with
/// the same functions [`authz_decide`] reaches (`Authenticated` can only be made by validation).
#[inline]
pub fn authz_claims_decide(token: &Token, ask: Ask) -> bool {
    let resolved = token.resolve::<reports::Policy>();
    let (permissions, roles) = (resolved.permissions, resolved.roles);
    match ask {
        Ask::Write => perm::ReportsWrite::is_met(permissions, roles),
        Ask::ReadOwnedBy(owner) => {
            perm::ReportsRead::is_met(permissions, roles)
                && (token.sub == owner || perm::ReportsReadAny::is_met(permissions, roles))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// casbin-rs

/// The casbin model. The role comes in the request (from the token), the owner condition is in
/// the matcher: a `reports:read` policy line matches only when the caller owns the report, and a
/// `reports:read_any` line lets a read through whoever owns it. `owner` is empty for a permission
/// check without a resource.
pub const CASBIN_MODEL: &str = r#"
[request_definition]
r = sub, role, owner, act

[policy_definition]
p = role, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.role, p.role) && ((r.act == p.act && (r.owner == "" || r.owner == r.sub)) || (r.act == "reports:read" && p.act == "reports:read_any"))
"#;

/// The casbin policy lines: grants per role, then inheritance (`g, child, parent`).
pub const CASBIN_POLICY: [(&str, &str); 4] = [
    ("viewer", "reports:read"),
    ("editor", "reports:write"),
    ("admin", "reports:delete"),
    ("admin", "reports:read_any"),
];

/// Role inheritance for casbin: an editor is a viewer, an admin an editor.
pub const CASBIN_INHERITANCE: [(&str, &str); 2] = [("editor", "viewer"), ("admin", "editor")];

/// The casbin enforcer loaded with the model and policy.
pub async fn casbin_enforcer() -> casbin::Result<casbin::Enforcer> {
    use casbin::{CoreApi, MgmtApi};
    let model = casbin::DefaultModel::from_str(CASBIN_MODEL).await?;
    let mut enforcer = casbin::Enforcer::new(model, casbin::MemoryAdapter::default()).await?;
    let rules = CASBIN_POLICY
        .iter()
        .map(|(role, act)| vec![(*role).to_owned(), (*act).to_owned()])
        .collect();
    enforcer.add_policies(rules).await?;
    let links = CASBIN_INHERITANCE
        .iter()
        .map(|(child, parent)| vec![(*child).to_owned(), (*parent).to_owned()])
        .collect();
    enforcer.add_grouping_policies(links).await?;
    Ok(enforcer)
}

/// The casbin request of a case: `(sub, role, owner, act)`.
pub fn casbin_request(sub: &'static str, role: &'static str, ask: Ask) -> [&'static str; 4] {
    match ask {
        Ask::Write => [sub, role, "", "reports:write"],
        Ask::ReadOwnedBy(owner) => [sub, role, owner, "reports:read"],
    }
}

/// One casbin decision.
#[inline]
pub fn casbin_decide(enforcer: &casbin::Enforcer, request: [&str; 4]) -> bool {
    use casbin::CoreApi;
    let [sub, role, owner, act] = request;
    enforcer
        .enforce((sub, role, owner, act))
        .expect("casbin enforce")
}

/// Claims -> decision with casbin: one `enforce` per role in the token until one allows.
#[inline]
pub fn casbin_claims_decide(enforcer: &casbin::Enforcer, token: &Token, ask: Ask) -> bool {
    use casbin::CoreApi;
    let (owner, act) = match ask {
        Ask::Write => ("", "reports:write"),
        Ask::ReadOwnedBy(owner) => (owner, "reports:read"),
    };
    token.roles.iter().any(|role| {
        enforcer
            .enforce((token.sub.as_str(), role.as_str(), owner, act))
            .expect("casbin enforce")
    })
}

// ---------------------------------------------------------------------------------------------
// cedar-policy

/// The cedar policies. `principal in Role::"viewer"` holds for a user whose parents include
/// `viewer` or any role below it in the hierarchy (editor's parent is viewer, admin's editor).
pub const CEDAR_POLICIES: &str = r#"
permit(principal in Role::"viewer", action == Action::"reports:read", resource)
  when { resource has owner && resource.owner == principal };
permit(principal in Role::"editor", action == Action::"reports:write", resource);
permit(principal in Role::"admin", action in [Action::"reports:delete", Action::"reports:read"], resource);
"#;

/// The cedar side: policies, the role entities, and the authorizer.
#[derive(Debug)]
pub struct Cedar {
    /// The parsed policies.
    pub policies: PolicySet,
    /// The role hierarchy and the reports collection, without users.
    pub base: Vec<Entity>,
    /// The authorizer.
    pub authorizer: Authorizer,
}

fn uid(kind: &str, id: &str) -> EntityUid {
    EntityUid::from_str(&format!("{kind}::\"{id}\"")).expect("entity uid")
}

impl Cedar {
    /// Parses the policies and builds the role entities.
    pub fn new() -> Self {
        let policies = CEDAR_POLICIES.parse().expect("cedar policies");
        let role = |id: &str, parent: Option<&str>| {
            let parents = parent.map(|p| uid("Role", p)).into_iter().collect();
            Entity::new_no_attrs(uid("Role", id), parents)
        };
        let base = vec![
            role("viewer", None),
            role("editor", Some("viewer")),
            role("admin", Some("editor")),
            Entity::new_no_attrs(uid("Reports", "all"), HashSet::new()),
        ];
        Self {
            policies,
            base,
            authorizer: Authorizer::new(),
        }
    }

    /// The entities and request for a caller with `roles` asking `ask`: the role hierarchy, the
    /// user with its roles as parents, and the report (with its owner) for an owner check.
    pub fn request<'r>(
        &self,
        sub: &str,
        roles: impl IntoIterator<Item = &'r str>,
        ask: Ask,
    ) -> (Request, Entities) {
        let principal = uid("User", sub);
        let user = Entity::new_no_attrs(
            principal.clone(),
            roles.into_iter().map(|role| uid("Role", role)).collect(),
        );
        let mut entities = self.base.clone();
        entities.push(user);
        let (action, resource) = match ask {
            Ask::Write => (uid("Action", "reports:write"), uid("Reports", "all")),
            Ask::ReadOwnedBy(owner) => {
                let report = uid("Report", "r");
                let attrs = HashMap::from([(
                    "owner".to_owned(),
                    RestrictedExpression::new_entity_uid(uid("User", owner)),
                )]);
                let entity =
                    Entity::new(report.clone(), attrs, HashSet::new()).expect("report entity");
                entities.push(entity);
                (uid("Action", "reports:read"), report)
            }
        };
        let entities = Entities::from_entities(entities, None).expect("entities");
        let request = Request::new(principal, action, resource, Context::empty(), None)
            .expect("cedar request");
        (request, entities)
    }

    /// One decision on a prepared request.
    #[inline]
    pub fn decide(&self, request: &Request, entities: &Entities) -> bool {
        self.authorizer
            .is_authorized(request, &self.policies, entities)
            .decision()
            == Decision::Allow
    }

    /// Claims -> decision with cedar: build the entities and request from the claims, decide.
    #[inline]
    pub fn claims_decide(&self, token: &Token, ask: Ask) -> bool {
        let (request, entities) =
            self.request(&token.sub, token.roles.iter().map(String::as_str), ask);
        self.decide(&request, &entities)
    }
}

impl Default for Cedar {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------------------------
// reports-api

/// The token lifetime bound `reports-api` applies by default (`AUTHZ_MAX_TOKEN_LIFETIME_SECS`).
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// `reports-api`'s router with the state its binary builds without Redis (revocations and API
/// keys in memory, realm `reports-api`, `iss`/`aud` checked, token lifetime bounded), on the
/// keys and algorithms already set on `builder`; `cache` > 0 turns on the verified-token cache
/// with that many entries. Returns the validator too, for its cache statistics.
pub fn reports_api(
    builder: authz_core::token::ValidatorBuilder,
    cache: usize,
) -> (axum::Router, authz_core::Validator) {
    use authz_examples::{API_KEY_PREFIX, AppState, Revocations, Store, router};
    let revocations = Revocations::in_memory(MAX_TOKEN_LIFETIME);
    // As reports-api wires them: a subject revocation refuses the subject's older keys too.
    let api_keys = authz_core::api_key::ApiKeys::new(
        authz_core::api_key::InMemoryApiKeyStore::default(),
        API_KEY_PREFIX,
    )
    .expect("API keys")
    .revocation(revocations.clone());
    let validator = builder
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .max_lifetime(MAX_TOKEN_LIFETIME)
        .revocation(revocations.clone())
        .cache(cache)
        .build()
        .expect("validator");
    let app = router().into_axum().with_state(AppState {
        authz: authz_axum::Gate::new(validator.clone())
            .realm("reports-api")
            .api_keys(api_keys.clone()),
        store: Store::seeded(),
        revocations,
        api_keys,
        logout: None,
    });
    (app, validator)
}

// ---------------------------------------------------------------------------------------------
// Tokens

/// The issuer every server and bench in this crate expects.
pub const ISSUER: &str = "https://id.bench";
/// The audience every server and bench in this crate expects.
pub const AUDIENCE: &str = "reports-api";

/// Claims for `alice` (a viewer) reading her own report `r1`: `iss`, `aud`, `sub`, `roles`,
/// `iat` = now and `exp` = now + `ttl_secs`.
pub fn alice_claims(ttl_secs: u64) -> serde_json::Value {
    let now = authz_core::testkit::now();
    serde_json::json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "roles": ["viewer"],
        "iat": now, "exp": now + ttl_secs,
    })
}
