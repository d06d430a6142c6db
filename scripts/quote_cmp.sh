#!/usr/bin/env bash
# Are two `pricing` builds' estimates identical? `quote --json` of every corpus mesh and
# 3MF fixture (and any extra files given), supports on and off, compared byte for byte.
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
for f in fixtures/corpus/*.stl fixtures/corpus/*.STL fixtures/corpus/*.obj fixtures/corpus/*.gz fixtures/3mf/*.3mf "$@"; do
  [ -f "$f" ] || continue
  for s in on off; do
    runs=$((runs + 1))
    "$base" quote --json --supports "$s" "$f" > "$a" 2>/dev/null
    "$new" quote --json --supports "$s" "$f" > "$b" 2>/dev/null
    if ! cmp -s "$a" "$b"; then
      echo "differs: $f (supports $s)"
      differ=$((differ + 1))
    fi
  done
done
echo "$runs runs, $differ differ"
[ "$differ" -eq 0 ]
