#!/usr/bin/env python3
"""The resin estimate against PrusaSlicer on parts nobody has looked at yet.

The committed held-out set (seed 9100) has been compared against more than once, so it
is no longer unseen. This draws a fresh set from the same generator with any other seed,
slices it with PrusaSlicer 2.5 for each profile, and prints each part's time and resin
error of `pricing estimate --technology sla` with the median and nearest-rank p90:

    scripts/sla_unseen.py SEED [--out DIR] [--pricing target/release/pricing]
                          [--profiles fixtures/sla/sl1s-0.05.ini,fixtures/sla/fast-0.1.ini]

Slicing takes a few minutes per profile on 2 cores (apt-get install prusa-slicer). The
parts and reference rows stay in DIR (default /tmp/sla-unseen-SEED); a second run with
the same DIR reuses the rows.
"""
import argparse, json, math, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def quantile(xs, q):
    # Nearest rank, as the accuracy test computes it.
    s = sorted(xs)
    return s[max(0, math.ceil(q * len(s)) - 1)] if s else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("seed", type=int)
    ap.add_argument("--out")
    ap.add_argument("--pricing", default=os.path.join(ROOT, "target/release/pricing"))
    ap.add_argument("--profiles", default="fixtures/sla/sl1s-0.05.ini,fixtures/sla/fast-0.1.ini")
    a = ap.parse_args()
    out = a.out or f"/tmp/sla-unseen-{a.seed}"
    if not os.path.exists(os.path.join(out, "manifest.csv")):
        subprocess.run([sys.executable, os.path.join(HERE, "heldout_parts.py"), out, str(a.seed)],
                       check=True, stdout=subprocess.DEVNULL)
    for profile in a.profiles.split(","):
        profile = os.path.join(ROOT, profile) if not os.path.isabs(profile) else profile
        name = os.path.splitext(os.path.basename(profile))[0]
        rows = os.path.join(out, f"reference-{name}.jsonl")
        if not os.path.exists(rows):
            subprocess.run([sys.executable, os.path.join(HERE, "sla_reference.py"),
                            os.path.join(out, "manifest.csv"), out, profile, rows], check=True)
        times, resins = [], []
        print(f"\n### seed {a.seed}, {name}\n")
        print("| model | time | resin |")
        print("| --- | ---: | ---: |")
        for line in open(rows):
            v = json.loads(line)
            if "time_s" not in v or "resin_mm3" not in v:
                print(f"| {v['file']} | not sliced | |")
                continue
            est = subprocess.run([a.pricing, "estimate", "--technology", "sla", "--profile", profile,
                                  "--scale", str(v.get("scale", 1.0)), "--json",
                                  os.path.join(out, v["file"])],
                                 check=True, capture_output=True, text=True)
            e = json.loads(est.stdout)["estimate"]
            rt = e["print_time_s"] / v["time_s"] - 1.0
            rr = e["material_mm3"] / v["resin_mm3"] - 1.0
            times.append(abs(rt))
            resins.append(abs(rr))
            print(f"| {v['file']} | {100 * rt:+.1f}% | {100 * rr:+.1f}% |")
        print(f"\nseed {a.seed}, {name}, {len(times)} parts: time median {100 * quantile(times, 0.5):.1f}% "
              f"p90 {100 * quantile(times, 0.9):.1f}%; resin median {100 * quantile(resins, 0.5):.1f}% "
              f"p90 {100 * quantile(resins, 0.9):.1f}%")


if __name__ == "__main__":
    main()
