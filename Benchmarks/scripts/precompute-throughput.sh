#!/usr/bin/env bash
# precompute throughput on 2 cores (release build):
#  1. pipeline overhead: synthetic teacher (a hash of the pixels: free) on 500x375 JPEGs, default policy at
#     224 -> decode + augment + top-K + store, records/s;
#  2. tinyvit-5m (random weights) as the teacher at 224: teacher images/s and the share of wall time spent
#     outside the teacher.
#   Benchmarks/scripts/precompute-throughput.sh [images]   (needs python3-pil for the JPEG folder)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-512}
WORK=${WORK:-/tmp/td-precompute-bench}
mkdir -p "$WORK"
[ -d "$WORK/jpegs" ] || /usr/bin/python3 Benchmarks/scripts/make-jpeg-folder.py "$WORK/jpegs" "$N" 500 375
swift build -c release --product tinydistill >/dev/null
swift build -c release --product ModelThroughput >/dev/null
BIN=.build/release/tinydistill
[ -f "$WORK/tinyvit-5m.safetensors" ] || .build/release/ModelThroughput --arch tinyvit-5m --save-weights "$WORK/tinyvit-5m.safetensors"
rm -f "$WORK"/*.tdstore*
echo "== synthetic teacher, $N JPEGs x 2 epochs, default policy at 224, 2 threads"
$BIN precompute --data "$WORK/jpegs" --teacher synthetic:1000 --epochs 2 --topk 10 --threads 2 --batch 64 --out "$WORK/synthetic.tdstore" --json 2>/dev/null
echo "== tinyvit-5m teacher at 224, 96 JPEGs x 1 epoch, 2 threads"
[ -d "$WORK/jpegs-96" ] || /usr/bin/python3 Benchmarks/scripts/make-jpeg-folder.py "$WORK/jpegs-96" 96 500 375
$BIN precompute --data "$WORK/jpegs-96" --teacher "$WORK/tinyvit-5m.safetensors" --epochs 1 --topk 10 --threads 2 --batch 32 \
    --out "$WORK/tinyvit.tdstore" --json
