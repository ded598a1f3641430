"""A gRPC client no one here wrote (Python grpcio) against the authz-tonic conformance service.

Compiles docs.proto with grpcio-tools into a temporary directory, makes the calls listed in
CALLS, and prints one JSON object: for each call its status code name, status message, every
metadata entry (initial and trailing) and the reply texts. It asserts nothing: the Rust test
that runs it does. Tokens come from environment variables, never the command line.

Usage: python3 interop_client.py ADDRESS PROTO_DIR
"""

import importlib
import json
import os
import sys
import tempfile

import grpc
from grpc_tools import protoc

# (name, method, authorization value or None, streaming kind)
CALLS = [
    ("read_without_credentials", "Read", None),
    ("read_as_reader", "Read", "Bearer {READER}"),
    ("write_as_reader", "Write", "Bearer {READER}"),
    ("write_as_writer", "Write", "Bearer {WRITER}"),
    ("read_with_forged_token", "Read", "Bearer {FORGED}"),
    ("read_with_empty_bearer", "Read", "Bearer"),
    ("note_of_another", "Note", "Bearer {WRITER}"),
    ("watch_without_credentials", "Watch", None),
    ("watch_as_reader", "Watch", "Bearer {READER}"),
    ("public_without_credentials", "Public", None),
]


def compile_proto(proto_dir, out_dir):
    code = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{proto_dir}",
            f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}",
            os.path.join(proto_dir, "docs.proto"),
        ]
    )
    if code != 0:
        raise SystemExit(f"grpc_tools.protoc failed with {code}")
    sys.path.insert(0, out_dir)
    return importlib.import_module("docs_pb2"), importlib.import_module("docs_pb2_grpc")


def entries(metadata):
    return [[key, value if isinstance(value, str) else value.decode("latin-1")]
            for key, value in (metadata or [])]


def call(stub, pb2, method, authorization):
    metadata = []
    if authorization is not None:
        metadata.append(("authorization", authorization.format(**os.environ)))
    try:
        if method == "Watch":
            replies = stub.Watch(pb2.Empty(), metadata=metadata, timeout=10)
            texts = [reply.text for reply in replies]
            seen = entries(replies.initial_metadata()) + entries(replies.trailing_metadata())
        else:
            reply, rpc = getattr(stub, method).with_call(pb2.Empty(), metadata=metadata, timeout=10)
            texts = [reply.text]
            seen = entries(rpc.initial_metadata()) + entries(rpc.trailing_metadata())
        return {"code": "OK", "message": "", "metadata": seen, "texts": texts}
    except grpc.RpcError as error:
        seen = entries(error.initial_metadata()) + entries(error.trailing_metadata())
        return {
            "code": error.code().name,
            "message": error.details() or "",
            "metadata": seen,
            "texts": [],
        }


def main():
    address, proto_dir = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as out_dir:
        pb2, pb2_grpc = compile_proto(proto_dir, out_dir)
        with grpc.insecure_channel(address) as channel:
            stub = pb2_grpc.DocsStub(channel)
            results = {name: call(stub, pb2, method, auth) for name, method, auth in CALLS}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
