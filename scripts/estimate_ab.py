#!/usr/bin/env python3
"""Same-session A/B of `pricing estimate` between two builds, runs alternating.

Machine speed on the shared VM drifts between sessions (unchanged code measured 24-69%
slower from one to the next, docs/benchmarks.md), so a speed-up is only shown by timing
both builds in one session. Build the older commit in a worktree, e.g.
  git worktree add /tmp/base 5c4857c
  (cd /tmp/base && CARGO_TARGET_DIR=/tmp/base-target cargo build --release -p pricing)
  cargo build --release
  gunzip -c fixtures/corpus/gyroid_lattice_40mm.stl.gz > /tmp/gyroid.stl
  cargo run --release -p pricing-core --example write_lattice -- /tmp/lattice-1m.stl
  python3 scripts/estimate_ab.py /tmp/base-target/release/pricing target/release/pricing 9
Prints the median of the CLI's own `elapsed_ms` (read + analyse + FDM estimate with
supports) per part.
"""
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fixtures", "corpus")
CASES = [
    ("cube", [os.path.join(ROOT, "fixtures", "cube-20mm.stl")]),
    ("angle_block", ["--scale", "25.4", os.path.join(CORPUS, "angle_block.STL")]),
    ("unit_sphere", ["--scale", "20", os.path.join(CORPUS, "unit_sphere.STL")]),
    ("rabbit", ["--scale", "15", os.path.join(CORPUS, "rabbit.obj")]),
    ("gyroid_678k", ["/tmp/gyroid.stl"]),
    ("torus_lattice_1m", ["/tmp/lattice-1m.stl"]),
]

before, after = sys.argv[1], sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 9
for name, args in CASES:
    if not os.path.exists(args[-1]):
        print(f"{name:18s} skipped: {args[-1]} is missing")
        continue
    times = {before: [], after: []}
    for _ in range(runs):
        for binary in (before, after):
            out = subprocess.run(
                [binary, "estimate", "--json"] + args, capture_output=True, text=True, check=True
            ).stdout
            times[binary].append(json.loads(out)["elapsed_ms"])
    b, a = statistics.median(times[before]), statistics.median(times[after])
    print(f"{name:18s} before {b:9.2f} ms  after {a:9.2f} ms  x{b / a:5.2f}")
