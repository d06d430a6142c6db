#!/usr/bin/env bash
# The support settings scripts/quote_cmp.sh does not vary: every corpus mesh (and any
# extra files) quoted by two builds with supports on and one support key changed at a
# time, compared byte for byte.
#
#   scripts/quote_cmp_sets.sh BASE_BIN NEW_BIN [EXTRA_FILE ...]
set -uo pipefail
base=$1
new=$2
shift 2
cd "$(dirname "$0")/.."
a=$(mktemp)
b=$(mktemp)
trap 'rm -f "$a" "$b"' EXIT
runs=0
differ=0
for f in fixtures/corpus/* "$@"; do
  [ -f "$f" ] || continue
  for set in support_material_buildplate_only=1 support_material_interface_layers=0 \
    support_material_contact_distance=0 raft_first_layer_expansion=0; do
    runs=$((runs + 1))
    "$base" quote --json --supports on --set "$set" "$f" > "$a" 2>/dev/null
    "$new" quote --json --supports on --set "$set" "$f" > "$b" 2>/dev/null
    if ! cmp -s "$a" "$b"; then
      echo "differs: $f ($set)"
      differ=$((differ + 1))
    fi
  done
done
echo "$runs runs, $differ differ"
[ "$differ" -eq 0 ]
