#!/usr/bin/env bash
# EfficientFormer's four latency observations on this CPU (libtorch, float32, eval, inference mode):
# patchify vs conv stems, 4D vs reshaped blocks, folded Conv-BN vs LayerNorm-Linear MLPs, GELU vs ReLU.
# Every case at batch 1 and 64 on 1 and 2 intra-op threads; median ms of repeated runs after warm-up
# (repetitions chosen for about SECONDS timed seconds each, at least 10, in 3 interleaved rounds).
# Prints a Markdown table, the ratios behind each observation and the case list; the raw numbers go to
# JSON_PATH.
# Other processes on the two cores distort the 2-thread numbers most: the load average is printed.
#   benchmarks/latency-observations.sh [SECONDS] [JSON_PATH]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=${1:-1.5}
JSON=${2:-.build/latency-observations.json}
swift build -c release --product LatencyObservations >/dev/null
BIN=$(swift build -c release --show-bin-path)/LatencyObservations
"$BIN" --batch 1,64 --threads 1,2 --seconds "$SECONDS_PER" --warmup 3 --rounds 3 --json "$JSON"
echo
echo "JSON: $JSON"
