#!/usr/bin/env bash
# Issue 28's class-map experiment: a 10-class teacher distilled into a 5-class student through a class
# map, from a store left in the teacher's classes. The data is Fashion-MNIST as an ImageFolder of five
# groups (scripts/fashion-mnist-folders.py --layout grouped: tops, bottoms, dresses, footwear, bags);
# the teacher is the demo's (models/fashion-mnist-teacher.safetensors, 10 named classes). precompute
# checks the map and writes the teacher's 10-class top-10; the TinyViT student (tinyvit-mini) then trains
# through the map (targets summed per group and renormalised at read time) and, with the same images,
# seeds and budget, from the grouped labels only. Both are evaluated on the grouped test split, for each
# seed. Every step resumes (stores and runs are cached in WORK).
#   Benchmarks/scripts/class-map-grouping.sh [--record] [WORK]     (default WORK: out/class-map)
# --record files WORK/results.json as results/class-map-grouping.json (rendered into docs/results.md
# by scripts/render-results.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
RECORD=0
WORK=out/class-map
for a in "$@"; do
  case "$a" in
    --record) RECORD=1 ;;
    *) WORK="$a" ;;
  esac
done
SEEDS=${SEEDS:-"1 2"}
EPOCHS=${EPOCHS:-3}
STEPS=${STEPS:-120}
COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)  # the binary is built from this checkout now
swift build -c release --product tinydistill >/dev/null
BIN=$(swift build -c release --show-bin-path)/tinydistill
TEACHER=models/fashion-mnist-teacher.safetensors
mkdir -p "$WORK"
[ -d "$WORK/train" ] || /usr/bin/python3 scripts/fashion-mnist-folders.py "$WORK/train" --split train --layout grouped
[ -d "$WORK/test" ] || /usr/bin/python3 scripts/fashion-mnist-folders.py "$WORK/test" --split test --layout grouped
MAP="$WORK/train.class-map.tsv"
echo "== precompute: the teacher's 10 classes, 2 epochs, top-10, on the 5-group folder (map checked) =="
"$BIN" precompute --data "$WORK/train" --teacher "$TEACHER" --policy examples/policy-fashion-mnist.json --epochs 2 --topk 10 \
    --batch 256 --class-map "$MAP" --out "$WORK/grouped.tdstore"
"$BIN" inspect "$WORK/grouped.tdstore" --class-map "$MAP" --json > "$WORK/inspect.json"
for seed in $SEEDS; do
  COMMON=(--store "$WORK/grouped.tdstore" --data "$WORK/train" --class-map "$MAP" --arch tinyvit-mini --epochs "$EPOCHS"
          --batch 128 --lr 2e-3 --max-steps-per-epoch "$STEPS" --eval "$WORK/test" --seed "$seed")
  echo "== seed $seed: student through the class map (offline KD) =="
  "$BIN" train "${COMMON[@]}" --out "$WORK/kd-seed$seed"
  echo "== seed $seed: student from the grouped labels only =="
  "$BIN" train "${COMMON[@]}" --labels-only --out "$WORK/labels-seed$seed"
done
/usr/bin/python3 - "$WORK" "$MAP" "Benchmarks/scripts/class-map-grouping.sh $*" "$("$BIN" --version)" \
    "$COMMIT" "$SEEDS" "$EPOCHS" "$STEPS" <<'PY'
import json, os, statistics, sys
work, cmap, command, version, commit, seeds, epochs, steps = sys.argv[1:9]
runs = []
for seed in seeds.split():
    for mode in ("kd", "labels"):
        log = json.load(open(os.path.join(work, f"{mode}-seed{seed}", "log.json")))
        last = log["epochs"][-1]
        runs.append({"mode": log["mode"], "seed": int(seed), "top1": last["eval_top1"], "eval_samples": last["eval_samples"],
                     "epochs": len(log["epochs"]), "steps_per_epoch": last["steps"], "parameters": log["parameters"],
                     "class_map_digest": log.get("class_map_digest"), "student_classes": log.get("student_classes")})
def summary(mode):
    xs = [r["top1"] for r in runs if r["mode"] == mode]
    return {"mean": statistics.mean(xs), "min": min(xs), "max": max(xs), "runs": len(xs)}
i = json.load(open(os.path.join(work, "inspect.json")))
out = {"command": command.strip(), "tool_version": version, "commit": commit,
       "teacher": "models/fashion-mnist-teacher.safetensors", "student": "tinyvit-mini",
       "class_map": open(cmap).read(), "schedule": {"epochs": int(epochs), "max_steps_per_epoch": int(steps), "batch": 128,
                                                  "store_epochs": i["metadata"]["epochs"], "top_k": i["metadata"]["top_k"]},
       "teacher_mapped_agreement": i["teacher_accuracy"], "store_class_map_digest": i.get("class_map_digest"),
       "runs": runs, "offline_kd": summary("offline-kd"), "labels_only": summary("labels-only")}
path = os.path.join(work, "results.json")
json.dump(out, open(path, "w"), indent=1, sort_keys=True)
for r in runs:
    print(f"{r['mode']:12} seed {r['seed']}  top-1 {100 * r['top1']:.2f} % on {r['eval_samples']} grouped test images")
print(f"offline KD through the map: mean {100 * out['offline_kd']['mean']:.2f} %; labels only: mean {100 * out['labels_only']['mean']:.2f} %")
print(f"results: {path}")
PY
if [ "$RECORD" = 1 ]; then
  cp "$WORK/results.json" results/class-map-grouping.json
  echo "filed results/class-map-grouping.json"
fi
