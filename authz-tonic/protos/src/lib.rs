//! The services authz-tonic's tests, benches and example serve, generated at build time from
//! `proto/*.proto` (see `build.rs`).

/// `authz.conformance`: the conformance kit's routes as RPC methods.
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod conformance {
    tonic::include_proto!("authz.conformance");
}

/// `reports.v1`: the example service.
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod reports {
    tonic::include_proto!("reports.v1");
}

/// `greeter.v1`: a small service for the compile-time tests.
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod greeter {
    tonic::include_proto!("greeter.v1");
}
