# Sourced by profile.sh and perf.sh: builds `authz-server` and `jwks-server` (the crate's
# release profile keeps line tables, so that profilers name the functions), starts the JWKS
# server writing into $OUT, and sets `bin`, `token` and `pids` (every process started is killed
# on exit). Needs `here`, `OUT` and CARGO_TARGET_DIR.
cargo build --quiet --release \
    --manifest-path "$here/Cargo.toml" --bin authz-server --bin jwks-server
bin=$CARGO_TARGET_DIR/release

pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
"$bin/jwks-server" "$OUT" >"$OUT/jwks.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$OUT/token" ] && [ -s "$OUT/public.der" ] && break; sleep 0.1; done
token=$(cat "$OUT/token")
