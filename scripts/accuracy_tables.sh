#!/bin/bash
# Regenerates the per-profile tables of docs/accuracy.md: our FDM estimate against
# PrusaSlicer 2.5 on the corpus, for every profile in fixtures/accuracy/profiles.
# The rows were made with (PrusaSlicer 2.5, apt-get install prusa-slicer):
#   scripts/slice_reference.py fixtures/accuracy/manifest.csv fixtures/corpus \
#     fixtures/accuracy/rows/NAME-off.jsonl --profile fixtures/accuracy/profiles/NAME.ini --supports off
# (and --supports on for NAME-on.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q --bin pricing
for p in fixtures/accuracy/profiles/*.ini; do
  n=$(basename "$p" .ini)
  for mode in off on; do
    printf '%-18s %-3s ' "$n" "$mode"
    python3 scripts/compare_profile.py target/release/pricing "fixtures/accuracy/rows/$n-$mode.jsonl" "$p" | grep -E "^(no_supports|with_supports|support_filament):" | tr "\n" " "; echo
  done
done
