#!/usr/bin/env bash
# Loader throughput, ours against a PyTorch DataLoader + timm transforms, side by side on this machine:
# 500x375 quality-90 JPEGs, the default policy at 224, batch 64, 2 workers each (2 cores).
#   Benchmarks/scripts/loader-vs-pytorch.sh [images]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-512}
WORK=${WORK:-/tmp/td-precompute-bench}
mkdir -p "$WORK"
[ -d "$WORK/jpegs" ] || /usr/bin/python3 Benchmarks/scripts/make-jpeg-folder.py "$WORK/jpegs" "$N" 500 375
swift build -c release --product tinydistill >/dev/null
BIN=.build/release/tinydistill
[ -f "$WORK/loader.tdstore" ] || $BIN precompute --data "$WORK/jpegs" --teacher synthetic:1000 --epochs 1 --topk 10 \
    --out "$WORK/loader.tdstore" >/dev/null 2>&1
echo "== tinydistill stream (replay from seeds, 2 workers)"
$BIN stream --store "$WORK/loader.tdstore" --data "$WORK/jpegs" --batch 64 --workers 2 --json
echo "== PyTorch DataLoader + timm (2 workers)"
/usr/bin/python3 Benchmarks/scripts/pytorch_loader_baseline.py "$WORK/jpegs" 2 64 10
