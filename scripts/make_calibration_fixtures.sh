#!/bin/sh
# Writes fixtures/calibration/: 16 small parts and the G-code PrusaSlicer 2.5 writes for
# each with a fast printer's profile (fixtures/calibration/fast-printer.ini), the pairs
# `pricing calibrate` learns from (tests/calibrate_cli.rs, docs/calibration.md).
#
#   scripts/make_calibration_fixtures.sh            # from the repository root
#
# Needs python3 and prusa-slicer (apt-get install -y prusa-slicer). The parts come from
# the seeded generator scripts/heldout_parts.py (seed 4200, a set no estimator was tuned
# on), so the same command writes the same meshes; the G-code carries PrusaSlicer's
# estimate and its whole configuration at its end. Both are gzipped (-n: no name or
# time stamp, so a rerun gives the same bytes) to keep the fixtures small.
set -eu
OUT=fixtures/calibration
PROFILE="$OUT/fast-printer.ini"
SEED=4200
[ -f "$PROFILE" ] || { echo "run from the repository root ($PROFILE missing)" >&2; exit 2; }
command -v prusa-slicer >/dev/null || { echo "prusa-slicer not found: apt-get install -y prusa-slicer" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
python3 scripts/heldout_parts.py "$TMP/parts" "$SEED" >/dev/null
rm -f "$OUT"/*.stl.gz "$OUT"/*.gcode.gz
for mesh in "$TMP"/parts/*.stl; do
    stem=$(basename "$mesh" .stl)
    prusa-slicer --load "$PROFILE" --export-gcode --center 250,250 --no-support-material \
        -o "$TMP/$stem.gcode" "$mesh" >"$TMP/$stem.log" 2>&1 \
        || { echo "prusa-slicer failed on $stem:" >&2; tail -5 "$TMP/$stem.log" >&2; exit 1; }
    gzip -9n -c "$TMP/$stem.gcode" >"$OUT/$stem.gcode.gz"
    gzip -9n -c "$mesh" >"$OUT/$stem.stl.gz"
    printf '%s %s\n' "$stem" "$(grep -m1 '^; estimated printing time (normal mode)' "$TMP/$stem.gcode" | cut -d= -f2)"
done
cp "$TMP/parts/manifest.csv" "$OUT/manifest.csv"
du -ch "$OUT"/*.gz | tail -1
