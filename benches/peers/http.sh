#!/usr/bin/env bash
# HTTP throughput on loopback, release builds, one run:
#   authz            reports-api     GET /reports/r1       RS256 token, keys from a loopback JWKS
#   authz+cache      reports-api     GET /reports/r1       the same, AUTHZ_TOKEN_CACHE=10000
#   authz,nolog / authz+cache,nolog   authz-server with no tracing subscriber at all
#   jwt-authorizer   jwt-authorizer-server  GET /reports/r1   same token and JWKS
#   unprotected      authz-server    GET /open/reports/r1  the same lookup and JSON, no protection
#                                    (sent the same Authorization header, which it does not read)
#   signature-only   authz-server    GET /floor/reports/r1 the RS256 signature check alone (aws-lc-rs,
#                                    key parsed once), then the same lookup: the floor under any
#                                    server that verifies the token
#   digest-floor     authz-server    GET /digest/reports/r1 that check once per token, then only the
#                                    token's SHA-256 looked up in a set: the floor under any cache
#                                    keyed by the token's SHA-256, as authz's is
#   authz+cache+redis reports-api    GET /reports/r1       the cached server with its revocations on
#                                    Redis (AUTHZ_REDIS_URL; a redis-server this script starts)
#   health           reports-api     GET /health           (#[public]: no token)
# Not run by CI. Needs wrk (Debian: apt-get install -y wrk), taskset (util-linux) and
# redis-server.
#
# Ends with the table of issue 27: each ratio beside its goal.
#
# Servers are pinned to core SERVER_CPU, wrk to LOAD_CPU (one wrk thread), with the same
# duration and connections for every target. The targets take turns, ROUNDS times, so a change
# in machine load during the run hits all of them alike; the median of the rounds is reported.
# Every run is bounded: wrk stops after DURATION, and the servers are stopped on exit.
#
# Environment: DURATION (default 10s), CONNECTIONS (default 32), ROUNDS (default 5: on a 2-core VM
# one target's rounds differ by up to 25%, and a median of three still moves with them),
# SERVER_CPU (0), LOAD_CPU (1), CARGO_TARGET_DIR (default benches/peers/target).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/target}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-5}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
AUTHZ_PORT=${AUTHZ_PORT:-38081}
PEER_PORT=${PEER_PORT:-38082}
CACHE_PORT=${CACHE_PORT:-38083}
NOLOG_PORT=${NOLOG_PORT:-38084}
NOLOG_CACHE_PORT=${NOLOG_CACHE_PORT:-38085}
REPORTS_CACHE_PORT=${REPORTS_CACHE_PORT:-38086}
REDIS_API_PORT=${REDIS_API_PORT:-38087}
REDIS_PORT=${REDIS_PORT:-38088}

