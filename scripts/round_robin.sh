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
for b in $bins; do
  grep "^$b " "$log" | awk -v b="$b" '
    BEGIN { mw = 1e9; mc = 1e9 }
    { if ($2 < mw) mw = $2; if ($3 + $4 < mc) mc = $3 + $4; if ($5 > rss) rss = $5 }
    END { printf "%-40s min wall %.2f s  min cpu %.2f s  peak rss %d MB\n", b, mw, mc, rss / 1024 }'
done
