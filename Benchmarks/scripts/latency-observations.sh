#!/usr/bin/env bash
# EfficientFormer's four latency observations on this CPU (libtorch, float32, eval, inference mode):
# patchify vs conv stems, 4D vs reshaped blocks, folded Conv-BN vs LayerNorm-Linear MLPs, GELU vs ReLU.
# Every case at batch 1 and 64 on 1 and 2 intra-op threads; median ms of repeated runs after warm-up
# (repetitions chosen for about SECONDS timed seconds each, at least 9, in 3 interleaved rounds).
# Prints a Markdown table, the ratios behind each observation and the case list; the raw numbers go to
# JSON_PATH.
# Other processes on the two cores distort the 2-thread numbers most: the script waits for a quiet
# machine (QUIET_WAIT seconds at most) and prints the load average; progress goes to stderr.
#   Benchmarks/scripts/latency-observations.sh [SECONDS] [JSON_PATH]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER=${1:-1.5}
JSON=${2:-.build/latency-observations.json}
swift build -c release --product LatencyObservations >/dev/null
BIN=$(swift build -c release --show-bin-path)/LatencyObservations
# libtorch's CPU allocator hands every tensor to malloc, and glibc serves blocks over 32 MiB with fresh
# mmap pages, so batch-64 activations (up to 154 MB) would be page-faulted in on every op and that cost,
# not the ops, would dominate. Keep freed memory in the heap instead (what a caching or planned-memory
# runtime does); DEFAULT_MALLOC=1 measures glibc's default behaviour.
if [ "${DEFAULT_MALLOC:-0}" != 1 ]; then
  export GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967295
fi
# Wait (up to QUIET_WAIT seconds, default 120) for the 1-minute load average to fall below 0.5.
for _ in $(seq 1 $(( ${QUIET_WAIT:-120} / 10 ))); do
  awk '{ exit !($1 < 0.5) }' /proc/loadavg && break
  echo "waiting for a quiet machine (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  sleep 10
done
"$BIN" --batch 1,64 --threads 1,2 --seconds "$SECONDS_PER" --warmup 3 --rounds 3 --json "$JSON"
echo
echo "JSON: $JSON"
