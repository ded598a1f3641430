//! Compiles the .proto files with protox (a protobuf compiler written in Rust) into a file
//! descriptor set, and generates the prost messages and tonic clients and servers from it:
//! nothing to install, no `protoc`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/docs.proto",
        "proto/greeter.proto",
        "proto/reports.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    Ok(())
}
