#!/usr/bin/env bash
# Store write and read throughput on one thread, averaged over whole runs (release build).
# Each row: 400,000 teacher-like records written through StoreWriter (close included), then every
# chunk read back 3 times; 5 repetitions, median (min–max) records/s. Prints a markdown table.
# Usage: Benchmarks/scripts/store-throughput.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-400000}
swift build -c release --product StoreThroughput >/dev/null
BIN=$(swift build -c release --show-bin-path)/StoreThroughput
echo "| C | K | codec | records/chunk | written records/s, median (min–max) of 5 | read records/s, median (min–max) of 5 |"
echo "|---|---|---|---|---|---|"
for C in 1000 21841; do
  for K in 10 100; do
    for CODEC in fp16 q8; do
      "$BIN" "$C" "$K" "$CODEC" "$N"
    done
  done
done
