#!/usr/bin/env bash
# Data-parallel training costs on this machine (release build):
# 1. the gradient all-reduce of one step (one float32 all-reduce of the model's parameter count) for
#    tinyvit-mini (1,631,234 parameters at 10 classes) and tinyvit-5m (5,392,764 at 1000), between two
#    processes over loopback and over a veth pair between two network namespaces (root, iproute2);
# 2. training throughput of tinyvit-mini at world 1 (2 libtorch threads) and world 2 (two processes of 1
#    thread each) on the same store: the 2 cores are shared, so world 2 measures the cost of the
#    collectives and of splitting, not a speed-up.
# Prints markdown. Usage: Benchmarks/scripts/distributed.sh [REPS]
set -euo pipefail
cd "$(dirname "$0")/../.."
REPS=${1:-20}
swift build -c release --product AllReduceCost >/dev/null
swift build -c release --product tinydistill >/dev/null
BIN=$(swift build -c release --show-bin-path)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/td-dist.XXXXXX")
ID=$$; A=tdbA$ID; B=tdbB$ID; VA=tdbvA$ID; VB=tdbvB$ID
cleanup() { ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
veth=no
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && ip netns add "$A" 2>/dev/null; then
  ip netns add "$B"; ip link add "$VA" type veth peer name "$VB"
  ip link set "$VA" netns "$A"; ip link set "$VB" netns "$B"
  ip -n "$A" addr add 10.251.0.1/24 dev "$VA"; ip -n "$B" addr add 10.251.0.2/24 dev "$VB"
  for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
  ip -n "$A" link set "$VA" up; ip -n "$B" link set "$VB" up
  veth=yes
fi
pair() {  # transport floats
  local port=$((20000 + RANDOM % 30000))
  if [ "$1" = loopback ]; then
    timeout 300 "$BIN/AllReduceCost" 1 2 127.0.0.1 $port "$2" "$REPS" & local other=$!
    timeout 300 "$BIN/AllReduceCost" 0 2 127.0.0.1 $port "$2" "$REPS"
  else
    timeout 300 ip netns exec "$B" "$BIN/AllReduceCost" 1 2 10.251.0.1 $port "$2" "$REPS" & local other=$!
    timeout 300 ip netns exec "$A" "$BIN/AllReduceCost" 0 2 10.251.0.1 $port "$2" "$REPS"
  fi
  wait $other
}
echo "## Gradient all-reduce per step (2 processes, median (min–max) of $REPS)"
echo
echo "| model | parameters | bytes | transport | ms per all-reduce |"
echo "|---|---|---|---|---|"
for spec in "tinyvit-mini 1631234" "tinyvit-5m 5392764"; do
  set -- $spec
  for t in loopback veth; do
    if [ $t = veth ] && [ $veth = no ]; then echo "| $1 | $2 | $(( $2 * 4 )) | veth | not run: needs root and ip netns |"; continue; fi
    json=$(pair $t "$2")
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("| %s | %s | %d | %s (%s) | %.2f (%.2f–%.2f) |" % (sys.argv[2], sys.argv[3], d["bytes"], sys.argv[4], d["device"], d["ms_median"], d["ms_min"], d["ms_max"]))' "$json" "$1" "$2" "$t"
  done
done
echo
echo "## Training throughput, tinyvit-mini, 32 px, batch 128 per step (global), 20 steps"
echo
"$BIN/tinydistill" precompute --data synthetic-images:6000:30x30x1:4:10 --teacher synthetic:10 \
  --policy examples/policy-fashion-mnist.json --epochs 1 --topk 3 --out "$WORK/s.tdstore" >/dev/null 2>&1
echo "| world | threads per rank | steps/s | images/s |"
echo "|---|---|---|---|"
common=(--store "$WORK/s.tdstore" --data synthetic-images:6000:30x30x1:4:10 --arch tinyvit-mini --epochs 1
        --max-steps-per-epoch 20 --workers 1 --json)
"$BIN/tinydistill" train "${common[@]}" --batch 128 --threads 2 --out "$WORK/w1" > "$WORK/w1.json" 2>/dev/null
port=$((20000 + RANDOM % 30000))
RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$BIN/tinydistill" train "${common[@]}" --batch 64 --threads 1 \
  --out "$WORK/w2" > /dev/null 2>&1 & other=$!
RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$BIN/tinydistill" train "${common[@]}" --batch 64 --threads 1 \
  --out "$WORK/w2" > "$WORK/w2.json" 2>/dev/null
wait $other
for w in 1 2; do
  python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["epochs"][0]; w=int(sys.argv[2]); print("| %d | %d | %.2f | %.1f |" % (w, 2 // w, e["steps"] / e["seconds"], e["steps"] * 128 / e["seconds"]))' "$WORK/w$w.json" $w
done
