#!/usr/bin/env bash
# The K ablation's stores as one committed file: for each K-store that scripts/full-schedule made
# (out/full/kK.tdstore, cut from the K = 10 store), its records, file and payload bytes per record, and
# how much probability the top-K keeps (so the uniform remainder 1 − Σtop-K the sparse loss spreads over
# the other classes), from `tinydistill inspect --json`.
#   scripts/k-store-stats.sh [OUT=out/full] > results/k-stores.json
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-out/full}
BIN=$(swift build -c release --show-bin-path)/tinydistill
for k in 1 2 3 5 10; do
  [ -f "$DIR/k$k.tdstore" ] && "$BIN" inspect "$DIR/k$k.tdstore" --json > "$DIR/k$k.inspect.json"
done
/usr/bin/python3 - "$DIR" <<'PY'
import json, os, sys
d = sys.argv[1]
rows = {}
for k in (1, 2, 3, 5, 10):
    p = os.path.join(d, f"k{k}.inspect.json")
    if not os.path.exists(p): continue
    i = json.load(open(p))
    rows[str(k)] = {"records": i["records"], "file_bytes": i["file_bytes"], "file_bytes_per_record": i["file_bytes"] / i["records"],
                    "payload_bytes_per_record": i["bytes_per_record"], "digest": i["digest"],
                    "topk_mass_mean": i["topk_mass"]["mean"], "uniform_remainder_mean": 1 - i["topk_mass"]["mean"],
                    "top1_probability_mean": i["top1_probability"]["mean"], "teacher_agrees_with_label": i["teacher_accuracy"]}
print(json.dumps({"command": "scripts/k-store-stats.sh", "stores": rows}, indent=1))
PY
