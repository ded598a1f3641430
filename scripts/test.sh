#!/usr/bin/env bash
# The README's test command: installs what the tests need that a fresh machine may lack, then
# runs every test of the workspace (unit, integration, property, trybuild UI and doc tests).
#
# Needs: a Rust toolchain (1.88+), a C compiler (aws-lc-sys, the default crypto backend),
# redis-server (the shared-revocation and API-key tests start their own on a loopback port) and
# the kill and openssl commands (procps, openssl).
# Missing Debian packages are installed with apt-get when this runs as root; otherwise it says
# what to install and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# `kill -STOP`/`-CONT` pause redis-server in the revocation tests (a silent push channel).
[ -x /bin/kill ] || [ -x /usr/bin/kill ] || missing+=(procps)
# The Redis-over-TLS tests make their certificates with the openssl command.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# authz-postgres: the tests start throwaway PostgreSQL clusters with the Debian package's
# initdb and pg_ctl (in /usr/lib/postgresql/<version>/bin, not on PATH), run as the `postgres`
# user the package creates when this runs as root.
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -q && apt-get install -y -q "${missing[@]}"
  else
    echo "scripts/test.sh: install these first: ${missing[*]}" >&2
    exit 1
  fi
fi

# authz-tonic: the interoperability test calls the gRPC service from a client no one here
# wrote, Python's grpcio (grpcio-tools compiles the .proto for it), installed from PyPI with pip
# when missing (with Debian's python3 and pip first if there is no python3 at all).
if ! python3 -c 'import grpc, grpc_tools' >/dev/null 2>&1; then
  if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -q && apt-get install -y -q python3 python3-pip
    else
      echo "scripts/test.sh: install python3 and pip first (for grpcio)" >&2
      exit 1
    fi
  fi
  # Debian's own python3 refuses pip installs into it (PEP 668) unless told to.
  python3 -m pip install -q grpcio grpcio-tools \
    || python3 -m pip install -q --break-system-packages grpcio grpcio-tools
fi

# `--install-only`: stop here (CI installs first, then builds).
[ "${1:-}" = "--install-only" ] && exit 0

exec cargo test --workspace "$@"
