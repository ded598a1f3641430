#!/usr/bin/env bash
# HTTP throughput of reports-api with and without Redis (issue 16), token cache off and on, in
# one run: `GET /reports/r1` with an EdDSA token (dev mode), the server pinned to one core and
# wrk (one thread, CONNECTIONS connections) to the other; the configurations take turns
# ROUNDS times and the median of each is reported, with its ratio to the same server without
# Redis. Then one run during which redis-server is killed halfway: how many requests were
# served, and how many refused with 503 (fail closed). Not run by CI. Needs wrk, taskset and
# redis-server (Debian packages wrk, util-linux, redis-server).
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
cargo build --release --quiet -p authz-examples --bin reports-api
bin=$CARGO_TARGET_DIR/release/reports-api
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_redis() {
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
    redis_pid=$!
    pids+=("$redis_pid")
    for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return; sleep 0.1; done
    echo "redis-server did not start" >&2; exit 1
}
start_redis

# Starts reports-api with the given environment; sets $base and $token.
start_api() {
    env AUTHZ_ADDR=127.0.0.1:0 "$@" taskset -c "$SERVER_CPU" "$bin" >"$work/out" 2>/dev/null &
    api_pid=$!
    pids+=("$api_pid")
    for _ in $(seq 100); do grep -q '^listening on ' "$work/out" && break; sleep 0.1; done
    base=$(sed -n 's/^listening on //p' "$work/out")
    token=$(sed -n 's/^ALICE=//p' "$work/out")
    # The first request starts the push channel; give it time to load.
    curl -s -o /dev/null -H "Authorization: Bearer $token" "$base/reports/r1"
    sleep 1
}
stop_api() { kill "$api_pid"; wait "$api_pid" 2>/dev/null || true; }

rps() { # url token -> requests/s
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -H "Authorization: Bearer $2" "$1" \
        | awk '/Requests\/sec/ {print $2}'
}

declare -A results
configs=("no-redis cache-off" "redis cache-off" "no-redis cache-on" "redis cache-on")
for round in $(seq "$ROUNDS"); do
    for config in "${configs[@]}"; do
        set -- $config
        envs=()
        [ "$1" = redis ] && envs+=("AUTHZ_REDIS_URL=redis://127.0.0.1:$redis_port/")
        [ "$2" = cache-on ] && envs+=("AUTHZ_TOKEN_CACHE=10000")
        start_api "${envs[@]}"
        results["$config"]+="$(rps "$base/reports/r1" "$token") "
        stop_api
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "reports-api GET /reports/r1, $ROUNDS rounds of $DURATION, $CONNECTIONS connections, medians:"
for cache in cache-off cache-on; do
    plain=$(echo "${results["no-redis $cache"]}" | median)
    shared=$(echo "${results["redis $cache"]}" | median)
    printf '  %-9s without Redis %9.0f req/s   with Redis %9.0f req/s   ratio %.3f   (rounds: %s| %s)\n' \
        "$cache" "$plain" "$shared" "$(echo "$shared / $plain" | bc -l)" \
        "${results["no-redis $cache"]}" "${results["redis $cache"]}"
done

# An outage: redis-server killed halfway through a run.
start_api "AUTHZ_REDIS_URL=redis://127.0.0.1:$redis_port/"
half=$(( ${DURATION%s} / 2 ))
( sleep "$half"; kill -9 "$redis_pid" ) &
taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -H "Authorization: Bearer $token" \
    "$base/reports/r1" >"$work/outage"
stop_api
served=$(awk '/requests in/ {print $1}' "$work/outage")
non2xx=$(awk '/Non-2xx/ {print $5}' "$work/outage")
echo "outage run ($DURATION, Redis killed after ${half}s): $served requests, ${non2xx:-0} of them refused (503, fail closed)"
