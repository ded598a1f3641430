// An owner that may be absent: an empty owner must never match a caller, so the derive takes
// only string fields for owners, tenants and creators.
#[derive(authz_core::Resource)]
struct Document {
    #[resource(owner)]
    author: Option<String>,
}

fn main() {}
