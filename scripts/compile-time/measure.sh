#!/usr/bin/env bash
# Compile time of authz's macros against plain axum, same handlers (issue 12): generates both
# applications (gen.py), builds their dependencies once, then times `cargo check` and
# `cargo build --release` of the application crate alone, ROUNDS times each, and prints the
# medians and the ratios. Not run by CI.
#
#   scripts/compile-time/measure.sh [PERMISSIONS ROLES HANDLERS]    (default 120 30 300)
#
# Environment: ROUNDS (default 3), MODES (default "check release"), CARGO_TARGET_DIR (default target-compile-time in the
# repository; the two applications share it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
perms=${1:-120} roles=${2:-30} handlers=${3:-300}
rounds=${ROUNDS:-3}
modes=${MODES:-check release}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target-compile-time}
# Every timed build compiles the application crate from scratch: with incremental compilation a
# touched but unchanged file is rebuilt from the cache, which measures nothing.
export CARGO_INCREMENTAL=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$here/gen.py" "$work" "$perms" "$roles" "$handlers" "$root"

# Seconds of one build of the application crate alone (its dependencies already built).
time_one() { # app, cargo args...
    local app=$1; shift
    touch "$work/$app/src/main.rs"
    local start end
    start=$(date +%s.%N)
    cargo "$@" --quiet --manifest-path "$work/$app/Cargo.toml" >/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "policy: $perms permissions, $roles roles; $handlers handlers; $rounds rounds, medians"
for which in $modes; do
    case $which in
        check) mode=check ;;
        release) mode="build --release" ;;
        *) echo "measure.sh: unknown mode $which (check, release)" >&2; exit 2 ;;
    esac
    for app in app-plain app-authz; do
        # shellcheck disable=SC2086
        cargo $mode --quiet --manifest-path "$work/$app/Cargo.toml" >/dev/null  # dependencies
    done
    declare -A t
    for app in app-plain app-authz; do
        # shellcheck disable=SC2086
        t[$app]=$(for _ in $(seq "$rounds"); do time_one "$app" $mode; done | median)
    done
    printf 'cargo %-15s plain axum %6.2f s   authz %6.2f s   ratio %.2fx\n' "$mode" \
        "${t[app-plain]}" "${t[app-authz]}" "$(echo "${t[app-authz]} / ${t[app-plain]}" | bc -l)"
done
