#!/usr/bin/env bash
# What a student epoch costs in each mode, side by side in one run: the issue-19 TinyViT student
# (models/student-tinyvit-0.8m.json) trained from the K-store with offline KD, from labels only, and
# with the teacher (models/teacher-w56.safetensors) run at every step (online KD), STEPS steps of batch
# 128 each, in ROUNDS alternating rounds, 2 threads, no evaluation. Then the break-even point: after how
# many full student runs the precompute (its seconds summed over the store's writer sessions, from
# results/runs/precompute-k10.json) has paid for itself against online KD.
#   Benchmarks/scripts/epoch-cost.sh [steps=40] [rounds=3] [store=out/full/k5.tdstore]  → results/epoch-cost.json
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=${1:-40}
ROUNDS=${2:-3}
STORE=${3:-out/full/k5.tdstore}
WORK=${WORK:-/tmp/td-epoch-cost}
EPOCHS_PER_RUN=${EPOCHS_PER_RUN:-30}
swift build -c release --product tinydistill >/dev/null
BIN=$(swift build -c release --show-bin-path)/tinydistill
[ -f "$STORE" ] || { echo "epoch-cost: $STORE is missing: run scripts/full-schedule precompute truncate first" >&2; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK"
base=(train --store "$STORE" --data fashion-mnist:train --arch models/student-tinyvit-0.8m.json --epochs 1 --batch 128
      --lr 2e-3 --warmup-epochs 1 --weight-decay 0.05 --seed 1 --threads 2 --workers 2 --max-steps-per-epoch "$STEPS")
for r in $(seq 1 "$ROUNDS"); do
  for mode in offline labels online; do
    case $mode in
      offline) extra=() ;;
      labels) extra=(--labels-only --label-smoothing 0.1) ;;
      online) extra=(--online-teacher models/teacher-w56.safetensors) ;;
    esac
    "$BIN" "${base[@]}" "${extra[@]}" --out "$WORK/$mode-$r" >/dev/null 2>"$WORK/$mode-$r.err" \
      || { tail -5 "$WORK/$mode-$r.err" >&2; exit 1; }
    echo "round $r $mode: $(/usr/bin/python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["epochs"][0]; print(round(e["images_per_s"]), "images/s")' "$WORK/$mode-$r/log.json")"
  done
done
/usr/bin/python3 - "$WORK" "$ROUNDS" "$STEPS" "$STORE" "$EPOCHS_PER_RUN" <<'PY' > results/epoch-cost.json
import json, os, statistics, subprocess, sys
from datetime import datetime
work, rounds, steps, store, epochs_per_run = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
modes = {}
for mode in ("offline", "labels", "online"):
    eps = [json.load(open(f"{work}/{mode}-{r}/log.json"))["epochs"][0] for r in range(1, rounds + 1)]
    ips = [e["images_per_s"] for e in eps]
    modes[mode] = {"images_per_s": {"median": statistics.median(ips), "min": min(ips), "max": max(ips), "all": ips},
                   "teacher_s": [e.get("teacher_s", 0) for e in eps], "data_wait_s": [e.get("data_wait_s", 0) for e in eps]}
train_images = 60000
epoch_s = {m: train_images / v["images_per_s"]["median"] for m, v in modes.items()}
pre = json.load(open("results/runs/precompute-k10.json"))
def seconds(s):
    f = "%Y-%m-%dT%H:%M:%SZ"
    return (datetime.strptime(s["endedAt"], f) - datetime.strptime(s["startedAt"], f)).total_seconds()
sessions = pre["inspect"]["sessions"]
precompute_s = sum(seconds(s) for s in sessions if s.get("endedAt"))
saving_per_run = (epoch_s["online"] - epoch_s["offline"]) * epochs_per_run
out = {
    "command": f"Benchmarks/scripts/epoch-cost.sh {steps} {rounds} {store}",
    "commit": subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip(),
    "steps_per_round": steps, "batch": 128, "rounds": rounds, "modes": modes,
    "epoch_seconds_60k_images": epoch_s,
    "ratios": {"offline / labels-only epoch cost": epoch_s["offline"] / epoch_s["labels"],
               "online / offline epoch cost": epoch_s["online"] / epoch_s["offline"]},
    "precompute": {"seconds": precompute_s, "records": pre["inspect"]["records"], "sessions": len(sessions),
                   "store_epochs": pre["inspect"]["metadata"]["epochs"]},
    "break_even": {"epochs_per_student_run": epochs_per_run, "seconds_saved_per_run": saving_per_run,
                   "runs": precompute_s / saving_per_run if saving_per_run > 0 else None},
}
print(json.dumps(out, indent=1))
PY
echo "wrote results/epoch-cost.json"
