#!/usr/bin/env bash
# Revocation across a fleet (issue 16): two reports-api instances sharing one redis-server,
# revocations issued through one and checked on the other, then Redis killed and restarted.
# Prints the propagation delay (p50, p99), what the outage does, and fails when a revoked
# token is accepted after the bound (1 s) or a valid token is refused outside the outage.
# Not run by CI. Needs redis-server (Debian package redis-server).
#
#   scripts/fleet.sh [REVOCATIONS]     (default 200)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
cargo build --release --quiet -p authz-examples --bin reports-api --bin revocation-fleet
exec "$CARGO_TARGET_DIR/release/revocation-fleet" "$CARGO_TARGET_DIR/release/reports-api" "${1:-200}"
