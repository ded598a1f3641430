//! The request as the gate reads it: gRPC is HTTP/2 `POST`, and the credentials are the
//! `authorization` metadata entry (`Bearer <token>`, a JWT or an API key).

use authz_core::gate::RequestHeaders;
use tonic::metadata::MetadataMap;

/// A call's metadata, read as request headers by [`authz_core::Gate`].
pub(crate) struct Metadata<'a>(pub(crate) &'a MetadataMap);

impl RequestHeaders for Metadata<'_> {
    fn method(&self) -> &str {
        "POST"
    }

    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> {
        // ASCII entries only: a binary entry (`authorization-bin`) is another name, never
        // read as credentials.
        self.0.get_all(name).iter().map(|value| value.as_bytes())
    }
}
