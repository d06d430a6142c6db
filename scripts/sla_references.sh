#!/bin/sh
# Regenerates every committed SLA reference row (fixtures/sla/reference/*.jsonl) with
# PrusaSlicer 2.5's --export-sla: the corpus, the development parts and the held-out
# parts, for each profile in fixtures/sla/. About 40 minutes on 2 cores.
# PrusaSlicer seeds its support-point sampler from std::random_device, so its resin
# figures move by about ±0.5% from run to run (the 20 mm cube: 9933-10024 mm³).
set -e
cd "$(dirname "$0")/.."
python3 scripts/heldout_parts.py fixtures/sla/dev 1500
python3 scripts/heldout_parts.py fixtures/sla/heldout 9100
for profile in sl1s-0.05 fast-0.1; do
  python3 scripts/sla_reference.py fixtures/corpus/manifest.csv fixtures/corpus \
    fixtures/sla/$profile.ini fixtures/sla/reference/corpus-$profile.jsonl
  for set in dev heldout; do
    python3 scripts/sla_reference.py fixtures/sla/$set/manifest.csv fixtures/sla/$set \
      fixtures/sla/$profile.ini fixtures/sla/reference/$set-$profile.jsonl
  done
done
