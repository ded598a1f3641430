// A misspelt key: the error is on the key and lists the ones there are.
#[derive(authz_core::Resource)]
struct Document {
    #[resource(onwer)]
    author: String,
}

fn main() {}
