#!/usr/bin/env python3
"""Writes a frustum that widens upwards at ANGLE degrees from horizontal (an overhang on
every layer), as an ASCII STL, to probe how PrusaSlicer layers supports under it.

Usage: scripts/overhang_cone.py ANGLE OUT.stl [--height 10] [--radius 5]
Then: prusa-slicer --load fixtures/accuracy/profiles/fine-rectilinear.ini --export-gcode \
        --center 100,100 --support-material -o OUT.gcode OUT.stl
      scripts/gcode_layers.py OUT.gcode --below 4
"""
import argparse
import math

ap = argparse.ArgumentParser()
ap.add_argument("angle", type=float)
ap.add_argument("out")
ap.add_argument("--height", type=float, default=10.0)
ap.add_argument("--radius", type=float, default=5.0)
ap.add_argument("--sections", type=int, default=128)
a = ap.parse_args()
if not 0 < a.angle < 90 or a.height <= 0 or a.radius <= 0 or a.sections < 3:
    ap.error("ANGLE must be between 0 and 90 degrees (exclusive), --height and --radius "
             "positive, --sections at least 3")
r0, h = a.radius, a.height
r1 = r0 + h / math.tan(math.radians(a.angle))
n = a.sections
ring = lambda r, z: [(r * math.cos(2 * math.pi * i / n), r * math.sin(2 * math.pi * i / n), z) for i in range(n)]
bot, top = ring(r0, 0.0), ring(r1, h)
tris = []
for i in range(n):
    j = (i + 1) % n
    tris += [(bot[i], top[j], bot[j]), (bot[i], top[i], top[j])]  # side, outward
    tris += [((0, 0, 0), bot[j], bot[i]), ((0, 0, h), top[i], top[j])]  # caps
with open(a.out, "w") as f:
    f.write("solid cone\n")
    for t in tris:
        (ax, ay, az), (bx, by, bz), (cx, cy, cz) = t
        ux, uy, uz, vx, vy, vz = bx - ax, by - ay, bz - az, cx - ax, cy - ay, cz - az
        nx, ny, nz = uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx
        l = math.sqrt(nx * nx + ny * ny + nz * nz) or 1.0
        f.write(f"facet normal {nx/l} {ny/l} {nz/l}\nouter loop\n")
        for p in t:
            f.write("vertex %r %r %r\n" % p)
        f.write("endloop\nendfacet\n")
    f.write("endsolid cone\n")
print(f"wrote {a.out}: {len(tris)} triangles, radius {r0} -> {r1:.2f} mm over {h} mm")
