#!/usr/bin/env bash
# The loader's cost before and after a change, side by side in one run: `tinydistill stream` built at
# BASE (a scratch worktree, shared with augment-stages-compare.sh; or BASE_BIN, a binary already built
# from BASE) and at the working tree, streaming the same JPEG folder (batch 128, 2 workers, K = 100 of
# C = 21,841 synthetic-teacher records) with the full default policy and with RandomResizedCrop + flip,
# in alternating rounds. Both builds must stream the same bytes (checked first, --format tdb).
#   Benchmarks/scripts/stream-compare.sh BASE [rounds=5] [images=2000] > results/stream-compare.md
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=$1
ROUNDS=${2:-5}
N=${3:-2000}
TREE=${TREE:-/tmp/td-stages-base}
WORK=${WORK:-/tmp/td-loader-limit}
mkdir -p "$WORK"
if [ -n "${BASE_BIN:-}" ]; then
  OLD=$BASE_BIN
else
  if [ ! -d "$TREE" ]; then git worktree add --detach "$TREE" "$BASE" >&2; else git -C "$TREE" checkout -q --detach "$BASE"; fi
  (cd "$TREE" && git checkout -q -- . && swift build -c release --product tinydistill >&2)
  OLD=$(cd "$TREE" && swift build -c release --show-bin-path)/tinydistill
fi
swift build -c release --product tinydistill >&2
NEW=$(swift build -c release --show-bin-path)/tinydistill
[ -d "$WORK/jpegs" ] || /usr/bin/python3 Benchmarks/scripts/make-jpeg-folder.py "$WORK/jpegs" "$N" 500 375 >&2
declare -A STORE
for p in full rrc; do
  STORE[$p]=$WORK/jpegs-$p.tdstore
  extra=(); [ $p = rrc ] && extra=(--policy Benchmarks/policies/rrc-flip-224.json)
  [ -f "${STORE[$p]}" ] || "$NEW" precompute --data "$WORK/jpegs" --teacher synthetic:21841 --topk 100 --epochs 1 "${extra[@]}" \
    --out "${STORE[$p]}" >/dev/null 2>&1
  a=$("$OLD" stream --store "${STORE[$p]}" --data "$WORK/jpegs" --batch 128 --workers 2 --format tdb 2>/dev/null | md5sum)
  b=$("$NEW" stream --store "${STORE[$p]}" --data "$WORK/jpegs" --batch 128 --workers 2 --format tdb 2>/dev/null | md5sum)
  [ "$a" = "$b" ] || { echo "stream-compare: base and head stream different bytes for the $p policy" >&2; exit 1; }
done
for r in $(seq 1 "$ROUNDS"); do
  for p in full rrc; do
    for side in base head; do
      bin=$([ $side = base ] && echo "$OLD" || echo "$NEW")
      "$bin" stream --store "${STORE[$p]}" --data "$WORK/jpegs" --batch 128 --workers 2 --json 2>/dev/null | tail -1 > "$WORK/cmp-$side-$p-$r.json"
    done
  done
done
/usr/bin/python3 - "$WORK" "$ROUNDS" "$BASE" "$(git rev-parse --short HEAD)" "$N" <<'PY'
import json, statistics, sys
work, rounds, base, head, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def runs(side, p):
    return [json.load(open(f"{work}/cmp-{side}-{p}-{r}.json")) for r in range(1, rounds + 1)]
print(f"`tinydistill stream` on {n} JPEGs of 500×375 (q90) at 224, batch 128, 2 workers, K = 100 of C = 21,841; "
      f"{rounds} alternating rounds; both builds stream the same bytes. "
      f"`Benchmarks/scripts/stream-compare.sh {base} {rounds} {n}` (head {head} plus the working tree)\n")
print("| policy | build | images/s (median) | all rounds | peak RSS MB (median) |")
print("|---|---|---:|---|---:|")
for p, label in (("full", "full default"), ("rrc", "RandomResizedCrop + flip")):
    for side in ("base", "head"):
        v = runs(side, p)
        ips = [x["images_per_s"] for x in v]
        print(f"| {label} | {side} | {statistics.median(ips):.0f} | {', '.join(f'{x:.0f}' for x in ips)} | "
              f"{statistics.median(x['max_rss_mb'] for x in v):.0f} |")
for p, label in (("full", "full default"), ("rrc", "RandomResizedCrop + flip")):
    h = statistics.median(x["images_per_s"] for x in runs("head", p))
    b = statistics.median(x["images_per_s"] for x in runs("base", p))
    print(f"\n{label}: head / base {h / b:.2f}x", end="")
print()
PY
