//! The enforced policy in the API's OpenAPI document (feature `openapi`).
//!
//! [`RouteTable::document`] writes, for every route of a guarded router (any adapter's), the
//! security requirement its guard enforces into an OpenAPI 3.1 document built with
//! [utoipa](https://docs.rs/utoipa) (its documents can come from its derive macros, from
//! `utoipa-axum` or `utoipa-actix-web`, or be written by hand, and this function only adds to
//! them). Documentation and enforcement cannot disagree, since both come from the same guards:
//!
//! - a `#[require(...)]` route gets `security` alternatives on the `bearerAuth` scheme whose
//!   scopes are the permissions (and roles) of the rule, one alternative per way to meet it
//!   (an `any(...)` gives several), and the responses 401 and 403;
//! - a route for any authenticated caller gets `bearerAuth` with no scopes, and 401;
//! - a `#[public]` route gets `security: []` (no authentication, whatever the document's
//!   default);
//! - every operation carries `x-authz-access`, the rule as the route table prints it.
//!
//! Path parameters are written the OpenAPI way whatever the framework's syntax: axum's
//! `{*rest}` and actix-web's `{rest:.*}` both become `{rest}`.
//!
//! ```
//! use authz_core::routes::{Access, RouteTable};
//! use authz_core::requirement::Rule;
//!
//! let mut table = RouteTable::default();
//! table.push("GET", "/health", Access::Public);
//! table.push("GET", "/reports/{id}", Access::Rule(Rule::AnyOf(&[
//!     Rule::Permission("reports:read"),
//!     Rule::Permission("reports:audit"),
//! ])));
//! let doc = table.document(utoipa::openapi::OpenApi::default());
//! let json = serde_json::to_value(&doc).unwrap();
//!
//! assert_eq!(json["paths"]["/health"]["get"]["security"], serde_json::json!([]));
//! assert_eq!(
//!     json["paths"]["/reports/{id}"]["get"]["security"],
//!     serde_json::json!([{"bearerAuth": ["reports:read"]}, {"bearerAuth": ["reports:audit"]}])
//! );
//! assert_eq!(json["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
//! ```

/// The utoipa this module writes to, so that an application builds its document with the same
/// version.
pub use utoipa;

use crate::requirement::Rule;
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{HttpMethod, Operation, PathItem};
use utoipa::openapi::response::Response;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Components, OpenApi};

use super::{ANY, Access, RouteTable};

/// The name of the security scheme the document gets: HTTP bearer, JWT.
pub const SECURITY_SCHEME: &str = "bearerAuth";

/// The extension on every operation that states its access rule.
pub const ACCESS_EXTENSION: &str = "x-authz-access";

/// The most alternatives a rule is written as; beyond it (a rule of many nested `any`s), one
/// requirement names every permission and `x-authz-access` states the exact rule.
const MAX_ALTERNATIVES: usize = 64;

const METHODS: [(&str, HttpMethod); 8] = [
    ("GET", HttpMethod::Get),
    ("PUT", HttpMethod::Put),
    ("POST", HttpMethod::Post),
    ("DELETE", HttpMethod::Delete),
    ("OPTIONS", HttpMethod::Options),
    ("HEAD", HttpMethod::Head),
    ("PATCH", HttpMethod::Patch),
    ("TRACE", HttpMethod::Trace),
];

impl RouteTable {
    /// `doc` with every route's security requirement, the `bearerAuth` scheme, and the 401/403
    /// responses of protected routes. Operations the document already has keep everything
    /// else; routes it lacks are added. A route for every method (`any`, `route_service`)
    /// is written on each of the eight methods OpenAPI names; the fallback has no path and is
    /// left out.
    pub fn document(&self, mut doc: OpenApi) -> OpenApi {
        let components = doc.components.get_or_insert_with(Components::default);
        if !components.security_schemes.contains_key(SECURITY_SCHEME) {
            let mut bearer = Http::new(HttpAuthScheme::Bearer);
            bearer.bearer_format = Some("JWT".to_owned());
            components.add_security_scheme(SECURITY_SCHEME, SecurityScheme::Http(bearer));
        }
        for route in self.routes() {
            let Some(path) = openapi_path(&route.path) else {
                continue;
            };
            let item = doc.paths.paths.entry(path).or_default();
            for (name, method) in &METHODS {
                if route.method == *name || route.method == ANY {
                    describe(operation(item, method), &route.access);
                }
            }
        }
        doc
    }
}

