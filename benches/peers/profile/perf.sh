#!/usr/bin/env bash
# Where a request's time goes under load: `authz-server` (the `reports-api` router and state)
# on one core, wrk on the other, and `perf record` sampling the server's CPU clock while wrk
# sends one route at a time. Time, not instructions (profile.sh counts those under callgrind):
# the real binary at full speed, the kernel's sockets and SHA-NI included, so it shows what the
# HTTP ratios of http.sh are made of.
#
#   benches/peers/profile/perf.sh                          # cache on: open against reports
#   CACHE=0 ROUTES="floor reports" benches/peers/profile/perf.sh   # uncached against the floor
#
# Prints, per route, the server's requests and its CPU time a request split into user space
# and kernel (from /proc/PID/stat, without perf running), then the symbols whose time a request
# differs most between the first two routes (perf's samples over the requests wrk counted while
# perf ran). Sampling slows the server, so read the differences and their order, not the
# absolute times. Needs perf (Debian linux-perf) and wrk.
#
# Environment: CACHE (entries, default 10000; 0 turns the cache off), ROUTES (default
# "open reports"; also floor, digest), DURATION (seconds per measurement, default 5), ROWS
# (default 30), SERVER_CPU (0), LOAD_CPU (1), OUT (default a new temporary directory),
# CARGO_TARGET_DIR (default benches/peers/target).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/target}
CACHE=${CACHE:-10000}
ROUTES=${ROUTES:-open reports}
DURATION=${DURATION:-5}
ROWS=${ROWS:-30}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${OUT:-$(mktemp -d)}
PORT=${PORT:-39011}
command -v perf >/dev/null || { echo "perf.sh: perf not found (apt-get install -y linux-perf)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "perf.sh: wrk not found (apt-get install -y wrk)" >&2; exit 1; }

# shellcheck source=jwks.sh
. "$here/profile/jwks.sh"
PEERS_ADDR=127.0.0.1:$PORT PEERS_JWKS_URL=$(cat "$OUT/jwks_url") PEERS_TOKEN_CACHE=$CACHE \
    PEERS_AUDIT_LOG=off PEERS_FLOOR_DER=$OUT/public.der \
    taskset -c "$SERVER_CPU" "$bin/authz-server" >"$OUT/server.log" 2>&1 &
server=$!
pids+=($server)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.1; done

load() { # path seconds: wrk's request count
    taskset -c "$LOAD_CPU" wrk -t1 -c32 -d"$2s" -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$PORT$1" | awk '/requests in/ {print $1}'
}
: >"$OUT/routes"
for route in $ROUTES; do
    case $route in
        open) path=/open/reports/r1 ;;
        reports) path=/reports/r1 ;;
        floor) path=/floor/reports/r1 ;;
        digest) path=/digest/reports/r1 ;;
        *) echo "perf.sh: unknown route $route" >&2; exit 1 ;;
    esac
    for _ in 1 2 3; do curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$path" >/dev/null; done
    # CPU time a request, with nothing but wrk running.
    before=$(cut -d' ' -f14,15 "/proc/$server/stat")
    requests=$(load "$path" "$DURATION")
    after=$(cut -d' ' -f14,15 "/proc/$server/stat")
    awk -v r="$route" -v b="$before" -v a="$after" -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {
        split(b, x, " "); split(a, y, " ")
        printf "%s: %d requests/s; server CPU a request: user %.2f us, kernel %.2f us\n", r, n / '"$DURATION"',
            (y[1] - x[1]) / hz * 1e6 / n, (y[2] - x[2]) / hz * 1e6 / n }'
    # Then the same load sampled: wrk runs a second longer on each side of the recording.
    (load "$path" $((DURATION + 2)) >"$OUT/$route.requests") &
    sleep 1
    perf record -q -e cpu-clock -F 4999 -p "$server" -o "$OUT/$route.data" -- sleep "$DURATION" 2>/dev/null
    wait $!
    perf report -i "$OUT/$route.data" --no-children --sort dso,sym --stdio -n 2>/dev/null \
        | awk '/^ +[0-9.]+%/ { n = $2; $1 = ""; $2 = ""; sub(/^ +/, ""); print n "\t" $0 }' >"$OUT/$route.symbols"
    # Requests while perf ran: wrk's count scaled to the recorded seconds.
    echo "$route $OUT/$route.symbols $(($(cat "$OUT/$route.requests") * DURATION / (DURATION + 2)))" >>"$OUT/routes"
done

set -- $(sed -n 1p "$OUT/routes") $(sed -n 2p "$OUT/routes")
[ $# -eq 6 ] || exit 0
python3 - "$@" "$DURATION" "$ROWS" <<'EOF'
import sys
base, base_file, base_n, other, other_file, other_n, seconds, rows = sys.argv[1:]
ns_per_sample = 1e9 / 4999

def per_request(path, requests):
    out = {}
    with open(path) as lines:
        for line in lines:
            count, name = line.rstrip("\n").split("\t", 1)
            out[name] = out.get(name, 0) + int(count) * ns_per_sample / int(requests)
    return out

a, b = per_request(base_file, base_n), per_request(other_file, other_n)
print(f"\nsampled time a request: {base} {sum(a.values()) / 1000:.2f} us, "
      f"{other} {sum(b.values()) / 1000:.2f} us")
print(f"largest differences, ns a request ({other} - {base}; {other}, {base}):")
for name in sorted(set(a) | set(b), key=lambda k: -(b.get(k, 0) - a.get(k, 0)))[: int(rows)]:
    print(f"{b.get(name, 0) - a.get(name, 0):8.0f} {b.get(name, 0):8.0f} {a.get(name, 0):8.0f}  {name[:110]}")
EOF