command -v wrk >/dev/null || { echo "http.sh: wrk not found (apt-get install -y wrk)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "http.sh: redis-server not found (apt-get install -y redis-server)" >&2; exit 1; }

cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p authz-examples --bin reports-api
cargo build --quiet --release --manifest-path "$here/Cargo.toml" --bins
bin=$CARGO_TARGET_DIR/release

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

declare -A server_pid=()  # port -> the server's pid, for its CPU time per request

wait_until() { # wait_until SECONDS COMMAND...: poll every 0.1 s
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { echo "http.sh: timed out waiting for: $*" >&2; exit 1; }
        sleep 0.1
    done
}

taskset -c "$LOAD_CPU" "$bin/jwks-server" "$work" >"$work/jwks-server.log" 2>&1 &
pids+=($!)
wait_until 10 test -s "$work/token"
jwks_url=$(cat "$work/jwks_url")
token=$(cat "$work/token")

# reports-api logs at INFO to stderr, as deployed (refusals are audited at WARN, grants at
# DEBUG so not written); it goes to a file here so any cost of writing is counted.
AUTHZ_ADDR=127.0.0.1:$AUTHZ_PORT AUTHZ_JWKS_URL=$jwks_url \
    AUTHZ_ISSUER=https://id.bench AUTHZ_AUDIENCE=reports-api \
    taskset -c "$SERVER_CPU" "$bin/reports-api" >"$work/reports-api.out" 2>"$work/reports-api.log" &
pids+=($!)
server_pid[$AUTHZ_PORT]=$!
AUTHZ_ADDR=127.0.0.1:$REPORTS_CACHE_PORT AUTHZ_JWKS_URL=$jwks_url AUTHZ_TOKEN_CACHE=10000 \
    AUTHZ_ISSUER=https://id.bench AUTHZ_AUDIENCE=reports-api \
    taskset -c "$SERVER_CPU" "$bin/reports-api" >"$work/reports-api-cache.out" 2>"$work/reports-api-cache.log" &
pids+=($!)
server_pid[$REPORTS_CACHE_PORT]=$!
# The same cached server with its revocations on Redis (pinned beside wrk: Redis answers the
# server's reads, as a Redis on another machine would, without taking the server's core).
taskset -c "$LOAD_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
pids+=($!)
wait_until 10 redis-cli -p "$REDIS_PORT" ping
AUTHZ_ADDR=127.0.0.1:$REDIS_API_PORT AUTHZ_JWKS_URL=$jwks_url AUTHZ_TOKEN_CACHE=10000 \
    AUTHZ_REDIS_URL=redis://127.0.0.1:$REDIS_PORT \
    AUTHZ_ISSUER=https://id.bench AUTHZ_AUDIENCE=reports-api \
    taskset -c "$SERVER_CPU" "$bin/reports-api" >"$work/reports-api-redis.out" 2>"$work/reports-api-redis.log" &
pids+=($!)
server_pid[$REDIS_API_PORT]=$!
PEERS_ADDR=127.0.0.1:$PEER_PORT PEERS_JWKS_URL=$jwks_url \
    taskset -c "$SERVER_CPU" "$bin/jwt-authorizer-server" >"$work/peer.out" 2>&1 &
pids+=($!)
server_pid[$PEER_PORT]=$!

PEERS_ADDR=127.0.0.1:$CACHE_PORT PEERS_JWKS_URL=$jwks_url PEERS_TOKEN_CACHE=10000 \
    PEERS_FLOOR_DER=$work/public.der \
    taskset -c "$SERVER_CPU" "$bin/authz-server" >"$work/authz-server.out" 2>"$work/authz-server.log" &
pids+=($!)
server_pid[$CACHE_PORT]=$!

for port_cache in "$NOLOG_PORT:0" "$NOLOG_CACHE_PORT:10000"; do
    PEERS_ADDR=127.0.0.1:${port_cache%:*} PEERS_JWKS_URL=$jwks_url PEERS_TOKEN_CACHE=${port_cache#*:} \
        PEERS_AUDIT_LOG=off taskset -c "$SERVER_CPU" "$bin/authz-server" >/dev/null 2>&1 &
    pids+=($!)
    server_pid[${port_cache%:*}]=$!
    wait_until 20 curl -sf "http://127.0.0.1:${port_cache%:*}/health"
done

wait_until 20 curl -sf "http://127.0.0.1:$AUTHZ_PORT/health"
wait_until 20 curl -sf "http://127.0.0.1:$CACHE_PORT/health"
wait_until 20 curl -sf "http://127.0.0.1:$REPORTS_CACHE_PORT/health"
wait_until 20 curl -sf "http://127.0.0.1:$REDIS_API_PORT/health"
wait_until 20 curl -sf "http://127.0.0.1:$PEER_PORT/health"

declare -A url=(
    [authz]="http://127.0.0.1:$AUTHZ_PORT/reports/r1"
    [authz+cache]="http://127.0.0.1:$REPORTS_CACHE_PORT/reports/r1"
    [authz+cache+redis]="http://127.0.0.1:$REDIS_API_PORT/reports/r1"
    [authz,nolog]="http://127.0.0.1:$NOLOG_PORT/reports/r1"
    [authz+cache,nolog]="http://127.0.0.1:$NOLOG_CACHE_PORT/reports/r1"
    [jwt-authorizer]="http://127.0.0.1:$PEER_PORT/reports/r1"
    [unprotected]="http://127.0.0.1:$CACHE_PORT/open/reports/r1"
    [signature-only]="http://127.0.0.1:$CACHE_PORT/floor/reports/r1"
    [digest-floor]="http://127.0.0.1:$CACHE_PORT/digest/reports/r1"
    [health]="http://127.0.0.1:$AUTHZ_PORT/health"
)
targets=(authz authz+cache authz+cache+redis authz,nolog authz+cache,nolog jwt-authorizer signature-only digest-floor unprotected health)
protected=(authz authz+cache authz+cache+redis authz,nolog authz+cache,nolog jwt-authorizer signature-only digest-floor)

# Each protected target answers 200 with alice's report, and 401 without the token.
for target in "${protected[@]}"; do
    body=$(curl -sf -H "Authorization: Bearer $token" "${url[$target]}")
    [[ $body == *'"owner":"alice"'* ]] || { echo "http.sh: $target answered: $body" >&2; exit 1; }
    status=$(curl -s -o /dev/null -w '%{http_code}' "${url[$target]}")
    [[ $status == 401 ]] || { echo "http.sh: $target without a token: $status" >&2; exit 1; }
done

echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(rustc -V)"
echo "# wrk -t1 -c$CONNECTIONS -d$DURATION; server on core $SERVER_CPU, wrk on core $LOAD_CPU; $ROUNDS rounds"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"

declare -A runs=() users=() kernels=()
for round in $(seq 1 "$ROUNDS"); do
    for target in "${targets[@]}"; do
        # The unprotected route gets the same request bytes, token included (it reads none):
        # the ratio then compares the protection, not the parsing of a longer request.
        header=()
        [[ " ${protected[*]} unprotected " == *" $target "* ]] && header=(-H "Authorization: Bearer $token")
        port=${url[$target]#http://127.0.0.1:}; port=${port%%/*}
        pid=${server_pid[$port]}
        before=$(cut -d' ' -f14,15 "/proc/$pid/stat")
        out=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "${header[@]}" "${url[$target]}")
        after=$(cut -d' ' -f14,15 "/proc/$pid/stat")
        if grep -q 'Non-2xx' <<<"$out"; then
            echo "http.sh: $target answered errors:" >&2
            echo "$out" >&2
            exit 1
        fi
        rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
        requests=$(awk '/requests in/ {print $1}' <<<"$out")
        # The server's CPU time per request, in user space and in the kernel (clock ticks of
        # /proc/PID/stat): the user part is the server's own code, the kernel part its sockets.
        read -r cpu_user cpu_kernel < <(awk -v b="$before" -v a="$after" -v n="$requests" \
            -v hz="$(getconf CLK_TCK)" 'BEGIN { split(b, x, " "); split(a, y, " ");
            printf "%.2f %.2f\n", (y[1] - x[1]) / hz * 1e6 / n, (y[2] - x[2]) / hz * 1e6 / n }')
        echo "round $round  $target  $rps req/s  (server CPU a request: user $cpu_user us, kernel $cpu_kernel us)"
        runs[$target]+="$rps "
        users[$target]+="$cpu_user "
        kernels[$target]+="$cpu_kernel "
    done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
declare -A med=()
for target in "${targets[@]}"; do med[$target]=$(median "${runs[$target]}"); done

echo
echo "| target | requests/s (median of $ROUNDS) | rounds | server CPU a request, user + kernel (medians) |"
echo "|---|---|---|---|"
for target in "${targets[@]}"; do
    echo "| $target | ${med[$target]} | ${runs[$target]% } | $(median "${users[$target]}") + $(median "${kernels[$target]}") us |"
done
awk -v a="${med[authz]}" -v c="${med[authz+cache]}" -v j="${med[jwt-authorizer]}" \
    -v u="${med[unprotected]}" -v h="${med[health]}" -v f="${med[signature-only]}" \
    -v an="${med[authz,nolog]}" -v cn="${med[authz+cache,nolog]}" 'BEGIN {
    printf "\nsignature-only / jwt-authorizer = %.2fx (the most any RS256-verifying server can reach)\n", f / j
    printf "authz / signature-only = %.2fx\nauthz,nolog / signature-only = %.2fx\n", a / f, an / f
    printf "\nauthz / jwt-authorizer = %.2fx\nauthz+cache / jwt-authorizer = %.2fx\n", a / j, c / j
    printf "authz,nolog / jwt-authorizer = %.2fx\nauthz+cache,nolog / jwt-authorizer = %.2fx\n", an / j, cn / j
    printf "authz,nolog / unprotected = %.2fx\nauthz+cache,nolog / unprotected = %.2fx\n", an / u, cn / u
    printf "authz / unprotected = %.2fx\nauthz+cache / unprotected = %.2fx\njwt-authorizer / unprotected = %.2fx\n", a / u, c / u, j / u
    printf "authz / health = %.2fx\nauthz+cache / health = %.2fx\njwt-authorizer / health = %.2fx\n", a / h, c / h, j / h
    printf "1 / throughput (server core time per request): authz %.1f us, authz+cache %.1f us, jwt-authorizer %.1f us, signature-only %.1f us, unprotected %.1f us, health %.1f us\n", 1e6 / a, 1e6 / c, 1e6 / j, 1e6 / f, 1e6 / u, 1e6 / h
}'
awk -v a="${med[authz]}" -v c="${med[authz+cache]}" -v r="${med[authz+cache+redis]}" \
    -v j="${med[jwt-authorizer]}" -v u="${med[unprotected]}" -v f="${med[signature-only]}" \
    -v d="${med[digest-floor]}" 'BEGIN {
    row = "| %s | %.2f | %s | %s |\n"
    printf "\n| ratio (issue 27) | now | goal | met |\n|---|---|---|---|\n"
    printf row, "token cache on / unprotected route", c / u, ">= 0.9", (c / u >= 0.9) ? "yes" : "no"
    printf "| %s | %.2f | %s | |\n", "(its ceiling: SHA-256 digest floor / unprotected route)", d / u, "-"
    printf "| %s | %.2f | %s | |\n", "(token cache on / SHA-256 digest floor)", c / d, "-"
    printf row, "no cache / jwt-authorizer", a / j, ">= 1.25", (a / j >= 1.25) ? "yes" : "no"
    printf row, "no cache / signature-only floor", a / f, ">= 0.95", (a / f >= 0.95) ? "yes" : "no"
    printf row, "with Redis revocation / without (cache on)", r / c, ">= 0.95", (r / c >= 0.95) ? "yes" : "no"
}'
echo "log lines written: reports-api $(wc -l <"$work/reports-api.log"), authz-server $(wc -l <"$work/authz-server.log")"
