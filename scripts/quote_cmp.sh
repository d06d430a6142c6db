#!/usr/bin/env bash
# Are two `pricing` builds' estimates identical? `quote --json` compared byte for byte:
# every corpus mesh and 3MF fixture (and any extra files given) with supports on and
# off, then every corpus mesh (and the extra files) with supports on and one support key
# changed at a time (SUPPORT_SETS; the walk has paths of its own for each).
#
#   scripts/quote_cmp.sh BASE_BIN NEW_BIN [EXTRA_FILE ...]
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
# Runs one `quote --json` of file $1 with the remaining arguments through both builds.
compare() {
  local f=$1
  shift
  runs=$((runs + 1))
  "$base" quote --json "$@" "$f" > "$a" 2>/dev/null
  "$new" quote --json "$@" "$f" > "$b" 2>/dev/null
  if ! cmp -s "$a" "$b"; then
    echo "differs: $f ($*)"
    differ=$((differ + 1))
  fi
}
SUPPORT_SETS="support_material_buildplate_only=1 support_material_interface_layers=0
  support_material_contact_distance=0 raft_first_layer_expansion=0"
for f in fixtures/corpus/*.stl fixtures/corpus/*.STL fixtures/corpus/*.obj fixtures/corpus/*.gz fixtures/3mf/*.3mf "$@"; do
  [ -f "$f" ] || continue
  for s in on off; do
    compare "$f" --supports "$s"
  done
done
for f in fixtures/corpus/* "$@"; do
  [ -f "$f" ] || continue
  for set in $SUPPORT_SETS; do
    compare "$f" --supports on --set "$set"
  done
done
echo "$runs runs, $differ differ"
[ "$differ" -eq 0 ]
