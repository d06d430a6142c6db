#!/usr/bin/env python3
"""Writes the held-out SLA parts: small mechanical parts the resin model is never tuned on.

Gears, knobs, spacers, clips, brackets, a hinge leaf, chess pieces, bolts and nuts, each
a closed, non-self-intersecting binary STL in millimetres, some tilted the way resin
parts are usually printed. The shapes come from a seeded generator, so the same command
writes the same files:

    scripts/heldout_parts.py fixtures/sla/heldout 9100   # the held-out set
    scripts/heldout_parts.py fixtures/sla/dev 1500       # the development set

The development set (seed 1500) was looked at while the model was built; the held-out
set (seed 9100) was compared after each model was settled, and its worst part looked
at once (docs/accuracy.md says when). For parts nobody has seen, draw another seed:
scripts/sla_unseen.py does that, slices them and compares. It also writes `manifest.csv` (file,scale,units,note) beside them, in the corpus format,
for scripts/sla_reference.py. Pure Python, no dependencies.
"""
import math, os, random, struct, sys

TAU = 2.0 * math.pi


# ---------------------------------------------------------------- mesh building blocks

class Mesh:
    def __init__(self):
        self.tris = []

    def tri(self, a, b, c):
        self.tris.append((a, b, c))

    def quad(self, a, b, c, d):
        self.tri(a, b, c)
        self.tri(a, c, d)

    def transformed(self, f):
        m = Mesh()
        m.tris = [tuple(f(p) for p in t) for t in self.tris]
        return m

    def extend(self, other):
        self.tris.extend(other.tris)
        return self


def ear_clip(poly):
    """Triangles (index triples) of a simple counter-clockwise polygon."""
    idx = list(range(len(poly)))
    out = []

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    def inside(p, a, b, c):
        return cross(a, b, p) >= 0 and cross(b, c, p) >= 0 and cross(c, a, p) >= 0

    guard = 0
    while len(idx) > 3 and guard < 100000:
        guard += 1
        n = len(idx)
        for k in range(n):
            i0, i1, i2 = idx[(k - 1) % n], idx[k], idx[(k + 1) % n]
            a, b, c = poly[i0], poly[i1], poly[i2]
            if cross(a, b, c) <= 1e-12:
                continue
            if any(inside(poly[j], a, b, c) for j in idx if j not in (i0, i1, i2)):
                continue
            out.append((i0, i1, i2))
            idx.pop(k)
            break
        else:
            raise ValueError("polygon is not simple")
    out.append(tuple(idx))
    return out


def signed_area(poly):
    return 0.5 * sum(poly[i][0] * poly[(i + 1) % len(poly)][1]
                     - poly[(i + 1) % len(poly)][0] * poly[i][1] for i in range(len(poly)))


def extrude(poly, height):
    """A prism over a simple polygon (no holes), z from 0 to height."""
    if signed_area(poly) < 0:
        poly = poly[::-1]
    m = Mesh()
    n = len(poly)
    for (i, j, k) in ear_clip(poly):
        a, b, c = poly[i], poly[j], poly[k]
        m.tri((a[0], a[1], height), (b[0], b[1], height), (c[0], c[1], height))
        m.tri((a[0], a[1], 0.0), (c[0], c[1], 0.0), (b[0], b[1], 0.0))
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        m.quad((a[0], a[1], 0.0), (b[0], b[1], 0.0), (b[0], b[1], height), (a[0], a[1], height))
    return m


