#!/usr/bin/env python3
"""Slices meshes with PrusaSlicer 2.5 and records what it says, one JSON row per mesh.

Like `../shared/reference/slicer_reference.py` (same fields), plus what the estimator's
development needs: any profile (or several layered, as PrusaSlicer's --load does), the
time per extrusion role and per move type re-timed from the G-code by
`scripts/gcode_times.py`, and the number of layer changes.

Rows: file, scale, profile, and for `no_supports` / `with_supports`: time_s,
filament_mm3, layers, filament_mm3_by_role, time_s_by_role, time_s_by_kind,
slice_wall_s (or error).

Usage:
  slice_reference.py MANIFEST.csv MODEL_DIR OUT.jsonl --profile A.ini [--profile B.ini]
                     [--supports both|on|off] [--keep-gcode DIR] [--only NAME,NAME]
Needs: apt-get install prusa-slicer (2.5.x)
"""
import argparse
import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gcode_times  # noqa: E402


def filament_area(cfg):
    d = float(cfg.get("filament_diameter", "1.75").split(",")[0])
    return math.pi * (d / 2) ** 2


def read_gcode(path):
    role, per_role, layers = "none", {}, 0
    time_s = filament = None
    with open(path) as fh:
        lines = fh.read().splitlines()
    cfg = gcode_times.read_config(lines)
    area = filament_area(cfg)
    relative = cfg.get("use_relative_e_distances", "1") == "1"
    e_abs = 0.0
    for line in lines:
        if line.startswith(";TYPE:"):
            role = line[6:].strip()
        elif line.startswith(";LAYER_CHANGE"):
            layers += 1
        elif line.startswith("G92") and " E" in line:
            e_abs = float(re.search(r" E(-?[\d.]+)", line).group(1))
        elif line.startswith(("G1 ", "G2 ", "G3 ")) and " E" in line and (" X" in line or " Y" in line):
            e = float(re.search(r" E(-?[\d.]+)", line).group(1))
            if not relative:
                e, e_abs = e - e_abs, e
            if e > 0:
                per_role[role] = per_role.get(role, 0.0) + e * area
        elif line.startswith("; estimated printing time (normal mode)"):
            time_s = gcode_times.seconds(line.split("=", 1)[1])
        elif line.startswith("; filament used [mm] ="):
            filament = float(line.split("=", 1)[1]) * area
    return time_s, filament, layers, per_role


def slice_once(path, scale, supports, profiles, timeout, keep):
    with tempfile.TemporaryDirectory() as tmp:
        gcode = os.path.join(tmp, "out.gcode")
        cmd = ["prusa-slicer"]
        for p in profiles:
            cmd += ["--load", p]
        cmd += ["--export-gcode", "--center", "250,250", "--scale", str(scale),
                "--support-material" if supports else "--no-support-material", "-o", gcode, path]
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": "timeout", "slice_wall_s": timeout}
        wall = time.perf_counter() - started
        if proc.returncode != 0 or not os.path.exists(gcode):
            return {"error": (proc.stderr or proc.stdout)[-400:], "slice_wall_s": round(wall, 3)}
        time_s, filament, layers, per_role = read_gcode(gcode)
        sim = gcode_times.simulate(gcode)
        if keep:
            os.makedirs(keep, exist_ok=True)
            name = os.path.basename(path) + (".on" if supports else ".off") + ".gcode"
            os.replace(gcode, os.path.join(keep, name))
        return {
            "time_s": time_s, "filament_mm3": filament, "layers": layers,
            "filament_mm3_by_role": {k: round(v, 2) for k, v in sorted(per_role.items())},
            "time_s_by_role": sim["by_role_s"], "time_s_by_kind": sim["by_kind_s"],
            "simulated_time_s": round(sim["time_s"], 1),
            "slice_wall_s": round(wall, 3),
        }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("manifest")
    ap.add_argument("model_dir")
    ap.add_argument("out")
    ap.add_argument("--profile", action="append", required=True)
    ap.add_argument("--supports", default="both", choices=["both", "on", "off"])
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--keep-gcode")
    ap.add_argument("--only")
    a = ap.parse_args()
    only = set(a.only.split(",")) if a.only else None
    modes = {"both": (False, True), "on": (True,), "off": (False,)}[a.supports]
    with open(a.manifest) as fh, open(a.out, "a") as out:
        for row in csv.DictReader(fh):
            if only and row["file"] not in only:
                continue
            path = os.path.join(a.model_dir, row["file"])
            scale = float(row.get("scale") or 1)
            rec = {"file": row["file"], "scale": scale,
                   "profile": [os.path.basename(p) for p in a.profile]}
            for supports in modes:
                key = "with_supports" if supports else "no_supports"
                rec[key] = slice_once(path, scale, supports, a.profile, a.timeout, a.keep_gcode)
            out.write(json.dumps(rec) + "\n")
            out.flush()
            print(rec["file"], *(rec[k].get("time_s") for k in ("no_supports", "with_supports") if k in rec),
                  file=sys.stderr)


if __name__ == "__main__":
    main()
