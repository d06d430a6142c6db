#!/bin/sh
# Compares the resin estimates of two pricing binaries: every development part and
# every corpus mesh (plus any extra files given), on both SLA profiles of fixtures/sla/.
# Prints the rows that differ (material, support and contact area in mm³/mm², time in s,
# from `estimate --technology sla --json`) and how many of how many agree.
# Usage: scripts/sla_cmp.sh BASE_BINARY NEW_BINARY [extra mesh files...]
set -e
cd "$(dirname "$0")/.."
base=$1 new=$2
shift 2
figures() {
  "$1" estimate --technology sla --profile "fixtures/sla/$2.ini" --json "$3" 2>/dev/null | python3 -c '
import json, sys
try:
    e = json.load(sys.stdin)["estimate"]
    print(e["material_mm3"], e["support_mm3"], e["support_contact_area_mm2"], e["print_time_s"])
except Exception as x:
    print("error", type(x).__name__)'
}
same=0 all=0
for profile in sl1s-0.05 fast-0.1; do
  for f in fixtures/sla/dev/*.stl fixtures/corpus/*.stl fixtures/corpus/*.STL fixtures/corpus/*.obj "$@"; do
    a=$(figures "$base" $profile "$f")
    b=$(figures "$new" $profile "$f")
    all=$((all + 1))
    if [ "$a" = "$b" ]; then same=$((same + 1)); else echo "$profile $f: $a -> $b"; fi
  done
done
echo "$same of $all estimates identical"
