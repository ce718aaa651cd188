#!/usr/bin/env bash
# Model throughput (images/s) on this machine: forward (eval) and a full training step (forward + backward +
# AdamW, sparse KD loss) for TinyViT-5M at 224 px and the small-image TinyViT at 32 px, on 2 threads.
#   Benchmarks/scripts/model-throughput.sh [seconds-per-measurement]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER=${1:-10}
swift build -c release --product ModelThroughput >/dev/null
BIN=.build/release/ModelThroughput
$BIN --arch tinyvit-5m --image-size 224 --channels 3 --classes 1000 --batch 16 --threads 2 --seconds "$SECONDS_PER"
$BIN --arch tinyvit-mini --image-size 32 --channels 1 --classes 10 --batch 128 --threads 2 --seconds "$SECONDS_PER"
$BIN --arch tinyvit-5m --image-size 32 --channels 1 --classes 10 --batch 128 --threads 2 --seconds "$SECONDS_PER"
$BIN --arch resnet18 --image-size 32 --channels 1 --classes 10 --batch 128 --threads 2 --seconds "$SECONDS_PER"
