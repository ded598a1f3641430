//! What `#[authz_tonic::service]` generates code against. Not public API: it may change in
//! any release.

use authz_core::Gate;
use authz_core::routes::Access;
use tonic::metadata::MetadataMap;

pub use crate::adapter::{Public, authorize, optional_caller};
pub use crate::service::GuardedService;
pub use authz_core::routes::{Access as RouteAccess, RouteTable};

/// The method column of the route table.
pub const RPC: &str = "RPC";

/// The gate of a service (`Self: HasGate`).
pub fn gate<S: crate::HasGate + ?Sized>(service: &S) -> &Gate {
    service.gate()
}

/// The call's metadata, borrowed apart from the request so that the request itself (a
/// `Streaming` body, not `Sync`) is not borrowed across the authorization's await.
pub fn metadata<T>(request: &tonic::Request<T>) -> &MetadataMap {
    request.metadata()
}

/// One RPC method of a service: its full name, its rule, the adapter and the requirement its
/// check uses. `ID` tells the methods of a service apart.
pub trait MethodRule<const ID: usize> {
    /// The adapter (`Authz`), `()` for a public method without a caller.
    type Adapter;
    /// The requirement.
    type Requirement;
    /// `/package.Service/Method`.
    const ROUTE: &'static str;
    /// Who may call it.
    fn access() -> Access;
}

/// The byte length of `/service/method`.
pub const fn route_len(service: &str, method: &str) -> usize {
    service.len() + method.len() + 2
}

/// `/service/method` as bytes, `N` long ([`route_len`]).
pub const fn route_bytes<const N: usize>(service: &str, method: &str) -> [u8; N] {
    let mut out = [0u8; N];
    let (service, method) = (service.as_bytes(), method.as_bytes());
    out[0] = b'/';
    let mut i = 0;
    while i < service.len() {
        out[1 + i] = service[i];
        i += 1;
    }
    out[1 + service.len()] = b'/';
    let mut j = 0;
    while j < method.len() {
        out[2 + service.len() + j] = method[j];
        j += 1;
    }
    out
}

/// The bytes of [`route_bytes`] as text (they are the concatenation of two strings).
#[allow(clippy::panic)] // In const evaluation: a compile error, and unreachable.
pub const fn route_str(bytes: &'static [u8]) -> &'static str {
    match core::str::from_utf8(bytes) {
        Ok(route) => route,
        Err(_) => panic!("a route made of two strings is UTF-8"),
    }
}

/// `"/" + service + "/" + method` as a `&'static str`, at compile time.
#[doc(hidden)]
#[macro_export]
macro_rules! __route {
    ($service:expr, $method:expr) => {{
        const __AUTHZ_SERVICE: &str = $service;
        const __AUTHZ_METHOD: &str = $method;
        const __AUTHZ_LEN: usize = $crate::__private::route_len(__AUTHZ_SERVICE, __AUTHZ_METHOD);
        const __AUTHZ_BYTES: [u8; __AUTHZ_LEN] =
            $crate::__private::route_bytes::<__AUTHZ_LEN>(__AUTHZ_SERVICE, __AUTHZ_METHOD);
        $crate::__private::route_str(&__AUTHZ_BYTES)
    }};
}
pub use crate::__route as route;

#[cfg(test)]
mod tests {
    #[test]
    fn routes_are_full_method_names() {
        const ROUTE: &str = crate::__route!("authz.conformance.Docs", "Read");
        assert_eq!(ROUTE, "/authz.conformance.Docs/Read");
    }
}
