#!/usr/bin/env bash
# How well `inspect --label-noise` finds mislabelled samples. A copy of a Fashion-MNIST split's labels
# gets a known 5 % flipped to another class (seed 1: numpy's default_rng(1) picks the samples and their
# new classes), the demo's teacher (models/fashion-mnist-teacher.safetensors) precomputes the split with
# the demo's policy, and the detector's suspects are scored against the flipped set at a few thresholds.
# Both splits: `train` (the teacher was trained on these images with their clean labels, so it knows
# them: an optimistic case) and `test` (images the teacher never saw).
# Prints markdown. Usage: Benchmarks/scripts/label-noise.sh [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/../.."
EPOCHS=${1:-2}
swift build -c release --product tinydistill >/dev/null
BIN=$(swift build -c release --show-bin-path)/tinydistill
WORK=$(mktemp -d "${TMPDIR:-/tmp}/td-noise.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
echo "| split | samples | flipped | epochs | min confidence | suspects | precision | recall |"
echo "|---|---|---|---|---|---|---|---|"
for split in test train; do
  /usr/bin/python3 Benchmarks/scripts/flip-labels.py "$split" "$WORK/$split-labels" "$WORK/$split-flipped.txt"
  data="fashion-mnist:$split:$WORK/$split-labels"
  "$BIN" precompute --data "$data" --teacher models/fashion-mnist-teacher.safetensors --policy examples/policy-fashion-mnist.json \
    --epochs "$EPOCHS" --topk 10 --out "$WORK/$split.tdstore" >/dev/null 2>&1
  for t in 0.5 0.7 0.8 0.9; do
    "$BIN" inspect "$WORK/$split.tdstore" --label-noise --min-confidence "$t" --json > "$WORK/s.json"
    python3 - "$WORK/s.json" "$WORK/$split-flipped.txt" "$split" "$t" "$EPOCHS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
truth = set(open(sys.argv[2]).read().split())
found = {s["key"] for s in r["suspects"]}
hit = len(found & truth)
precision = hit / len(found) if found else float("nan")
print("| %s | %d | %d | %s | %s | %d | %.3f | %.3f |" % (sys.argv[3], r["samples"], len(truth), sys.argv[5], sys.argv[4], len(found), precision, hit / len(truth)))
PY
  done
done