def extrude_ring(outer, inner, height):
    """A prism over the region between two closed curves sampled at the same angles
    (counter-clockwise, each point of `inner` inside the matching one of `outer`)."""
    m = Mesh()
    n = len(outer)
    for i in range(n):
        j = (i + 1) % n
        o0, o1, i0, i1 = outer[i], outer[j], inner[i], inner[j]
        # caps
        m.quad((i0[0], i0[1], height), (o0[0], o0[1], height), (o1[0], o1[1], height),
               (i1[0], i1[1], height))
        m.quad((i0[0], i0[1], 0.0), (i1[0], i1[1], 0.0), (o1[0], o1[1], 0.0),
               (o0[0], o0[1], 0.0))
        # outer wall, inner wall (facing the axis)
        m.quad((o0[0], o0[1], 0.0), (o1[0], o1[1], 0.0), (o1[0], o1[1], height),
               (o0[0], o0[1], height))
        m.quad((i1[0], i1[1], 0.0), (i0[0], i0[1], 0.0), (i0[0], i0[1], height),
               (i1[0], i1[1], height))
    return m


def revolve(profile, segments=64):
    """A solid of revolution about z from a profile [(r, z), ...] running from the axis at
    the bottom up the outside and back to the axis at the top (r = 0 at both ends)."""
    m = Mesh()
    for s in range(segments):
        t0, t1 = TAU * s / segments, TAU * (s + 1) / segments
        c0, s0, c1, s1 = math.cos(t0), math.sin(t0), math.cos(t1), math.sin(t1)
        for (ra, za), (rb, zb) in zip(profile, profile[1:]):
            a0, a1 = (ra * c0, ra * s0, za), (ra * c1, ra * s1, za)
            b0, b1 = (rb * c0, rb * s0, zb), (rb * c1, rb * s1, zb)
            if ra == 0.0:
                m.tri(a0, b0, b1)
            elif rb == 0.0:
                m.tri(a0, a1, b0)
            else:
                m.quad(a0, a1, b1, b0)
    return m


def revolve_tube(outer, inner, segments=64):
    """A hollow solid of revolution: `outer` and `inner` are [(r, z)] from the bottom to the
    top at the same z values (inner r > 0), closed by flat rings at both ends."""
    m = Mesh()
    for s in range(segments):
        t0, t1 = TAU * s / segments, TAU * (s + 1) / segments
        c0, s0, c1, s1 = math.cos(t0), math.sin(t0), math.cos(t1), math.sin(t1)

        def p(r, z, c, sn):
            return (r * c, r * sn, z)

        for (ra, za), (rb, zb) in zip(outer, outer[1:]):
            m.quad(p(ra, za, c0, s0), p(ra, za, c1, s1), p(rb, zb, c1, s1), p(rb, zb, c0, s0))
        for (ra, za), (rb, zb) in zip(inner, inner[1:]):
            m.quad(p(ra, za, c1, s1), p(ra, za, c0, s0), p(rb, zb, c0, s0), p(rb, zb, c1, s1))
        (ro, zo), (ri, zi) = outer[0], inner[0]
        m.quad(p(ri, zi, c0, s0), p(ri, zi, c1, s1), p(ro, zo, c1, s1), p(ro, zo, c0, s0))
        (ro, zo), (ri, zi) = outer[-1], inner[-1]
        m.quad(p(ro, zo, c0, s0), p(ro, zo, c1, s1), p(ri, zi, c1, s1), p(ri, zi, c0, s0))
    return m


def rot_x(deg):
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return lambda p: (p[0], c * p[1] - s * p[2], s * p[1] + c * p[2])


def rot_y(deg):
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return lambda p: (c * p[0] + s * p[2], p[1], -s * p[0] + c * p[2])


def shift(dx, dy, dz):
    return lambda p: (p[0] + dx, p[1] + dy, p[2] + dz)


def on_bed(m):
    lo = [min(p[k] for t in m.tris for p in t) for k in range(3)]
    return m.transformed(shift(-lo[0], -lo[1], -lo[2]))


def write_stl(m, path):
    with open(path, "wb") as fh:
        fh.write(b"held-out SLA part".ljust(80, b" "))
        fh.write(struct.pack("<I", len(m.tris)))
        for a, b, c in m.tris:
            u = [b[k] - a[k] for k in range(3)]
            v = [c[k] - a[k] for k in range(3)]
            n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]
            ln = math.sqrt(sum(x * x for x in n)) or 1.0
            fh.write(struct.pack("<12fH", *[x / ln for x in n], *a, *b, *c, 0))


