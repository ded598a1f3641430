//! Refusals as gRPC statuses: the code for the HTTP status a [`Refusal`] describes, its
//! client-safe description as the message, and its RFC 6750 challenge in `www-authenticate`
//! metadata. Nothing in any of them contains the token.

use authz_core::{Denied, Refusal};
use tonic::metadata::MetadataValue;
use tonic::{Code, Status};

/// The gRPC code for the HTTP status of a refusal, as gRPC's own HTTP mapping reads it:
///
/// | HTTP | gRPC |
/// |---|---|
/// | 400 | `INVALID_ARGUMENT` |
/// | 401 | `UNAUTHENTICATED` |
/// | 403 | `PERMISSION_DENIED` |
/// | 404 (a concealed refusal) | `NOT_FOUND` |
/// | 409 | `FAILED_PRECONDITION` |
/// | 429 | `RESOURCE_EXHAUSTED` |
/// | 503 (keys, revocations or API keys cannot be read) | `UNAVAILABLE` |
/// | 500 and anything else | `INTERNAL` |
pub fn code(http_status: u16) -> Code {
    match http_status {
        400 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::NotFound,
        409 => Code::FailedPrecondition,
        429 => Code::ResourceExhausted,
        503 => Code::Unavailable,
        _ => Code::Internal,
    }
}

/// The status every authz-tonic service answers a refusal with: the [`code`] of its HTTP
/// status, its [`description`](Refusal::description) as the message, and as metadata the
/// `www-authenticate` challenge (`Bearer realm=.., error=.., scope=..`) and `retry-after`
/// seconds when the refusal has them. Never contains the token.
///
/// ```
/// use authz_core::{Denied, Refusal};
/// use tonic::Code;
///
/// let status = authz_tonic::status(&Refusal::from(Denied::not_found()));
/// assert_eq!(status.code(), Code::NotFound);
/// assert!(status.metadata().get("www-authenticate").is_none());
/// ```
pub fn status(refusal: &Refusal) -> Status {
    let mut status = Status::new(code(refusal.status()), refusal.description());
    let metadata = status.metadata_mut();
    if let Some(challenge) = refusal.challenge()
        && let Ok(value) = MetadataValue::try_from(challenge.as_str())
    {
        metadata.insert("www-authenticate", value);
    }
    if let Some(seconds) = refusal.retry_after() {
        metadata.insert("retry-after", MetadataValue::from(seconds));
    }
    status
}

/// `?` in an RPC method on the library's fallible checks (an owner or tenant check's
/// [`Denied`], a [`Refusal`]): the error becomes the [`status`] the guards answer with.
/// (`From<Denied> for tonic::Status` cannot be written outside tonic, hence the method.)
///
/// ```
/// use authz_tonic::OrStatus as _;
/// use authz_core::Denied;
///
/// let checked: Result<(), Denied> = Err(Denied::not_found());
/// let status = checked.or_status().unwrap_err();
/// assert_eq!(status.code(), tonic::Code::NotFound);
/// ```
pub trait OrStatus<T> {
    /// The value, or the error as a gRPC status.
    fn or_status(self) -> Result<T, Status>;
}

impl<T> OrStatus<T> for Result<T, Denied> {
    fn or_status(self) -> Result<T, Status> {
        self.map_err(|denied| status(&Refusal::from(denied)))
    }
}

impl<T> OrStatus<T> for Result<T, Refusal> {
    fn or_status(self) -> Result<T, Status> {
        self.map_err(|refusal| status(&refusal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_a_refusal_has_maps_to_its_grpc_code() {
        for (http, grpc) in [
            (400, Code::InvalidArgument),
            (401, Code::Unauthenticated),
            (403, Code::PermissionDenied),
            (404, Code::NotFound),
            (409, Code::FailedPrecondition),
            (429, Code::ResourceExhausted),
            (500, Code::Internal),
            (503, Code::Unavailable),
        ] {
            assert_eq!(code(http), grpc, "{http}");
        }
    }
}
