#!/usr/bin/env bash
# Whole-process timing of several `pricing` builds on one file, for docs/benchmarks.md:
# every binary runs once per round, ROUNDS rounds, and each gets its minimum wall time,
# minimum CPU time (user + sys) and largest peak RSS (GNU time's %e %U %S %M).
#
#   scripts/round_robin.sh FILE ROUNDS "BIN1 BIN2 ..." quote --json
#
# Alternating the builds spreads the machine's drift over all of them alike.
set -euo pipefail
file=$1
rounds=$2
bins=$3
shift 3
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for _ in $(seq "$rounds"); do
  for b in $bins; do
    /usr/bin/time -f "$b %e %U %S %M" -a -o "$log" "$b" "$@" "$file" > /dev/null 2>&1
  done
done
# GNU time's %M is KiB; RSS is printed in MB (10^6 bytes) and as a multiple of the
# file's size, both in bytes, with the smallest and largest peak over the rounds.
size=$(stat -c %s "$file")
for b in $bins; do
  grep "^$b " "$log" | awk -v b="$b" -v size="$size" '
    BEGIN { mw = 1e9; mc = 1e9; lo = 1e18 }
    { if ($2 < mw) mw = $2; if ($3 + $4 < mc) mc = $3 + $4; if ($5 > hi) hi = $5; if ($5 < lo) lo = $5 }
    END { printf "%-40s min wall %.2f s  min cpu %.2f s  peak rss %.1f-%.1f MB (%.2f-%.2fx the file)\n",
          b, mw, mc, lo * 1024 / 1e6, hi * 1024 / 1e6, lo * 1024 / size, hi * 1024 / size }'
done