# ---------------------------------------------------------------------------- the parts

def circle(r, n, phase=0.0):
    return [(r * math.cos(TAU * i / n + phase), r * math.sin(TAU * i / n + phase)) for i in range(n)]


def gear(rng):
    teeth = rng.randint(12, 28)
    module = rng.uniform(0.8, 1.6)
    r_pitch = module * teeth / 2
    r_out, r_root = r_pitch + module, r_pitch - 1.25 * module
    n = teeth * 8
    outer = []
    for i in range(n):
        t = TAU * i / n
        phase = (i % 8) / 8.0
        r = r_out if 0.15 < phase < 0.55 else r_root
        outer.append((r * math.cos(t), r * math.sin(t)))
    bore = rng.uniform(1.5, 0.4 * r_root)
    return extrude_ring(outer, circle(bore, n), rng.uniform(3, 8)), f"spur gear, {teeth} teeth, m{module:.2f}"


def knob(rng):
    r = rng.uniform(6, 14)
    ribs = rng.randint(10, 24)
    n = ribs * 6
    outer = [((r + (0.8 if (i % 6) < 3 else 0.0)) * math.cos(TAU * i / n),
              (r + (0.8 if (i % 6) < 3 else 0.0)) * math.sin(TAU * i / n)) for i in range(n)]
    skirt = extrude_ring(outer, circle(rng.uniform(1.5, 3), n), rng.uniform(6, 14))
    return skirt, f"knurled knob, {ribs} ribs, radius {r:.1f}"


def spacer(rng):
    ro = rng.uniform(4, 12)
    ri = ro * rng.uniform(0.4, 0.75)
    m = extrude_ring(circle(ro, 64), circle(ri, 64), rng.uniform(2, 10))
    return m, f"spacer ring {2 * ro:.1f}/{2 * ri:.1f} mm"


def clip(rng):
    # A C-shaped spring clip: an arc band open on one side.
    ro = rng.uniform(5, 10)
    wall = rng.uniform(1.0, 2.0)
    gap = rng.uniform(0.6, 1.2)  # radians left open
    n = 48
    a0, a1 = gap / 2, TAU - gap / 2
    arc_o = [(ro * math.cos(a0 + (a1 - a0) * i / n), ro * math.sin(a0 + (a1 - a0) * i / n)) for i in range(n + 1)]
    arc_i = [((ro - wall) * math.cos(a1 - (a1 - a0) * i / n), (ro - wall) * math.sin(a1 - (a1 - a0) * i / n)) for i in range(n + 1)]
    return extrude(arc_o + arc_i, rng.uniform(3, 8)), f"C clip, radius {ro:.1f}, wall {wall:.1f}"


def bracket(rng):
    # An L profile extruded along y, so one leg stands and the other lies.
    a, b = rng.uniform(12, 30), rng.uniform(10, 25)
    t = rng.uniform(1.5, 3.5)
    profile = [(0, 0), (a, 0), (a, t), (t, t), (t, b), (0, b)]
    m = extrude(profile, rng.uniform(8, 25)).transformed(rot_x(90))
    return m, f"L bracket {a:.0f} x {b:.0f}, {t:.1f} thick"


def hinge(rng):
    # A hinge leaf: a plate with a round knuckle along one edge, extruded along x so the
    # knuckle lies horizontally (its underside needs supports).
    w, t = rng.uniform(12, 25), rng.uniform(1.5, 2.5)
    rk = rng.uniform(2.6, 4.0)
    yt = math.sqrt(rk * rk - (rk - t) ** 2)
    a0 = math.atan2(t - rk, yt)
    a1 = 1.5 * math.pi
    n = 40
    arc = [(rk * math.cos(a0 + (a1 - a0) * i / n), rk + rk * math.sin(a0 + (a1 - a0) * i / n))
           for i in range(1, n)]
    poly = [(0.0, 0.0), (rk + w, 0.0), (rk + w, t), (yt, t)] + arc
    m = extrude(poly, rng.uniform(15, 35)).transformed(rot_y(90))
    return m, f"hinge leaf {w:.0f} mm, knuckle r{rk:.1f}"


