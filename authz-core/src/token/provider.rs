//! The one jsonwebtoken crypto provider this crate uses.
//!
//! jsonwebtoken picks a process-wide provider from its own features and panics at the first
//! signature when both `rust_crypto` and `aws_lc_rs` are on (as in an `--all-features` build).
//! We never go through that global: every verification and signature here names the provider
//! below. When both backends are compiled in, aws-lc-rs wins.

use jsonwebtoken::crypto::CryptoProvider;

#[cfg(not(any(feature = "aws_lc_rs", feature = "rust_crypto")))]
compile_error!(
    "authz-core needs a crypto backend for token validation: enable the `aws_lc_rs` (default) \
     or the `rust_crypto` feature"
);

/// The provider used for every signature check and (with `test-util`) every signature.
pub(crate) fn provider() -> &'static CryptoProvider {
    #[cfg(feature = "aws_lc_rs")]
    {
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
    }
    #[cfg(all(feature = "rust_crypto", not(feature = "aws_lc_rs")))]
    {
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
    }
}

/// Makes jsonwebtoken's own global calls (for example `jsonwebtoken::encode` in a user's test
/// code) work when both backends are on, by installing the same provider we use. A no-op when
/// exactly one backend is on, or when the application already installed one.
pub(crate) fn install_process_default() {
    #[cfg(all(feature = "aws_lc_rs", feature = "rust_crypto"))]
    {
        // An `Err` means a provider is already installed, which is what we want.
        let _ = provider().install_default();
    }
}

/// The name of the backend in use, for logs and benchmarks.
pub(crate) const BACKEND: &str = if cfg!(feature = "aws_lc_rs") {
    "aws-lc-rs"
} else {
    "rust_crypto"
};
