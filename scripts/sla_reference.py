#!/usr/bin/env python3
"""Slice meshes with PrusaSlicer's SLA export and record what it estimates.

For each row of a manifest (CSV with a header: file,scale,...) it runs

    prusa-slicer --export-sla --load PROFILE.ini --scale S -o out.sl1 MODEL

and reads the archive's config.ini, where PrusaSlicer writes its own statistics:
printTime (s), usedMaterial (ml: model + supports + pad, summed over the slices),
numFast / numSlow (layers with the fast and the slow tilt, so their sum is the layer
count) and numFade. One JSON object a line:

    {"file", "scale", "profile", "size_mm", "volume_mm3", "time_s", "resin_mm3",
     "layers", "fast_layers", "slow_layers", "slice_wall_s"}
or, for a part PrusaSlicer refused or that does not fit the printer's display as it
lies (x by display_width, y by display_height, z by max_print_height), "error" or
"skipped" in place of the figures.

Needs PrusaSlicer 2.5 (apt-get install prusa-slicer; the CLI works headless).
Usage:
    scripts/sla_reference.py MANIFEST.csv MODEL_DIR PROFILE.ini OUT.jsonl [--set key=value ...]

`--set` passes an override to PrusaSlicer (e.g. --set pad_enable=0) for experiments;
rows record the overrides.  Regenerate the committed rows with scripts/sla_references.sh.
"""
import argparse, csv, gzip, json, os, re, shutil, subprocess, sys, tempfile, time, zipfile


def read_conf(text):
    out = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def profile_keys(path):
    with open(path) as fh:
        return read_conf("\n".join(l for l in fh if not l.lstrip().startswith("#")))


def info(model, scale):
    """PrusaSlicer's own size and volume of the scaled mesh."""
    out = subprocess.run(["prusa-slicer", "--info", "--scale", str(scale), model],
                         capture_output=True, text=True, timeout=600).stdout
    fields = dict(re.findall(r"^(\w+) = (.*)$", out, re.M))
    try:
        size = [float(fields[k]) for k in ("size_x", "size_y", "size_z")]
        return size, float(fields["volume"])
    except (KeyError, ValueError):
        return None, None


def slice_sla(model, scale, profile, overrides, timeout):
    with tempfile.TemporaryDirectory() as tmp:
        if model.endswith(".gz"):
            plain = os.path.join(tmp, os.path.basename(model)[:-3])
            with gzip.open(model, "rb") as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst)
            model = plain
        keys = profile_keys(profile)
        size, volume = info(model, scale)
        if size is None:
            return {"error": "PrusaSlicer cannot read the mesh"}
        limits = [float(keys.get("display_width", 120)), float(keys.get("display_height", 68)),
                  float(keys.get("max_print_height", 200))]
        head = {"size_mm": [round(x, 3) for x in size], "volume_mm3": round(volume, 3)}
        if any(s > l for s, l in zip(size, limits)):
            return dict(head, skipped="larger than the printer (display x, y; max height z)")
        out = os.path.join(tmp, "out.sl1")
        cmd = ["prusa-slicer", "--export-sla", "--load", profile, "--scale", str(scale)]
        for kv in overrides:
            k, v = kv.split("=", 1)
            cmd += ["--" + k.replace("_", "-") + "=" + v]
        cmd += ["-o", out, model]
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout} s"}
        wall = time.perf_counter() - started
        if proc.returncode != 0 or not os.path.exists(out):
            return {"error": (proc.stderr or proc.stdout)[-400:].strip()}
        with zipfile.ZipFile(out) as z:
            conf = read_conf(z.read("config.ini").decode())
        fast, slow = int(conf["numFast"]), int(conf["numSlow"])
        return dict(head, **{
            "time_s": float(conf["printTime"]),
            "resin_mm3": round(float(conf["usedMaterial"]) * 1000.0, 3),
            "layers": fast + slow,
            "fast_layers": fast,
            "slow_layers": slow,
            "slice_wall_s": round(wall, 2),
        })


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("manifest")
    ap.add_argument("model_dir")
    ap.add_argument("profile")
    ap.add_argument("out")
    ap.add_argument("--set", action="append", default=[], dest="overrides")
    ap.add_argument("--only", action="append", default=[], help="only these files")
    ap.add_argument("--timeout", type=int, default=900)
    args = ap.parse_args()
    with open(args.manifest) as fh:
        rows = list(csv.DictReader(fh))
    with open(args.out, "w") as out:
        for row in rows:
            if args.only and row["file"] not in args.only:
                continue
            model = os.path.join(args.model_dir, row["file"])
            rec = {"file": row["file"], "scale": float(row["scale"]),
                   "profile": os.path.basename(args.profile)}
            if args.overrides:
                rec["overrides"] = args.overrides
            rec.update(slice_sla(model, row["scale"], args.profile, args.overrides, args.timeout))
            print(json.dumps(rec), file=out, flush=True)
            print(json.dumps(rec), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
