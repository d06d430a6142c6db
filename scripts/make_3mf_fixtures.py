#!/usr/bin/env python3
"""Writes the hand-made 3MF fixtures under fixtures/3mf/ (and, with `bomb PATH`, the zip
bomb used to measure peak memory). Deterministic: the same bytes on every run.

    python3 scripts/make_3mf_fixtures.py            # fixtures/3mf/*.3mf
    python3 scripts/make_3mf_fixtures.py bomb /tmp/bomb.3mf   # model inflates to 1.5 GiB

Each fixture's true volume per item (mm^3) is in fixtures/3mf/expected.json, computed
here from the analytic shapes (boxes), not by the reader under test.
"""
import json
import math
import os
import sys
import zipfile

CORE = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
PROD = "http://schemas.microsoft.com/3dmanufacturing/production/2015/06"
MODEL_REL = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"
OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "3mf")


def box(x, y, z, ox=0.0, oy=0.0, oz=0.0):
    """Vertices and outward triangles of a box."""
    v = [(ox + (x if i & 1 else 0), oy + (y if i & 2 else 0), oz + (z if i & 4 else 0))
         for i in range(8)]
    # faces as quads of corner bits, counter-clockwise from outside
    quads = [(0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5)]
    t = []
    for a, b, c, d in quads:
        t += [(a, b, c), (a, c, d)]
    return v, t


def l_bracket():
    """An L-shaped prism (two boxes fused): 20x10x5 plus 5x10x15 on top of one end."""
    # Profile in x-z, extruded along y (0..10).
    prof = [(0, 0), (20, 0), (20, 5), (5, 5), (5, 20), (0, 20)]
    n = len(prof)
    v = [(x, 0.0, z) for x, z in prof] + [(x, 10.0, z) for x, z in prof]
    t = []
    for i in range(n):
        j = (i + 1) % n
        t += [(i, j, n + j), (i, n + j, n + i)]
    # caps: y=0 faces -y, y=10 faces +y (fan triangulation is valid for this L)
    caps = [(0, 1, 2), (0, 2, 3), (0, 3, 4), (0, 4, 5)]
    for a, b, c in caps:
        t.append((a, c, b))
        t.append((n + a, n + b, n + c))
    return v, t, 20 * 10 * 5 + 5 * 10 * 15


def fmt(x):
    return repr(float(x)).rstrip("0").rstrip(".") if "e" not in repr(float(x)) else repr(float(x))


def mesh_object(oid, name, v, t, extra=""):
    attrs = f' name="{name}"' if name else ""
    s = [f'  <object id="{oid}" type="model"{attrs}{extra}>\n   <mesh>\n    <vertices>\n']
    s += [f'     <vertex x="{fmt(a)}" y="{fmt(b)}" z="{fmt(c)}"/>\n' for a, b, c in v]
    s.append("    </vertices>\n    <triangles>\n")
    s += [f'     <triangle v1="{a}" v2="{b}" v3="{c}"/>\n' for a, b, c in t]
    s.append("    </triangles>\n   </mesh>\n  </object>\n")
    return "".join(s)


def model(unit, resources, build, prod=False):
    ns = f' xmlns:p="{PROD}" requiredextensions="p"' if prod else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<model unit="{unit}" xml:lang="en-US" '
            f'xmlns="{CORE}"{ns}>\n <metadata name="Application">pricing fixtures</metadata>\n'
            f' <resources>\n{resources} </resources>\n <build>\n{build} </build>\n</model>\n')


def transform(m):
    """3MF transform attribute from a column-vector affine 3x4 matrix (rows)."""
    return " ".join(fmt(m[r][c]) for c in range(4) for r in range(3))


def rot_z(deg, tx=0.0, ty=0.0, tz=0.0, s=1.0):
    a = math.radians(deg)
    c, si = math.cos(a) * s, math.sin(a) * s
    return [[c, -si, 0, tx], [si, c, 0, ty], [0, 0, s, tz]]


def rot_x(deg, tx=0.0, ty=0.0, tz=0.0):
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return [[1, 0, 0, tx], [0, c, -s, ty], [0, s, c, tz]]


def scale(sx, sy, sz, tx=0.0, ty=0.0, tz=0.0):
    return [[sx, 0, 0, tx], [0, sy, 0, ty], [0, 0, sz, tz]]


def item(oid, m=None, extra=""):
    tr = f' transform="{transform(m)}"' if m else ""
    return f'  <item objectid="{oid}"{tr}{extra}/>\n'


CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/content-types"><Default Extension="rels" ContentType="application/'
                 'vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" '
                 'ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>\n')


def rels(targets):
    r = "".join(f'<Relationship Target="{t}" Id="rel{i}" Type="{MODEL_REL}"/>' for i, t in enumerate(targets))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships">{r}</Relationships>\n')


