#!/usr/bin/env bash
# Load and faults for reports-api. Not part of CI; run by hand: `scripts/load.sh`.
#
# What it does:
# - builds reports-api and load-helper in release;
# - load-helper (examples/src/bin/load-helper.rs) serves a JWKS on 127.0.0.1 and mints the
#   token mix. It is Rust rather than Python/PyJWT so that the keys, the JWKS server and the
#   minting are the project's own tested test-util code (TestKey, JwksServer), with nothing
#   to install from another registry. Its schedule, from the start signal T0: JWKS down (503)
#   at T0+5..9, new key rsa-2 published at T0+12, JWKS serves non-JSON at T0+16..19, old key
#   ed-old retired at T0+22;
# - starts reports-api against that JWKS (refetch cooldown 1 s) and checks that a valid
#   token gets 200 before the load starts (so the key set was fetched once);
# - drives it with wrk (Debian package `wrk`; scripts/load.lua mixes the tokens) for
#   DURATION s (default 30) at 64 connections in all, one wrk process per token class so
#   that each response is checked against the class of the token that asked for it:
#     valid-200  (16 conns) viewer reading her own report         -> 200
#     valid-403  ( 6)       viewer reading someone else's report  -> 403
#     valid-404  ( 6)       admin reading a report that is absent -> 404
#     expired    ( 8)       genuine signature, exp an hour ago    -> 401
#     forged     (10)       other key under a published kid, unknown kid, alg none, HS256
#                           confusion, wrong audience, swapped payload -> 401
#     garbage    ( 8)       not a JWT, two tokens, 9000 bytes, bad characters, Basic -> 401/400
#     rotated    ( 5)       signed by rsa-2: 401 until it is published, then 200
#     retiring   ( 5)       signed by ed-old: 200 until it is retired, then 401
#   (3 s of grace after each key change, for the 1 s cooldown and the refetch);
# - samples VmRSS of reports-api from /proc every 0.5 s.
#
# It reports requests/s, latency percentiles per class, the count of each status, peak RSS
# (VmHWM) and RSS at the end, and exits non-zero when:
# - any response is a 5xx other than 503. A 503 (keys unavailable, with Retry-After) is the
#   documented answer only while no key set was ever fetched; the warm-up rules that out, so
#   a 503 under load is also counted as wrong for its class (stale keys must be used);
# - any status is wrong for its token class, or any socket error or timeout happened;
# - the mean RSS of the last 10 s is more than 10% above the mean RSS of the second 10 s;
# - reports-api's log holds anything that looks like a JWT.
#
# Everything binds 127.0.0.1. The load stops by itself after DURATION s; the helper exits by
# itself 40 s after T0; both processes are killed on exit in any case.
#
# Environment: DURATION (seconds, default 30), CARGO_TARGET_DIR (default target/), KEEP_WORK=1
# to keep the tokens, logs and samples of a passing run (a failing run always keeps them).
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION="${DURATION:-30}"
TARGET="${CARGO_TARGET_DIR:-target}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/authz-load.XXXXXX")"
HELPER_PID=""
SERVER_PID=""
SAMPLER_PID=""

cleanup() {
    for pid in "$SAMPLER_PID" "$SERVER_PID" "$HELPER_PID"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
    else
        echo "load.sh: wrk is missing: apt-get install wrk" >&2
        exit 2
    fi
fi

echo "== build (release)"
cargo build --release --quiet -p authz-examples --bin reports-api --bin load-helper

echo "== start load-helper and reports-api"
"$TARGET/release/load-helper" "$WORK" >"$WORK/helper.log" 2>&1 &
HELPER_PID=$!
for _ in $(seq 1 600); do
    [ -s "$WORK/jwks_url" ] && break
    kill -0 "$HELPER_PID" 2>/dev/null || { cat "$WORK/helper.log" >&2; exit 1; }
    sleep 0.1
done
[ -s "$WORK/jwks_url" ] || { echo "load.sh: load-helper wrote no jwks_url" >&2; exit 1; }

AUTHZ_ADDR=127.0.0.1:0 \
AUTHZ_JWKS_URL="$(cat "$WORK/jwks_url")" \
AUTHZ_ISSUER=https://id.load.test \
AUTHZ_AUDIENCE=reports-api \
AUTHZ_JWKS_COOLDOWN_SECS=1 \
    "$TARGET/release/reports-api" >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
BASE=""
for _ in $(seq 1 100); do
    BASE="$(sed -n 's/^listening on //p' "$WORK/server.out")"
    [ -n "$BASE" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; exit 1; }
    sleep 0.1
done
[ -n "$BASE" ] || { echo "load.sh: reports-api did not start listening" >&2; exit 1; }

warm="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $(head -n1 "$WORK/valid-200")" "$BASE/reports/r1")"
if [ "$warm" != 200 ]; then
    echo "load.sh: warm-up request got $warm, expected 200" >&2
    exit 1
fi

sched() { awk -v k="$1" -v i="$2" '$1 == k { print $i }' "$WORK/schedule"; }
T0=$(( $(date +%s) + 1 ))
PUBLISH_AT=$(( T0 + $(sched publish 2) ))
RETIRE_AT=$(( T0 + $(sched retire 2) ))
echo "$T0" >"$WORK/go"
while [ "$(date +%s)" -lt "$T0" ]; do sleep 0.05; done

