#!/usr/bin/env python3
"""Tables with ratios from the last `cargo bench --bench peers` run (criterion's estimates).

Usage: python3 summary.py [CRITERION_DIR]   (default: $CARGO_TARGET_DIR/criterion, else
target/criterion beside this file). Times are criterion's point estimates (the slope where it
has one, else the mean), the same figure `cargo bench` prints in the middle of `time:`.
"""

import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
default = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "target")), "criterion")
root = sys.argv[1] if len(sys.argv) > 1 else default


def ns(group, bench):
    path = os.path.join(root, group, bench.replace("/", "_"), "new", "estimates.json")
    with open(path) as f:
        est = json.load(f)
    return (est.get("slope") or est["mean"])["point_estimate"]


def fmt(t):
    if t < 1000:
        return f"{t:.2f} ns"
    return f"{t / 1000:.2f} µs"


cases = ["allow", "deny", "owner_allow", "owner_deny"]
floor = ns("decision", "baseline/u64_and")
owner_floor = ns("decision", "baseline/owner_str_eq_or_and")
print("## decision (inputs already in each engine's form)\n")
print(f"floors: u64 AND {fmt(floor)}; hand-written owner check (string == or AND) {fmt(owner_floor)}\n")
print("| case | authz | casbin | cedar | authz / floor | casbin / authz | cedar / authz |")
print("|---|---|---|---|---|---|---|")
for case in cases:
    a, c, d = (ns("decision", f"{e}/{case}") for e in ("authz", "casbin", "cedar"))
    f = owner_floor if case.startswith("owner") else floor
    print(f"| {case} | {fmt(a)} | {fmt(c)} | {fmt(d)} | {a / f:.2f}× | {c / a:,.0f}× | {d / a:,.0f}× |")

print("\n## claims -> decision\n")
print("| case | authz | casbin | cedar | casbin / authz | cedar / authz |")
print("|---|---|---|---|---|---|")
for case in cases:
    a, c, d = (ns("claims_decision", f"{e}/{case}") for e in ("authz", "casbin", "cedar"))
    print(f"| {case} | {fmt(a)} | {fmt(c)} | {fmt(d)} | {c / a:,.0f}× | {d / a:,.0f}× |")

print("\n## request (in-process, tower oneshot)\n")
r = {b: ns("request", b) for b in [
    "baseline/unprotected_health", "baseline/unprotected_report",
    "baseline/jsonwebtoken_decode_rs256",
    "baseline/aws_lc_rs_rs256_verify_key_parsed_per_call",
    "baseline/aws_lc_rs_rs256_verify_key_parsed_once", "baseline/sha256_of_token",
    "authz/rs256_no_cache", "authz/rs256_cache",
    "jwt_authorizer/rs256", "jwt_authorizer/unprotected_health"]}
print("| benchmark | time |")
print("|---|---|")
for b, t in r.items():
    print(f"| `{b}` | {fmt(t)} |")
h, o, raw = r["baseline/unprotected_health"], r["baseline/unprotected_report"], r["baseline/jsonwebtoken_decode_rs256"]
nc, c, j = r["authz/rs256_no_cache"], r["authz/rs256_cache"], r["jwt_authorizer/rs256"]
print()
print(f"authz no cache / (raw RS256 decode + /health) = {nc / (raw + h):.2f}×")
print(f"authz no cache / (raw RS256 decode + same route unprotected) = {nc / (raw + o):.2f}×")
print(f"authz cache / /health = {c / h:.2f}×")
print(f"authz cache / same route unprotected = {c / o:.2f}×")
s, once = r["baseline/sha256_of_token"], r["baseline/aws_lc_rs_rs256_verify_key_parsed_once"]
print(f"floor of a hit (same route unprotected + SHA-256 of the token) / same route unprotected = {(o + s) / o:.2f}×")
print(f"authz no cache / (RS256 verify, key parsed once + same route unprotected) = {nc / (once + o):.2f}×")
print(f"jwt-authorizer / authz no cache = {j / nc:.2f}×; jwt-authorizer / authz cache = {j / c:.2f}×")
