#!/usr/bin/env python3
"""Baseline for docs/benchmarks.md: trimesh's load + volume + watertight check on one file.

Install trimesh outside the repo, e.g.
  python3 -m venv /tmp/tm && /tmp/tm/bin/pip install trimesh numpy scipy
  /tmp/tm/bin/python scripts/trimesh_baseline.py /tmp/lattice-1m.stl
Prints the median wall time of 5 runs.
"""
import statistics
import sys
import time

import trimesh

times = []
for _ in range(5):
    started = time.perf_counter()
    mesh = trimesh.load(sys.argv[1], process=True)
    volume, watertight = mesh.volume, mesh.is_watertight
    times.append(time.perf_counter() - started)
print(f"trimesh {trimesh.__version__}: median {statistics.median(times) * 1000:.0f} ms "
      f"over 5 runs (volume {volume:.1f} mm3, watertight {watertight})")
