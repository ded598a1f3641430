//! The axum 0.8 adapter for authz. Its extractors and rejections arrive with the axum issue;
//! for now it re-exports the core so that an application can depend on this crate alone.
//!
//! ```
//! use authz_axum::core::PermissionSet;
//! # authz_axum::core::policy! { /// P
//! # pub mod p { permissions { /// r
//! # "a:read", } } }
//! assert!(PermissionSet::<p::Policy>::EMPTY.is_empty());
//! ```

pub use authz_core as core;
