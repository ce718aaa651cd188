#!/usr/bin/env bash
# Per-stage decode/augmentation times before and after a change, side by side in one run: builds
# AugmentStages at BASE (a commit, in a scratch worktree) and at the working tree, then runs them in
# alternating rounds on the same machine and folds the rounds into one table (median ms per stage).
#   Benchmarks/scripts/augment-stages-compare.sh BASE [rounds=3] > results/augment-stages.md
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=$1
ROUNDS=${2:-3}
TREE=${TREE:-/tmp/td-stages-base}
if [ ! -d "$TREE" ]; then git worktree add --detach "$TREE" "$BASE" >&2; else git -C "$TREE" checkout -q --detach "$BASE"; fi
# The benchmark itself is the current one, so both sides time the same stages the same way.
cp Benchmarks/AugmentStages/main.swift "$TREE/Benchmarks/AugmentStages/main.swift"
(cd "$TREE" && swift build -c release --product AugmentStages >&2)
swift build -c release --product AugmentStages >&2
OLD=$(cd "$TREE" && swift build -c release --show-bin-path)/AugmentStages
NEW=$(swift build -c release --show-bin-path)/AugmentStages
RAW=$(mktemp -d)
for r in $(seq 1 "$ROUNDS"); do
  "$OLD" > "$RAW/base-$r.txt"
  "$NEW" > "$RAW/head-$r.txt"
done
/usr/bin/python3 - "$RAW" "$ROUNDS" "$(git -C "$TREE" rev-parse --short HEAD)" "$(git rev-parse --short HEAD)" <<'PY'
import re, statistics, sys
raw, rounds, base, head = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def read(side):
    out = {}
    for r in range(1, rounds + 1):
        for line in open(f"{raw}/{side}-{r}.txt"):
            m = re.match(r"(.+?)\s+([0-9.]+) ms$", line.strip())
            if m: out.setdefault(m.group(1), []).append(float(m.group(2)))
    return out
b, h = read("base"), read("head")
print(f"Per-stage mean ms on one 500×375 q90 JPEG, 224 output, release build; median of {rounds} alternating rounds "
      f"(min–max). Base {base}, head {head} (working tree). `Benchmarks/scripts/augment-stages-compare.sh {base} {rounds}`\n")
print("| stage | before ms | after ms | after/before |")
print("|---|---:|---:|---:|")
for stage in b:
    if stage not in h: continue
    mb, mh = statistics.median(b[stage]), statistics.median(h[stage])
    rb = f"{min(b[stage]):.3f}–{max(b[stage]):.3f}"; rh = f"{min(h[stage]):.3f}–{max(h[stage]):.3f}"
    ratio = f"{mh / mb:.2f}" if mb > 0.0005 else "–"
    print(f"| {stage} | {mb:.3f} ({rb}) | {mh:.3f} ({rh}) | {ratio} |")
PY