def write(path, parts):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=(2026, 12, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


def package(path, model_path, model_xml, extra=()):
    write(path, [("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", rels(["/" + model_path])),
                 (model_path, model_xml)] + list(extra))


def det3(m):
    a = [row[:3] for row in m]
    return (a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]))


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    bv, bt = box(20, 10, 5)
    lv, lt, lvol = l_bracket()

    # Several objects, each placed once.
    cyl_v, cyl_t = box(8, 8, 30)
    res = mesh_object(1, "Plate", bv, bt) + mesh_object(2, "Bracket", lv, lt) + mesh_object(3, "Post", cyl_v, cyl_t)
    build = item(1, rot_z(0, 10, 10)) + item(2, rot_z(0, 50, 10)) + item(3, rot_z(0, 90, 10))
    package(f"{OUT}/several-objects.3mf", "3D/3dmodel.model", model("millimeter", res, build))
    expected["several-objects.3mf"] = [["Plate", 1, 1000.0], ["Bracket", 1, float(lvol)], ["Post", 1, 1920.0]]

    # Instances: the bracket three times rotated (one item, quantity 3), once scaled x1.5
    # and once rotated about x and scaled non-uniformly (two more items).
    s15 = rot_z(30, 0, 60, 0, 1.5)
    nonuni = scale(1.0, 2.0, 0.5, 60, 60, 0)
    build = (item(1, rot_z(0, 0, 0)) + item(1, rot_z(90, 40, 0)) + item(1, rot_x(90, 80, 0, 10))
             + item(1, s15) + item(1, nonuni))
    package(f"{OUT}/instances.3mf", "3D/3dmodel.model", model("millimeter", mesh_object(1, "Bracket", lv, lt), build))
    expected["instances.3mf"] = [["Bracket", 3, float(lvol)], ["Bracket", 1, lvol * det3(s15)],
                                 ["Bracket", 1, lvol * det3(nonuni)]]

    # An assembly: a frame of four posts and a plate, from components, the frame itself
    # a component of the assembly (two levels), placed rotated.
    pv, pt = box(2, 2, 10)
    res = (mesh_object(1, "Post", pv, pt) + mesh_object(2, "Top", *box(12, 12, 1))
           + '  <object id="3" name="Legs"><components>'
           + "".join(f'<component objectid="1" transform="{transform(rot_z(0, x, y, 0))}"/>'
                     for x, y in [(0, 0), (10, 0), (0, 10), (10, 10)])
           + '</components></object>\n'
           + f'  <object id="4" name="Stool" partnumber="ST-100"><components><component objectid="3"/>'
           + f'<component objectid="2" transform="{transform(rot_z(0, 0, 0, 10))}"/></components></object>\n')
    package(f"{OUT}/assembly.3mf", "3D/3dmodel.model", model("millimeter", res, item(4, rot_z(45, 50, 50))))
    expected["assembly.3mf"] = [["Stool", 1, 4 * 40.0 + 144.0]]

    # Units: the same box declared in inches, centimetres and microns.
    for unit, mm, v in [("inch", 25.4, box(2, 1, 0.5)), ("centimeter", 10.0, box(2, 1, 0.5)),
                        ("micron", 0.001, box(20000, 10000, 5000)), ("foot", 304.8, box(0.25, 0.125, 0.0625))]:
        x = v[0][-1]
        package(f"{OUT}/units-{unit}.3mf", "3D/3dmodel.model",
                model(unit, mesh_object(1, f"Block in {unit}", *v), item(1, rot_z(15, 1, 1))))
        vol = x[0] * x[1] * x[2] * mm ** 3
        expected[f"units-{unit}.3mf"] = [[f"Block in {unit}", 1, vol]]

    # Production extension as Bambu Studio / OrcaSlicer write it: each object's mesh in
    # 3D/Objects/object_N.model, the root holding components with p:path, names in
    # Metadata/model_settings.config, one modifier part to leave out.
    sub = model("millimeter", mesh_object(1, None, lv, lt, ' p:UUID="00010000-b206-40ff-9872-83e8017abed1"')
                + mesh_object(2, None, *box(4, 4, 4), ' p:UUID="00010001-b206-40ff-9872-83e8017abed1"'),
                "", prod=True)
    sub2 = model("millimeter", mesh_object(1, None, bv, bt), "", prod=True)
    root_res = ('  <object id="5" p:UUID="00000001-61cb-4c03-9d28-80fed5dfa1dc" type="model"><components>'
                '<component p:path="/3D/Objects/object_1.model" objectid="1" transform="1 0 0 0 1 0 0 0 1 0 0 0"/>'
                '<component p:path="/3D/Objects/object_1.model" objectid="2" transform="1 0 0 0 1 0 0 0 1 2 2 2"/>'
                '</components></object>\n'
                '  <object id="7" p:UUID="00000002-61cb-4c03-9d28-80fed5dfa1dc" type="model"><components>'
                '<component p:path="/3D/Objects/object_2.model" objectid="1"/></components></object>\n')
    build = (item(5, rot_z(0, 128, 128, 0), ' p:UUID="00000003-b1ec-4553-aec9-835e5b724bb4" printable="1"')
             + item(7, rot_z(90, 60, 128, 0), ' p:UUID="00000004-b1ec-4553-aec9-835e5b724bb4" printable="1"'))
    settings = ('<?xml version="1.0" encoding="UTF-8"?>\n<config>\n'
                ' <object id="5">\n  <metadata key="name" value="Bracket with modifier"/>\n'
                '  <part id="1" subtype="normal_part"><metadata key="name" value="bracket"/></part>\n'
                '  <part id="2" subtype="modifier_part"><metadata key="name" value="infill box"/></part>\n'
                ' </object>\n <object id="7">\n  <metadata key="name" value="Plate"/>\n'
                '  <part id="1" subtype="normal_part"/>\n </object>\n</config>\n')
    obj_rels = ('<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/'
                'package/2006/relationships">'
                f'<Relationship Target="/3D/Objects/object_1.model" Id="rel-1" Type="{MODEL_REL}"/>'
                f'<Relationship Target="/3D/Objects/object_2.model" Id="rel-2" Type="{MODEL_REL}"/></Relationships>\n')
    package(f"{OUT}/production-bambu.3mf", "3D/3dmodel.model", model("millimeter", root_res, build, prod=True),
            [("3D/_rels/3dmodel.model.rels", obj_rels), ("3D/Objects/object_1.model", sub),
             ("3D/Objects/object_2.model", sub2), ("Metadata/model_settings.config", settings)])
    expected["production-bambu.3mf"] = [["Bracket with modifier", 1, float(lvol)], ["Plate", 1, 1000.0]]

    # A non-printable item beside a printable one.
    res = mesh_object(1, "Part", bv, bt) + mesh_object(2, "Calibration tab", *box(5, 5, 1))
    build = item(1, rot_z(0, 10, 10)) + item(2, rot_z(0, 40, 10), ' printable="0"')
    package(f"{OUT}/non-printable.3mf", "3D/3dmodel.model", model("millimeter", res, build))
    expected["non-printable.3mf"] = [["Part", 1, 1000.0]]

    # A ZIP with no model in it.
    write(f"{OUT}/zip-without-model.zip", [("README.txt", "photos of the part, no model\n"),
                                           ("notes/order.txt", "50 pieces, PETG\n")])
    # Written by PrusaSlicer 2.5 (committed as they came out; not regenerated here):
    #   prusa-slicer --export-3mf --merge -o prusaslicer-two-objects.3mf \
    #       fixtures/cube-20mm.stl fixtures/corpus/cylinder.stl
    #   prusa-slicer --export-3mf --duplicate 3 --scale 1.5 --rotate 30 \
    #       -o prusaslicer-duplicates-scaled-rotated.3mf fixtures/cube-20mm.stl
    # True volumes: the inputs' (8000 mm^3; the cylinder's 25.0923875 mm^3 from
    # `pricing analyze --json --scale 1 fixtures/corpus/cylinder.stl`) times the scale cubed.
    expected["prusaslicer-two-objects.3mf"] = [["cube-20mm.stl", 1, 8000.0], ["cylinder.stl", 1, 25.0923875318713]]
    expected["prusaslicer-duplicates-scaled-rotated.3mf"] = [["cube-20mm.stl", 3, 8000.0 * 1.5 ** 3]]
    with open(f"{OUT}/expected.json", "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


def bomb(path):
    """A 3MF whose model part inflates to 1.5 GiB: one object whose vertex list is the
    same vertex repeated, deflated to a few MiB."""
    line = b'<vertex x="1.5" y="2.5" z="3.5"/>\n'
    head = model("millimeter", '  <object id="1" type="model"><mesh><vertices>\n', "").split("</resources>")[0]
    target = 3 << 29  # 1.5 GiB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", rels(["/3D/3dmodel.model"]))
        with z.open("3D/3dmodel.model", "w", force_zip64=True) as f:
            f.write(head.encode())
            chunk = line * ((1 << 20) // len(line))
            written = len(head)
            while written < target:
                f.write(chunk)
                written += len(chunk)
            f.write(b"</vertices><triangles/></mesh></object>\n </resources>\n <build><item objectid=\"1\"/></build>\n</model>\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "bomb":
        bomb(sys.argv[2])
    else:
        main()
