#!/usr/bin/env bash
# Precompute's own pipeline cost before and after a change, side by side in one run: tinydistill built
# at BASE (a scratch worktree, shared with augment-stages-compare.sh) and at the working tree, each
# precomputing the same JPEG folder with the synthetic teacher (a hash of the augmented pixels, so
# the time is decode + augment + top-K + store), in alternating rounds.
#   Benchmarks/scripts/precompute-compare.sh BASE [rounds=3] [images=2000] [policy.json] > results/precompute-compare.md
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=$1
ROUNDS=${2:-3}
N=${3:-2000}
POLICY=${4:-}
TREE=${TREE:-/tmp/td-stages-base}
WORK=${WORK:-/tmp/td-precompute-compare}
mkdir -p "$WORK"
if [ ! -d "$TREE" ]; then git worktree add --detach "$TREE" "$BASE" >&2; else git -C "$TREE" checkout -q --detach "$BASE"; fi
(cd "$TREE" && git checkout -q -- . && swift build -c release --product tinydistill >&2)
swift build -c release --product tinydistill >&2
OLD=$(cd "$TREE" && swift build -c release --show-bin-path)/tinydistill
NEW=$(swift build -c release --show-bin-path)/tinydistill
[ -d "$WORK/jpegs" ] || /usr/bin/python3 Benchmarks/scripts/make-jpeg-folder.py "$WORK/jpegs" "$N" 500 375 >&2
args=(precompute --data "$WORK/jpegs" --teacher synthetic:1000 --epochs 1 --topk 10 --threads 2 --batch 64 --json)
[ -n "$POLICY" ] && args+=(--policy "$POLICY")
for r in $(seq 1 "$ROUNDS"); do
  for side in base head; do
    bin=$([ $side = base ] && echo "$OLD" || echo "$NEW")
    rm -f "$WORK/$side.tdstore"*
    "$bin" "${args[@]}" --out "$WORK/$side.tdstore" 2>/dev/null > "$WORK/$side-$r.json"
  done
done
/usr/bin/python3 - "$WORK" "$ROUNDS" "$(git -C "$TREE" rev-parse --short HEAD)" "$(git rev-parse --short HEAD)" "$N" "${POLICY:-default (TinyViT) policy at 224}" <<'PY'
import json, statistics, sys
work, rounds, base, head, n, policy = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
v = {s: [json.load(open(f"{work}/{s}-{r}.json"))["recordsPerSecond"] for r in range(1, rounds + 1)] for s in ("base", "head")}
print(f"Precompute with the synthetic teacher on {n} JPEGs of 500×375 (q90), {policy}, K = 10, 2 threads; "
      f"{rounds} alternating rounds. `Benchmarks/scripts/precompute-compare.sh {base} {rounds} {n}`\n")
print("| build | records/s (median) | all rounds |")
print("|---|---:|---|")
for s, c in (("base", base), ("head", head)):
    print(f"| {s} ({c}) | {statistics.median(v[s]):.0f} | {', '.join(f'{x:.0f}' for x in v[s])} |")
print(f"\nhead / base: {statistics.median(v['head']) / statistics.median(v['base']):.2f}x")
PY
