#!/usr/bin/env bash
# What Swift's bounds and overflow checks cost the modules that used to be built with -Ounchecked:
# two release builds side by side, every module checked (TINYDISTILL_OUNCHECKED=none) and every module
# unchecked (=all, the old setting), measured in alternating rounds on the same machine.
# - Store: StoreThroughput (C = 1000, K = 10 and 100, fp16 and q8; write and read records/s).
# - Images and Augment: AugmentStages (JPEG decode, then each augmentation stage, ms).
# Prints markdown; Usage: Benchmarks/scripts/ounchecked-cost.sh [ROUNDS] [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
N=${2:-200000}
for mode in none all; do
  TINYDISTILL_OUNCHECKED=$mode swift build -c release --scratch-path ".build-ounchecked-$mode" \
    --product StoreThroughput >/dev/null
  TINYDISTILL_OUNCHECKED=$mode swift build -c release --scratch-path ".build-ounchecked-$mode" \
    --product AugmentStages >/dev/null
done
bin() { echo "$(TINYDISTILL_OUNCHECKED=$1 swift build -c release --scratch-path ".build-ounchecked-$1" --show-bin-path)/$2"; }
echo "## Store: records/s, median (min–max) of 3 whole runs, per round"
echo
echo "| round | build | C | K | codec | records/chunk | written | read |"
echo "|---|---|---|---|---|---|---|---|"
for r in $(seq 1 "$ROUNDS"); do
  for mode in none all; do
    for K in 10 100; do
      for CODEC in fp16 q8; do
        row=$("$(bin $mode StoreThroughput)" 1000 "$K" "$CODEC" "$N" 4096 3 3)
        echo "| $r | $([ $mode = none ] && echo checked || echo unchecked) |${row#|}"
      done
    done
  done
done
echo
echo "## Images and Augment: mean ms per stage (500×375 q90 JPEG, 224 output), per round"
echo
for r in $(seq 1 "$ROUNDS"); do
  for mode in none all; do
    "$(bin $mode AugmentStages)" | sed "s/^/$r $([ $mode = none ] && echo checked || echo unchecked) /"
  done
done