echo "== load: ${DURATION}s, 64 connections, $BASE (JWKS faults and rotation running)"
(
    start_ms=$(date +%s%3N)
    end_ms=$(( start_ms + DURATION * 1000 ))
    while [ "$(date +%s%3N)" -le "$end_ms" ]; do
        rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null) || break
        echo "$(( $(date +%s%3N) - start_ms )) $rss"
        sleep 0.5
    done
) >"$WORK/rss" &
SAMPLER_PID=$!

RESULTS="$WORK/results"
: >"$RESULTS"
run_class() { # class connections path before switch_at after
    wrk -t1 -c"$2" -d"${DURATION}s" --timeout 5s -s scripts/load.lua "$BASE" \
        -- "$1" "$3" "$WORK/$1" "$RESULTS" "$4" "$5" "$6" >"$WORK/wrk-$1.log" 2>&1
}
pids=()
run_class valid-200 16 /reports/r1   200     0 200 & pids+=($!)
run_class valid-403  6 /reports/r2   403     0 403 & pids+=($!)
run_class valid-404  6 /reports/r999 404     0 404 & pids+=($!)
run_class expired    8 /reports/r1   401     0 401 & pids+=($!)
run_class forged    10 /reports/r2   401     0 401 & pids+=($!)
run_class garbage    8 /reports/r1   401,400 0 401,400 & pids+=($!)
run_class rotated    5 /reports/r1   401 "$PUBLISH_AT" 200 & pids+=($!)
run_class retiring   5 /reports/r1   200 "$RETIRE_AT"  401 & pids+=($!)
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
wait "$SAMPLER_PID" || true
SAMPLER_PID=""
PEAK_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status")
END_KB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")
if [ "$failed" != 0 ] || [ "$(wc -l <"$RESULTS")" != 8 ]; then
    echo "load.sh: a wrk process failed:" >&2
    tail -n 5 "$WORK"/wrk-*.log >&2
    exit 1
fi

echo "== results"
awk -v duration="$DURATION" '
    {
        for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        reqs += f["requests"]; wrong += f["wrong"]; sock += f["socket_errors"] + f["timeouts"]
        printf "%-10s %8d req %8.0f req/s  p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %7.2f ms  wrong %d%s  statuses %s\n",
            f["class"], f["requests"], f["requests"] / (f["duration_us"] / 1e6),
            f["p50_us"] / 1000, f["p90_us"] / 1000, f["p99_us"] / 1000, f["max_us"] / 1000,
            f["wrong"], (f["wrong"] > 0 ? " (first " f["wrong_example"] ")" : ""), f["statuses"]
        n = split(f["statuses"], st, ",")
        for (j = 1; j <= n; j++) { split(st[j], cn, ":"); status[cn[1]] += cn[2] }
    }
    END {
        printf "total      %8d req %8.0f req/s\n", reqs, reqs / duration
        line = ""
        for (s in status) line = line " " s ": " status[s]
        print "statuses  " line
        bad5xx = 0
        for (s in status) if (s + 0 >= 500 && s + 0 != 503) bad5xx += status[s]
        printf "5xx other than 503: %d; wrong for class: %d; socket errors and timeouts: %d\n", bad5xx, wrong, sock
        exit (bad5xx > 0 || wrong > 0 || sock > 0) ? 1 : 0
    }' "$RESULTS" || failed=1

read -r SECOND LAST < <(awk '
    $1 >= 10000 && $1 < 20000 { a += $2; na++ }
    $1 >= 20000 { b += $2; nb++ }
    END { printf "%d %d\n", (na ? a / na : 0), (nb ? b / nb : 0) }' "$WORK/rss")
awk -v p="$PEAK_KB" -v e="$END_KB" -v s="$SECOND" -v l="$LAST" 'BEGIN {
    printf "RSS: peak (VmHWM) %.1f MiB, at the end %.1f MiB; mean 10-20 s %.1f MiB, mean 20-30 s %.1f MiB\n",
        p / 1024, e / 1024, s / 1024, l / 1024 }'
if [ "$SECOND" -le 0 ] || [ "$LAST" -le 0 ]; then
    echo "load.sh: too few RSS samples (DURATION must be at least 30)" >&2
    failed=1
elif [ $(( LAST * 100 )) -gt $(( SECOND * 110 )) ]; then
    echo "load.sh: RSS grew by more than 10% between the second 10 s and the last 10 s" >&2
    failed=1
fi
grep -h 'load-helper:' "$WORK/helper.log" || true
echo "reports-api log: $(grep -c 'authz::audit' "$WORK/server.err" || true) audit events, $(grep -c 'WARN authz_core::token::jwks' "$WORK/server.err" || true) JWKS fetch failures reported"
# Never log a token: every JWT minted here starts with `eyJ` (base64url of `{"`).
if grep -q 'eyJ' "$WORK/server.out" "$WORK/server.err"; then
    echo "load.sh: reports-api logged something that looks like a token" >&2
    failed=1
fi

if [ "$failed" != 0 ]; then
    echo "load.sh: FAILED (files kept in $WORK)" >&2
    exit 1
fi
if [ -n "${KEEP_WORK:-}" ]; then
    echo "files kept in $WORK"
else
    rm -rf "$WORK"
fi
echo "load.sh: passed"
