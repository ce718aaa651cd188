#!/usr/bin/env bash
# Inference latency (ms per forward, 224 px, 1000 classes) of TinyViT-5M/11M/21M and EfficientFormer-L1/L3/L7
# at batch 1 and 64 on 1 and 2 threads, fused (BatchNorm folded, attention biases gathered once) and unfused.
# About 15 minutes on 2 cores; run it on a quiet machine.
#   Benchmarks/scripts/model-latency.sh [extra ModelLatency flags, e.g. --arch tinyvit-5m --batch 1]
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product ModelLatency >/dev/null
.build/release/ModelLatency "$@"
