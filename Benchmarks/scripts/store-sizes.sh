#!/usr/bin/env bash
# Store size and fidelity per codec: bytes/record against the TinyViT reference's fixed 4 + 4K bytes.
#
# For each C in {1000, 21841}, K in {10, 100} and codec in {fp16, q8}: precompute N samples × E epochs
# with the synthetic teacher (mean top-1 ≈ 0.5, top-10 mass ≈ 0.85 at C = 1000) and read the numbers
# back with `inspect --json`. Prints a markdown table. Usage: Benchmarks/scripts/store-sizes.sh [N] [E]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-32768}
E=${2:-4}
swift build -c release --product tinydistill >/dev/null
BIN=$(swift build -c release --show-bin-path)/tinydistill
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
echo "| C | K | codec | payload B/record | × reference | file B/record | mean KL (nats) | max KL | write records/s (incl. teacher) |"
echo "|---|---|---|---|---|---|---|---|---|"
for C in 1000 21841; do
  for K in 10 100; do
    for CODEC in fp16 q8; do
      S="$DIR/s-$C-$K-$CODEC.tdstore"
      RATE=$("$BIN" precompute --data "synthetic:$N" --teacher "synthetic:$C" --epochs "$E" --topk "$K" --codec "$CODEC" --out "$S" --json 2>/dev/null \
        | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["recordsPerSecond"]))')
      "$BIN" inspect "$S" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
m = r["metadata"]
ref = r["reference_bytes_per_record"]
print("| %d | %d | %s | %.2f | %.3f× | %.2f | %.2e | %.2e | %s |" % (m["num_classes"], m["top_k"], m["value_codec"],
      r["payload_bytes_per_record"], r["payload_bytes_per_record"] / ref, r["bytes_per_record"], r["kl_mean"], r["kl_max"], sys.argv[1]))
' "$RATE"
    done
  done
done
