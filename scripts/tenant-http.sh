#!/usr/bin/env bash
# HTTP throughput with roles from the database against roles from the token (issue 25), in one
# run: `examples/tenant_http.rs` serves the same body on three routes (roles in the token; a
# token without roles scoped to `{org}` with its role stored in PostgreSQL, copy warm; public),
# with the verified-token cache on. Server pinned to SERVER_CPU, wrk (one thread) to LOAD_CPU;
# the routes take turns ROUNDS times and the median of each is reported. Not run by CI. Needs
# wrk, taskset and PostgreSQL (Debian packages wrk, util-linux, postgresql).
#
# Environment: DURATION (default 10s), CONNECTIONS (32), ROUNDS (3), SERVER_CPU (0), LOAD_CPU (1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
command -v wrk >/dev/null || { echo "tenant-http.sh: wrk not found (apt-get install -y wrk)" >&2; exit 1; }
cargo build --release --quiet -p authz-examples --example tenant_http
work=$(mktemp -d)
chmod 755 "$work"
pid=
cleanup() { [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
taskset -c "$SERVER_CPU" "$CARGO_TARGET_DIR/release/examples/tenant_http" "$work" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -s "$work/addr" ] && break; sleep 0.1; done
[ -s "$work/addr" ] || { echo "tenant-http.sh: the server did not start:" >&2; cat "$work/log" >&2; exit 1; }
base="http://$(cat "$work/addr")"
roles=$(cat "$work/token_roles")
plain=$(cat "$work/token_plain")

declare -A url=([token_roles]="$base/token/acme/notes" [stored_roles]="$base/orgs/acme/notes" [public]="$base/open/acme/notes")
declare -A token=([token_roles]="$roles" [stored_roles]="$plain" [public]="")
targets=(token_roles stored_roles public)

# Each route answers as it should before it is measured: 200 with its token, and the stored
# route 404 in an organisation without the membership, 403 with the roles only in the token.
check() { # check EXPECTED URL [TOKEN]
    local got
    got=$(curl -s -o /dev/null -w '%{http_code}' ${3:+-H "Authorization: Bearer $3"} "$2")
    [ "$got" = "$1" ] || { echo "tenant-http.sh: $2 answered $got, not $1" >&2; exit 1; }
}
check 200 "${url[token_roles]}" "$roles"
check 200 "${url[stored_roles]}" "$plain"
check 200 "${url[public]}"
check 404 "$base/orgs/globex/notes" "$plain"
check 403 "${url[token_roles]}" "$plain"

echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(rustc -V)"
echo "# wrk -t1 -c$CONNECTIONS -d$DURATION; server on core $SERVER_CPU, wrk on core $LOAD_CPU; $ROUNDS rounds; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A runs=()
for round in $(seq 1 "$ROUNDS"); do
    for target in "${targets[@]}"; do
        header=()
        [ -n "${token[$target]}" ] && header=(-H "Authorization: Bearer ${token[$target]}")
        out=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "${header[@]}" "${url[$target]}")
        if grep -q 'Non-2xx' <<<"$out"; then echo "tenant-http.sh: $target answered errors:" >&2; echo "$out" >&2; exit 1; fi
        rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
        echo "round $round  $target  $rps req/s"
        runs[$target]+="$rps "
    done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo
echo "| route | requests/s (median of $ROUNDS) | rounds |"
echo "|---|---|---|"
declare -A med=()
for target in "${targets[@]}"; do
    med[$target]=$(median "${runs[$target]}")
    echo "| $target | ${med[$target]} | ${runs[$target]% } |"
done
awk -v t="${med[token_roles]}" -v s="${med[stored_roles]}" -v p="${med[public]}" 'BEGIN {
    printf "\nstored_roles / token_roles = %.2fx (goal >= 0.9)\n", s / t
    printf "token_roles / public = %.2fx, stored_roles / public = %.2fx\n", t / p, s / p
}'
