#!/usr/bin/env bash
# Does leaving out the suspects help a student trained on noisy labels? Fashion-MNIST's train split with
# 5 % of its labels flipped (seed 1, as Benchmarks/scripts/label-noise.sh), precomputed with the demo's
# teacher and policy (2 epochs, K = 10); `inspect --label-noise --min-confidence 0.8` writes the suspects;
# the demo's student (tinyvit-mini) is trained from labels only at the demo's short budget (3 epochs of
# 120 batches of 128, label smoothing 0.1), with and without `--exclude suspects.txt`, and evaluated on
# the clean test split. Prints markdown. Usage: Benchmarks/scripts/label-noise-training.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-out/label-noise-training}
mkdir -p "$OUT"
swift build -c release --product tinydistill >/dev/null
BIN=$(swift build -c release --show-bin-path)/tinydistill
/usr/bin/python3 Benchmarks/scripts/flip-labels.py train "$OUT/train-labels"
DATA="fashion-mnist:train:$OUT/train-labels"
[ -f "$OUT/noisy.tdstore" ] || "$BIN" precompute --data "$DATA" --teacher models/fashion-mnist-teacher.safetensors \
  --policy examples/policy-fashion-mnist.json --epochs 2 --topk 10 --out "$OUT/noisy.tdstore" >/dev/null 2>&1
"$BIN" inspect "$OUT/noisy.tdstore" --label-noise --min-confidence 0.8 --out "$OUT/suspects.txt" --json > "$OUT/suspects.json"
common=(--store "$OUT/noisy.tdstore" --data "$DATA" --arch tinyvit-mini --epochs 3 --max-steps-per-epoch 120 --batch 128
        --lr 2e-3 --labels-only --label-smoothing 0.1 --threads 2 --workers 2 --eval fashion-mnist:test --json)
[ -f "$OUT/all/done.json" ] || { "$BIN" train "${common[@]}" --out "$OUT/all" > "$OUT/all.json" 2>/dev/null && cp "$OUT/all.json" "$OUT/all/done.json"; }
[ -f "$OUT/excluded/done.json" ] || { "$BIN" train "${common[@]}" --exclude "$OUT/suspects.txt" --out "$OUT/excluded" > "$OUT/excluded.json" 2>/dev/null && cp "$OUT/excluded.json" "$OUT/excluded/done.json"; }
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
suspects = json.load(open(f"{out}/suspects.json"))
print("| student (labels only, tinyvit-mini, 3 × 120 steps of 128) | samples left out | test top-1 per epoch | final test top-1 |")
print("|---|---|---|---|")
for name, label in [("all", "all 60,000 samples (5 % labels flipped)"), ("excluded", "suspects at mean p ≥ 0.8 left out")]:
    log = json.load(open(f"{out}/{name}.json"))
    tops = [e["eval_top1"] for e in log["epochs"]]
    print("| %s | %s | %s | %.2f %% |" % (label, log.get("excluded_samples") or 0, ", ".join("%.2f %%" % (100 * t) for t in tops), 100 * tops[-1]))
print()
print(f"Suspects: {len(suspects['suspects'])} of {suspects['samples']} samples.")
PY
