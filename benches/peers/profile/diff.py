#!/usr/bin/env python3
"""Per-request difference between two callgrind dumps (see profile.sh).

    diff.py BASE.out BASE_REQUESTS OTHER.out OTHER_REQUESTS [ROWS]

Prints each dump's instructions per request, then the functions whose own (self) cost per
request differs most, then who calls the allocator more. Reads callgrind's text format as
written with --compress-strings=no --compress-pos=no: `fn=` opens a function, a `calls=` line
is followed by the inclusive cost of that call (not the caller's own), every other cost line
is the function's own.
"""
import collections
import re
import sys


def parse(path):
    own = collections.Counter()
    calls = collections.Counter()
    fn = callee = None
    after_calls = False
    with open(path, errors="replace") as lines:
        for line in lines:
            if line.startswith("fn="):
                fn = line[3:].rstrip("\n")
            elif line.startswith("cfn="):
                callee = line[4:].rstrip("\n")
            elif line.startswith("calls="):
                after_calls = True
            elif line[:1].isdigit() or line[:1] in "+-*":
                fields = line.split()
                if len(fields) < 2:
                    continue
                cost = int(fields[1])
                if after_calls:
                    calls[(fn, callee)] += cost
                    after_calls = False
                else:
                    own[fn] += cost
    return own, calls


def short(name):
    return re.sub(r"\S*/\.cargo/registry/src/[^/]+/", "", name)[:140]


def main():
    base, base_n, other, other_n = sys.argv[1], float(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    rows = int(sys.argv[5]) if len(sys.argv) > 5 else 30
    own_a, calls_a = parse(base)
    own_b, calls_b = parse(other)
    per_a = sum(own_a.values()) / base_n
    per_b = sum(own_b.values()) / other_n
    print(f"instructions per request: {per_a:,.0f} -> {per_b:,.0f} (difference {per_b - per_a:,.0f})")
    diff = {f: own_b[f] / other_n - own_a[f] / base_n for f in set(own_a) | set(own_b)}
    print("\nown cost per request, largest differences:")
    for f, d in sorted(diff.items(), key=lambda kv: -abs(kv[1]))[:rows]:
        print(f"{d:9.1f}  {short(f)}")
    callers = collections.Counter()
    for (f, callee), cost in calls_b.items():
        if callee and "__rust_alloc" in callee:
            callers[f] += cost / other_n
    for (f, callee), cost in calls_a.items():
        if callee and "__rust_alloc" in callee:
            callers[f] -= cost / base_n
    print("\nallocation cost per request by caller, largest differences:")
    for f, d in sorted(callers.items(), key=lambda kv: -abs(kv[1]))[:10]:
        print(f"{d:9.1f}  {short(f)}")


if __name__ == "__main__":
    main()
