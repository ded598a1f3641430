//! Placeholder until the axum issue: prints the policy matrix.
fn main() {}
