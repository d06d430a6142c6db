#!/usr/bin/env python3
"""Where a PrusaSlicer SLA export puts its supports beside the part, layer by layer.

Takes two exports of the same part with the same profile: one as printed (supports and
pad on) and one of the part alone (supports_enable = 0, pad_enable = 0). The part alone
starts on the platform; as printed it starts BELOW mm higher (pad_wall_thickness +
support_object_elevation). Each printed layer minus the part-alone layer at the same
height of the part is the support there: its area, and how many separate blobs it makes
(pillars, or pillars joined by braces; heads near the top).

Needs Pillow, numpy and scipy (pip install pillow numpy scipy).
Usage: scripts/sl1_support_area.py ON.sl1 OFF.sl1 [--below 5.5] [--display 120x68] [--every 1.0]
"""
import argparse, io, zipfile

import numpy as np
from PIL import Image
from scipy import ndimage


def layers(path):
    z = zipfile.ZipFile(path)
    names = sorted(n for n in z.namelist() if n.endswith(".png") and not n.startswith("thumbnail"))
    conf = {}
    for line in z.read("config.ini").decode().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            conf[k.strip()] = v.strip()
    return z, names, float(conf["layerHeight"])


def image(z, name):
    return np.asarray(Image.open(io.BytesIO(z.read(name))).convert("L"), dtype=np.float64) / 255.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("on", help="export with supports and pad")
    ap.add_argument("off", help="export of the part alone")
    ap.add_argument("--below", type=float, default=5.5,
                    help="mm under the part as printed: pad_wall_thickness + support_object_elevation")
    ap.add_argument("--display", default="120x68", help="display width x height, mm")
    ap.add_argument("--every", type=float, default=1.0, help="print every this many mm")
    a = ap.parse_args()
    zon, on, h = layers(a.on)
    zoff, off, _ = layers(a.off)
    shift = round(a.below / h)
    dw, dh = (float(x) for x in a.display.split("x"))
    step = max(1, round(a.every / h))
    total = 0.0
    for k in range(len(off)):
        if k + shift >= len(on):
            break
        printed, alone = image(zon, on[k + shift]), image(zoff, off[k])
        py, px = printed.shape
        pixel = (dw / max(px, py)) * (dh / min(px, py))
        support = printed.sum() * pixel - alone.sum() * pixel
        total += support * h
        if k % step == 0:
            # Blobs away from the part (grown by 2 px so its anti-aliased edge is not one).
            part = ndimage.binary_dilation(alone > 0.05, iterations=2)
            lit = (printed > 0.5) & ~part
            labels, n = ndimage.label(lit)
            sizes = ndimage.sum(lit, labels, range(1, n + 1)) * pixel
            blobs = sum(1 for s in sizes if s > 0.2)
            print(f"z = {k * h:6.2f} mm of the part: support {support:7.2f} mm2 in {blobs} blobs")
    print(f"support beside the part: {total:.1f} mm3 (printed minus alone, over the part's layers)")


if __name__ == "__main__":
    main()
