//! Deny by default: [`Routes`] accepts only handlers whose first parameter is an authz guard
//! (the one `#[require(...)]` inserts, the marker `#[public]` inserts, or [`Auth`](crate::Auth)
//! for any authenticated caller), and knows every route's rule so it can print the table for
//! review. A handler with none of them does not compile:
//!
//! ```text
//! error[E0277]: this handler does not declare who may call it
//!    |
//! 27 |         .get("/reports", list)
//!    |          ^^^ add `#[require(...)]` or `#[public]` to the handler
//!    |
//!    = note: the router denies by default: a handler's first parameter must be an authz guard, which `#[require(...)]` and `#[public]` insert
//! ```
//!
//! (as `tests/tests/ui/actix/fail/unguarded-handler.stderr` holds it, which a test compares
//! with this quote; the trybuild cases there also refuse an unguarded handler in a nested
//! group and a misspelt permission). The same handler with `#[require(...)]` is accepted:
//!
//! ```
//! # authz_core::policy! { /// P
//! # pub mod reports { permissions { /// r
//! # "reports:read", } } }
//! # #[derive(serde::Deserialize, authz_core::Claims)] struct Token { sub: String }
//! type Authz = authz_actix::Authz<reports::Policy, Token>;
//! #[authz_core::require(permission = "reports:read")]
//! async fn list() -> &'static str { "[]" }
//! let routes = authz_actix::Routes::new().get("/reports", list);
//! assert_eq!(routes.route_table().to_string(), "GET     /reports  permission(reports:read)\n");
//! ```
//!
//! The routes reach actix-web as a configuration function ([`Routes::configure`], for
//! `App::configure` or `Scope::configure`). Where the guarantee ends: anything registered on
//! the `App` or a `Scope` directly (`route`, `service`, `default_service`, a handler with
//! `#[get(...)]`) is outside it, and so is whatever a middleware answers by itself.

use std::fmt;

use actix_web::http::Method;
use actix_web::web::{self, ServiceConfig};
use actix_web::{FromRequest, Handler, Responder};
use authz_core::routes::{ANY, Plain, RouteInfo, RouteTable};

use crate::extract::GuardedArgs;

type Register = Box<dyn FnOnce(&mut ServiceConfig)>;

/// Routes that each declare who may call them, and the table of their rules.
#[must_use]
#[derive(Default)]
pub struct Routes {
    register: Vec<Register>,
    table: RouteTable,
}

impl fmt::Debug for Routes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Routes")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

// Each method is written out with the bound on the handler's arguments, so that the error for
// an unguarded handler points at the handler in the call.
impl Routes {
    /// No routes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes `method` requests for `path` (actix-web's pattern syntax) to a guarded handler.
    pub fn route<F, Args>(mut self, method: Method, path: &str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + GuardedArgs<Plain> + 'static,
        F::Output: Responder + 'static,
    {
        self.table.push(method.as_str(), path, Args::access());
        let path = path.to_owned();
        self.register.push(Box::new(move |cfg: &mut ServiceConfig| {
            cfg.route(&path, web::method(method).to(handler));
        }));
        self
    }

    /// Routes `GET` requests for `path` to a guarded handler.
    pub fn get<F, Args>(self, path: &str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + GuardedArgs<Plain> + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::GET, path, handler)
    }

