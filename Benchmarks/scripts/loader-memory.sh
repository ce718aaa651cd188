#!/usr/bin/env bash
# Loader resident memory against store size: stores of 100k, 1M and 4M records (32x32 gray generated
# images, synthetic teacher, K = 10), each streamed for 200 batches of 256; prints the peak RSS per size.
# Flat memory means the loader holds O(shuffle window) records, not O(store).
#   Benchmarks/scripts/loader-memory.sh [sizes...]
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100000 1000000 4000000)
WORK=${WORK:-/tmp/td-loader-memory}
mkdir -p "$WORK"
swift build -c release --product tinydistill >/dev/null
BIN=.build/release/tinydistill
for n in "${SIZES[@]}"; do
  data="synthetic-images:$n:32x32x1:1:10"
  store="$WORK/s$n.tdstore"
  [ -f "$store" ] || $BIN precompute --data "$data" --teacher synthetic:10 --policy examples/policy-fashion-mnist.json \
      --epochs 1 --topk 10 --batch 1024 --out "$store" >/dev/null 2>&1
  echo -n "$n records: "
  $BIN stream --store "$store" --data "$data" --batch 256 --limit 200 --workers 2 --json
done
