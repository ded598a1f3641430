//! The reports API. Until the HTTP server lands (the axum issue), this prints the policy matrix
//! and what sample callers may do, so the policy and claims can be seen working end to end.

use authz_core::{Claims, render_markdown};
use authz_examples::{ReportsClaims, reports};

fn main() {
    print!("{}", render_markdown::<reports::Policy>());
    println!();
    for token in [
        r#"{"sub":"alice","roles":["viewer"]}"#,
        r#"{"sub":"erin","roles":["editor"]}"#,
        r#"{"sub":"root","roles":["admin","superuser"]}"#,
    ] {
        let claims: ReportsClaims = match serde_json::from_str(token) {
            Ok(claims) => claims,
            Err(error) => {
                eprintln!("bad sample claims: {error}");
                std::process::exit(1);
            }
        };
        let resolved = claims.resolve::<reports::Policy>();
        println!(
            "{:<5} may: {} (unknown roles: {})",
            claims.sub, resolved.permissions, resolved.unknown_roles
        );
    }
}
