#!/usr/bin/env python3
"""Where the resin of a PrusaSlicer SLA export goes: pad, supports under the part, part.

Reads an .sl1 archive (prusa-slicer --export-sla ... -o out.sl1), sums each layer PNG's
lit pixels (grey levels count as fractions) times the pixel area, and prints the volume
of three bands of layers: the pad (the first PAD mm), the support elevation (the next
ELEVATION mm) and the rest (the part, with the pillars beside it). The bands add up to
the archive's usedMaterial. -v prints every layer's area.

Needs Pillow and numpy (pip install pillow numpy).
Usage: scripts/sl1_layers.py OUT.sl1 [--pad 2] [--elevation 5] [--display 127x80] [-v]
"""
import argparse, io, zipfile

import numpy as np
from PIL import Image


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("archive")
    ap.add_argument("--pad", type=float, default=2.0, help="pad thickness + wall height, mm")
    ap.add_argument("--elevation", type=float, default=5.0, help="support_object_elevation, mm")
    ap.add_argument("--display", default="127x80", help="display width x height, mm")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    z = zipfile.ZipFile(a.archive)
    conf = {}
    for line in z.read("config.ini").decode().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            conf[k.strip()] = v.strip()
    h = float(conf["layerHeight"])
    names = sorted(n for n in z.namelist() if n.endswith(".png") and not n.startswith("thumbnail"))
    dw, dh = (float(x) for x in a.display.split("x"))
    areas = []
    for n in names:
        im = np.asarray(Image.open(io.BytesIO(z.read(n))).convert("L"), dtype=np.float64)
        # Portrait or landscape, the pixel is display size over pixel count on each axis.
        py, px = im.shape
        pw, ph = (dw / max(px, py), dh / min(px, py)) if px >= py else (dh / px, dw / py)
        areas.append(im.sum() / 255.0 * pw * ph)
    areas = np.array(areas)
    pad_n = int(round(a.pad / h))
    elev_n = int(round(a.elevation / h))
    print(f"layers {len(areas)}, layer height {h} mm, usedMaterial {float(conf.get('usedMaterial', 'nan')) * 1000:.1f} mm3, "
          f"sum of layers {areas.sum() * h:.1f} mm3")
    for lo, hi, label in [(0, pad_n, "pad"), (pad_n, pad_n + elev_n, "elevation"), (pad_n + elev_n, len(areas), "part and beside it")]:
        band = areas[lo:hi]
        if len(band):
            print(f"{label:>20}: layers {lo}-{hi - 1}, {band.sum() * h:.1f} mm3, first/last layer {band[0]:.2f} / {band[-1]:.2f} mm2")
    if a.v:
        for i, x in enumerate(areas):
            print(i, round(x, 3))


if __name__ == "__main__":
    main()
