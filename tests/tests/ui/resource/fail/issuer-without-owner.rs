// An owner's issuer with no owner: it qualifies nothing.
#[derive(authz_core::Resource)]
struct Document {
    #[resource(tenant)]
    org: String,
    #[resource(owner_issuer)]
    iss: Option<String>,
}

fn main() {}
