#!/usr/bin/env bash
# Regenerates pricing-core/src/profile/prusaslicer-2.5-fff-keys.txt: the setting names
# PrusaSlicer 2.5 knows for FFF printers (common + FFF option definitions of
# src/libslic3r/PrintConfig.cpp, with the per-axis machine limits and the filament
# retraction overrides its loops create). Only the names are taken, as data.
#
# usage: scripts/prusaslicer_keys.sh [PRUSASLICER_GIT_DIR] > pricing-core/src/profile/prusaslicer-2.5-fff-keys.txt
set -euo pipefail
REPO=${1:-/work/.mirror/prusa3d+PrusaSlicer/repo}
SRC=$(git -C "$REPO" show version_2.5.0:src/libslic3r/PrintConfig.cpp)
# From init_common_params() to the end of init_fff_params().
BODY=$(printf '%s\n' "$SRC" | sed -n '/^void PrintConfigDef::init_common_params()/,/^void PrintConfigDef::init_extruder_option_keys()/p')
{
  printf '%s\n' "$BODY" | grep -o 'add\(_nullable\)\?("[a-z0-9_]*"' | sed 's/.*("//; s/"$//' | grep -v '_$'
  for a in x y z e; do
    printf 'machine_max_feedrate_%s\nmachine_max_acceleration_%s\nmachine_max_jerk_%s\n' "$a" "$a" "$a"
  done
  # add_nullable(std::string("filament_") + opt_key, ...) over this list:
  printf '%s\n' "$BODY" | sed -n '/Declare retract values for filament profile/,/}) {/p' \
    | grep -o '"[a-z_]*"' | tr -d '"' | sed 's/^/filament_/'
} | sort -u
