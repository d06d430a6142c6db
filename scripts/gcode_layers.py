#!/usr/bin/env python3
"""Per G-code layer of a PrusaSlicer G-code: the support extruded there, by role and
layer height (the `;HEIGHT:` in force), in mm of path; and the object's path.

Usage: scripts/gcode_layers.py FILE.gcode [--below Z]
Shows how PrusaSlicer layers its supports (their own heights, not the object's):
S = support base, I = support interface, each keyed by height.
"""
import argparse
import math

ap = argparse.ArgumentParser()
ap.add_argument("gcode")
ap.add_argument("--below", type=float, default=1e9)
a = ap.parse_args()
layers, cur, typ, h, x, y = [], None, None, None, 0.0, 0.0
for line in open(a.gcode):
    if line.startswith(";Z:"):
        cur = {"z": float(line[3:]), "paths": {}}
        layers.append(cur)
    elif line.startswith(";TYPE:"):
        typ = line[6:].strip()
    elif line.startswith(";HEIGHT:"):
        h = round(float(line[8:]), 3)
    elif line.startswith("G1 "):
        nx, ny, de = x, y, 0.0
        for p in line.split(";")[0].split()[1:]:
            if p[0] == "X":
                nx = float(p[1:])
            elif p[0] == "Y":
                ny = float(p[1:])
            elif p[0] == "E":
                de = float(p[1:])
        d = math.hypot(nx - x, ny - y)
        x, y = nx, ny
        if cur is not None and de > 0 and d > 0 and typ:
            role = "S" if typ == "Support material" else "I" if typ.startswith("Support") else "object"
            key = role if role == "object" else f"{role} {h}"
            cur["paths"][key] = cur["paths"].get(key, 0.0) + d
for l in layers:
    if l["z"] > a.below:
        break
    support = {k: round(v) for k, v in l["paths"].items() if k != "object"}
    obj = l["paths"].get("object", 0.0)
    print(f"z {l['z']:.3f}  support {support}  object {obj:.0f} mm" if obj else f"z {l['z']:.3f}  support {support}")
