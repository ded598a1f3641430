#!/usr/bin/env bash
# Instructions per request of `authz-server` over HTTP, per route, under callgrind: the real
# binary, hyper and the kernel's sockets included, with wrk as the client. Callgrind counts
# instructions (not time), exactly and repeatably, so two routes compare even on a busy machine.
#
#   benches/peers/profile/profile.sh            # cache on: open, reports (cached), floor
#   CACHE=0 ROUTES="floor reports" benches/peers/profile/profile.sh
#
# For each route: the counters are zeroed, wrk sends requests for DURATION (4 connections),
# the counters are dumped; per request = the dump's total / wrk's request count. Then
# `diff.py` prints the per-request difference between the first two routes, function by
# function (self cost), and the callers of allocations. Needs valgrind and wrk (Debian).
#
# Environment: CACHE (entries, default 10000; 0 turns the cache off), ROUTES (default
# "open reports floor"), DURATION (default 8s), OUT (default a new temporary directory),
# CARGO_TARGET_DIR (default benches/peers/target).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/target}
CACHE=${CACHE:-10000}
ROUTES=${ROUTES:-open reports floor}
DURATION=${DURATION:-8s}
OUT=${OUT:-$(mktemp -d)}
PORT=${PORT:-39001}
command -v valgrind >/dev/null || { echo "profile.sh: valgrind not found (apt-get install -y valgrind)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "profile.sh: wrk not found (apt-get install -y wrk)" >&2; exit 1; }

# shellcheck source=jwks.sh
. "$here/profile/jwks.sh"
(
    cd "$OUT"
    PEERS_ADDR=127.0.0.1:$PORT PEERS_JWKS_URL=$(cat "$OUT/jwks_url") PEERS_TOKEN_CACHE=$CACHE \
        PEERS_AUDIT_LOG=off PEERS_FLOOR_DER=$OUT/public.der \
        exec valgrind --tool=callgrind --compress-strings=no --compress-pos=no \
        --callgrind-out-file="$OUT/callgrind.out" "$bin/authz-server" >"$OUT/server.log" 2>&1
) &
server=$!
pids+=($server)
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.2; done
vg=$(pgrep -f "callgrind-out-file=$OUT/callgrind.out" | head -1)

: >"$OUT/requests"
part=0
for route in $ROUTES; do
    case $route in
        open) path=/open/reports/r1 ;;
        reports) path=/reports/r1 ;;
        floor) path=/floor/reports/r1 ;;
        *) echo "profile.sh: unknown route $route" >&2; exit 1 ;;
    esac
    # Warm: the cache filled, the connection pools made.
    for _ in 1 2 3; do curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$path" >/dev/null; done
    callgrind_control -z "$vg" >/dev/null
    out=$(wrk -t1 -c4 -d"$DURATION" -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$path")
    callgrind_control -d "$route" "$vg" >/dev/null
    part=$((part + 1))
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    echo "$route $OUT/callgrind.out.$part $requests" >>"$OUT/requests"
    echo "$route: $requests requests, counts in $OUT/callgrind.out.$part"
done
set -- $(sed -n 1p "$OUT/requests") $(sed -n 2p "$OUT/requests")
if [ $# -eq 6 ]; then
    python3 "$here/profile/diff.py" "$2" "$3" "$5" "$6"
fi