    /// Routes `POST` requests for `path` to a guarded handler.
    pub fn post<F, Args>(self, path: &str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + GuardedArgs<Plain> + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, path, handler)
    }

    /// Routes `PUT` requests for `path` to a guarded handler.
    pub fn put<F, Args>(self, path: &str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + GuardedArgs<Plain> + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PUT, path, handler)
    }

    /// Routes `PATCH` requests for `path` to a guarded handler.
    pub fn patch<F, Args>(self, path: &str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + GuardedArgs<Plain> + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PATCH, path, handler)
    }

    /// Routes `DELETE` requests for `path` to a guarded handler.
    pub fn delete<F, Args>(self, path: &str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + GuardedArgs<Plain> + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::DELETE, path, handler)
    }

    /// Routes requests of every method for `path` to a guarded handler (`ANY` in the table).
    pub fn any<F, Args>(mut self, path: &str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + GuardedArgs<Plain> + 'static,
        F::Output: Responder + 'static,
    {
        self.table.push(ANY, path, Args::access());
        let path = path.to_owned();
        self.register.push(Box::new(move |cfg: &mut ServiceConfig| {
            cfg.route(&path, web::to(handler));
        }));
        self
    }

    /// The handler for requests no route matches (actix-web's default service), guarded like
    /// any handler (`#[public]` for a plain 404 page). The table shows it as `ANY *`.
    pub fn fallback<F, Args>(mut self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + GuardedArgs<Plain> + 'static,
        F::Output: Responder + 'static,
    {
        self.table.push(ANY, "*", Args::access());
        self.register.push(Box::new(move |cfg: &mut ServiceConfig| {
            cfg.default_service(web::to(handler));
        }));
        self
    }

    /// Serves `routes` under `prefix` (an actix-web `Scope`): their guards come along, and the
    /// table shows them with the full path.
    pub fn nest(mut self, prefix: &str, routes: Routes) -> Self {
        self.table
            .extend(routes.table.into_iter().map(|route| RouteInfo {
                path: join(prefix, &route.path),
                ..route
            }));
        let prefix = prefix.to_owned();
        let register = routes.register;
        self.register.push(Box::new(move |cfg: &mut ServiceConfig| {
            cfg.service(web::scope(&prefix).configure(|cfg| {
                for register in register {
                    register(cfg);
                }
            }));
        }));
        self
    }

    /// Adds the routes of another guarded set, as they are.
    pub fn merge(mut self, other: Routes) -> Self {
        self.table.extend(other.table);
        self.register.extend(other.register);
        self
    }

    /// The OpenID Connect back-channel logout endpoint at `path` (`POST`, public: the identity
    /// provider calls it, authenticated by the logout token's signature), ready made: the form
    /// body read up to [`MAX_LOGOUT_BODY`](authz_core::token::MAX_LOGOUT_BODY) bytes, the token
    /// verified and its session or user revoked
    /// ([`BackChannelLogout::respond`](authz_core::token::BackChannelLogout::respond)), 200 or
    /// 400 with an OAuth error body, `Cache-Control: no-store`, an audit event. The route table
    /// lists it as `public`.
    pub fn backchannel_logout(
        mut self,
        path: &str,
        logout: authz_core::token::BackChannelLogout,
    ) -> Self {
        self.table
            .push("POST", path, authz_core::routes::Access::Public);
        let path = path.to_owned();
        self.register.push(Box::new(move |cfg: &mut ServiceConfig| {
            let handler = move |request: actix_web::HttpRequest, body: web::Payload| {
                let logout = logout.clone();
                async move { logout_response(&logout, request, body).await }
            };
            cfg.route(&path, web::post().to(handler));
        }));
        self
    }

    /// Every route and its rule.
    pub fn route_table(&self) -> &RouteTable {
        &self.table
    }

    /// The configuration function that registers every route, for `App::configure` or
    /// `Scope::configure`. Take the table first ([`route_table`](Self::route_table)) if you
    /// print it. Routes registered on the `App` or `Scope` by other means are outside the
    /// guarantee: nothing checks that they have a guard.
    ///
    /// The paths checked are the table's, so a prefix that holds a route's tenant parameter
    /// belongs in [`nest`](Self::nest) (`Routes::new().nest("/orgs/{org}", routes)`), not in
    /// an actix-web `Scope` the routes are configured into: the table would not show it.
    ///
    /// # Panics
    ///
    /// When a route declared in a tenant read from a path parameter
    /// (`#[require(..., tenant = "{org}")]`) has no such parameter in its full path
    /// ([`RouteTable::assert_tenant_params`]).
    #[track_caller]
    pub fn configure(self) -> impl FnOnce(&mut ServiceConfig) {
        self.table.assert_tenant_params();
        move |cfg| {
            for register in self.register {
                register(cfg);
            }
        }
    }
}

/// Reads the logout request's body up to the limit and answers as `authz_core` describes.
async fn logout_response(
    logout: &authz_core::token::BackChannelLogout,
    request: actix_web::HttpRequest,
    body: web::Payload,
) -> actix_web::HttpResponse {
    use authz_core::token::{LogoutResponse, MAX_LOGOUT_BODY};
    let answer = match body.to_bytes_limited(MAX_LOGOUT_BODY).await {
        Ok(Ok(bytes)) => {
            let content_type = request
                .headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .map(|value| value.as_bytes());
            logout.respond(content_type, &bytes).await
        }
        _ => LogoutResponse::body_too_large(),
    };
    let status = actix_web::http::StatusCode::from_u16(answer.status())
        .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    let mut response = actix_web::HttpResponse::build(status);
    for (name, value) in answer.headers() {
        response.insert_header((name, value));
    }
    match answer.body() {
        Some(body) => response.body(body.to_owned()),
        None => response.finish(),
    }
}

/// A scope prefix joined to a path as actix-web joins them: `/admin` + `` is `/admin`.
fn join(prefix: &str, path: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    match path {
        "*" => format!("{prefix}/*"),
        "" => prefix.to_owned(),
        _ if path.starts_with('/') => format!("{prefix}{path}"),
        _ => format!("{prefix}/{path}"),
    }
}