/// axum's `/files/{*rest}` and actix-web's `/files/{rest:.*}` are OpenAPI's `/files/{rest}`; a
/// fallback (`*`, `/prefix/*`) has no path in OpenAPI.
fn openapi_path(path: &str) -> Option<String> {
    if path == "*" || path.ends_with("/*") {
        return None;
    }
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..=open]);
        let inner = &rest[open + 1..];
        let close = inner.find('}').unwrap_or(inner.len());
        let name = inner[..close].trim_start_matches('*');
        out.push_str(name.split(':').next().unwrap_or(name));
        rest = &inner[close..];
    }
    out.push_str(rest);
    Some(out)
}

fn operation<'a>(item: &'a mut PathItem, method: &HttpMethod) -> &'a mut Operation {
    let slot = match method {
        HttpMethod::Get => &mut item.get,
        HttpMethod::Put => &mut item.put,
        HttpMethod::Post => &mut item.post,
        HttpMethod::Delete => &mut item.delete,
        HttpMethod::Options => &mut item.options,
        HttpMethod::Head => &mut item.head,
        HttpMethod::Patch => &mut item.patch,
        HttpMethod::Trace => &mut item.trace,
    };
    slot.get_or_insert_with(Operation::default)
}

fn describe(operation: &mut Operation, access: &Access) {
    let (security, protected) = match access {
        Access::Public => (Vec::new(), false),
        Access::Authenticated => (
            vec![SecurityRequirement::new(
                SECURITY_SCHEME,
                Vec::<String>::new(),
            )],
            true,
        ),
        Access::Rule(rule) => (
            alternatives(rule)
                .into_iter()
                .map(|scopes| SecurityRequirement::new(SECURITY_SCHEME, scopes))
                .collect(),
            true,
        ),
    };
    operation.security = Some(security);
    let responses = &mut operation.responses.responses;
    if protected {
        responses
            .entry("401".to_owned())
            .or_insert_with(|| Response::new("no valid bearer token").into());
        if matches!(access, Access::Rule(_)) {
            responses.entry("403".to_owned()).or_insert_with(|| {
                Response::new("the token does not grant what the route requires").into()
            });
        }
    }
    if responses.is_empty() {
        responses.insert("default".to_owned(), Response::new("the response").into());
    }
    let extension = ExtensionsBuilder::new()
        .add(ACCESS_EXTENSION, access.to_string())
        .build();
    match &mut operation.extensions {
        Some(extensions) => extensions.merge(extension),
        None => operation.extensions = Some(extension),
    }
}

/// The rule as alternatives (OpenAPI's `security` list: one of them must be met), each the
/// names all of which are needed: the rule in disjunctive normal form.
fn alternatives(rule: &Rule) -> Vec<Vec<&'static str>> {
    let mut out = dnf(rule);
    if out.len() > MAX_ALTERNATIVES {
        out = vec![rule.permissions().into_iter().chain(rule.roles()).collect()];
    }
    out
}

fn dnf(rule: &Rule) -> Vec<Vec<&'static str>> {
    match *rule {
        Rule::Permission(name) | Rule::Role(name) => vec![vec![name]],
        Rule::AnyOf(rules) => rules.iter().flat_map(dnf).collect(),
        // The step-up is no scope: the names needed are the inner rule's.
        // Neither is the tenant.
        Rule::StepUp(rule) | Rule::InTenant(rule, _) => dnf(rule),
        Rule::AllOf(rules) => rules.iter().fold(vec![Vec::new()], |acc, rule| {
            let parts = dnf(rule);
            let mut next = Vec::with_capacity(acc.len() * parts.len());
            for left in &acc {
                for right in &parts {
                    let mut both = left.clone();
                    for name in right {
                        if !both.contains(name) {
                            both.push(*name);
                        }
                    }
                    next.push(both);
                }
                if next.len() > MAX_ALTERNATIVES {
                    break;
                }
            }
            next
        }),
        _ => vec![rule.permissions().into_iter().chain(rule.roles()).collect()],
    }
}
