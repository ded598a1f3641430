// Two owners: the derive cannot tell which one an owner check compares.
#[derive(authz_core::Resource)]
struct Document {
    #[resource(owner)]
    author: String,
    #[resource(owner)]
    editor: String,
}

fn main() {}