def pawn(rng):
    s = rng.uniform(0.8, 1.6)
    prof = [(0, 0), (9, 0), (9, 1.5), (7, 3), (5, 4), (3.5, 12), (5.5, 13), (3, 14.5),
            (4.2, 17), (3.8, 19.5), (2.2, 21), (0, 21.5)]
    prof = [(r * s, z * s) for r, z in prof]
    prof[0] = (0.0, 0.0)
    prof[-1] = (0.0, prof[-1][1])
    return revolve(prof, 72), f"chess pawn, {21.5 * s:.0f} mm tall"


def rook(rng):
    s = rng.uniform(0.8, 1.4)
    outer = [(9 * s, 0), (9 * s, 2 * s), (6 * s, 4 * s), (5 * s, 16 * s), (7 * s, 18 * s), (7 * s, 22 * s)]
    inner = [(4 * s, 0.0001 + 0), (4 * s, 2 * s), (3.5 * s, 4 * s), (3 * s, 16 * s), (5 * s, 18 * s), (5 * s, 22 * s)]
    # a hollow rook standing on its base ring: the cavity opens at the top
    return revolve_tube(outer, inner, 72), f"hollow chess rook, {22 * s:.0f} mm tall"


def bolt(rng):
    d = rng.uniform(4, 8)
    head_h = d * 0.7
    length = rng.uniform(10, 30)
    # standing on its hex head: the head, then the shank (one revolved profile with a
    # 6-sided head is not a revolve, so the head is a prism and the shank sits on it)
    head = extrude(circle(d * 0.9, 6), head_h)
    prof = [(0, 0), (d / 2, 0), (d / 2, length - d * 0.1), (d / 2 - d * 0.1, length), (0, length)]
    shank = revolve(prof, 48).transformed(shift(0, 0, head_h))
    m = head.extend(shank)
    note = f"M{d:.0f} bolt, {length:.0f} mm"
    if rng.random() < 0.5:
        # Lying on its side, the way a bolt blank is often printed.
        m = shank.transformed(rot_x(90)).transformed(shift(0, 0, 0))
        note = f"M{d:.0f} bolt shank lying down, {length:.0f} mm"
    return m, note


def nut(rng):
    d = rng.uniform(4, 10)
    m = extrude_ring(circle(d * 0.9, 6), circle(d / 2, 6), d * 0.8)
    return m, f"M{d:.0f} hex nut (hexagonal bore)"


def tilted(make, deg):
    def f(rng):
        m, note = make(rng)
        return m.transformed(rot_x(deg)), f"{note}, tilted {deg} deg"
    return f


PARTS = [
    ("gear_a", gear), ("gear_b", tilted(gear, 35)), ("knob_a", knob), ("knob_b", tilted(knob, 20)),
    ("spacer_a", spacer), ("spacer_b", tilted(spacer, 90)), ("clip_a", clip), ("clip_b", tilted(clip, 90)),
    ("bracket_a", bracket), ("bracket_b", tilted(bracket, 30)), ("hinge_a", hinge),
    ("pawn_a", pawn), ("rook_a", rook), ("bolt_a", bolt), ("bolt_b", bolt), ("nut_a", tilted(nut, 45)),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "fixtures/sla/heldout"
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 9100
    os.makedirs(out, exist_ok=True)
    rows = ["file,scale,units,note"]
    for i, (name, make) in enumerate(PARTS):
        rng = random.Random(seed + i)
        m, note = make(rng)
        m = on_bed(m)
        write_stl(m, os.path.join(out, name + ".stl"))
        rows.append(f"{name}.stl,1,mm,{note}")
    with open(os.path.join(out, "manifest.csv"), "w") as fh:
        fh.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
