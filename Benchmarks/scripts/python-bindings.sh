#!/usr/bin/env bash
# The Python package against the CLI, side by side in alternating rounds on the same data and threads:
#   - loader: `tinydistill stream --format none` vs tinydistill.Loader (numpy views; and with .torch()),
#     one epoch of a Fashion-MNIST train store (60,000 records, the example policy at 32 px, K = 5),
#     batch 256, 2 workers;
#   - teacher stage: `tinydistill precompute` with a TorchScript teacher (Benchmarks/scripts/make_bench_teacher.py,
#     run by libtorch in Swift) vs TeacherStage with the same file run by PyTorch, on Fashion-MNIST test
#     (10,000 images), batch 128, 2 threads;
#   - peak memory (max RSS from /usr/bin/time) of each process.
# Writes results/python-bindings.json (every round) and prints the markdown table that
# scripts/render-python-bindings.py makes from it. Usage: Benchmarks/scripts/python-bindings.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
swift build -c release --product tinydistill >/dev/null
swift build -c release --product TinyDistillC >/dev/null
BIN_DIR=$(swift build -c release --show-bin-path)
BIN=$BIN_DIR/tinydistill
export TINYDISTILL_LIB=$BIN_DIR/libTinyDistillC.so PYTHONPATH=$PWD/python
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/td-pybench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
$PY - examples/policy-fashion-mnist.json "$WORK/policy.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
json.dump(p, open(sys.argv[2], "w"))
PY
"$BIN" precompute --data fashion-mnist:train --teacher synthetic:10 --policy "$WORK/policy.json" --epochs 1 --topk 5 \
  --out "$WORK/train.tdstore" >/dev/null 2>&1
$PY Benchmarks/scripts/make_bench_teacher.py "$WORK/teacher.pt" > "$WORK/params"
rss() { grep "Maximum resident" "$1" | awk '{print $6}'; }
echo "[]" > "$WORK/rounds.json"
add() {  # add KIND ROUND JSON_FILE TIME_FILE
  $PY - "$WORK/rounds.json" "$1" "$2" "$3" "$4" <<'PY'
import json, sys
rounds = json.load(open(sys.argv[1]))
text = open(sys.argv[4]).read()
r = json.loads(text[text.index("{"):])
for line in open(sys.argv[5]):
    if "Maximum resident" in line:
        r["max_rss_kb"] = int(line.split()[-1])
r["kind"], r["round"] = sys.argv[2], int(sys.argv[3])
rounds.append(r)
json.dump(rounds, open(sys.argv[1], "w"), indent=1)
PY
}
for round in $(seq 1 "$ROUNDS"); do
  /usr/bin/time -v "$BIN" stream --store "$WORK/train.tdstore" --data fashion-mnist:train --batch 256 --workers 2 \
    --format none --json > "$WORK/o" 2> "$WORK/t"
  add stream "$round" "$WORK/o" "$WORK/t"
  /usr/bin/time -v $PY Benchmarks/scripts/python_bindings.py loader "$WORK/train.tdstore" fashion-mnist:train 256 2 \
    > "$WORK/o" 2> "$WORK/t"
  add python-loader "$round" "$WORK/o" "$WORK/t"
  /usr/bin/time -v $PY Benchmarks/scripts/python_bindings.py loader "$WORK/train.tdstore" fashion-mnist:train 256 2 --torch \
    > "$WORK/o" 2> "$WORK/t"
  add python-loader-torch "$round" "$WORK/o" "$WORK/t"
  rm -f "$WORK"/cli.tdstore* "$WORK"/py.tdstore*
  /usr/bin/time -v "$BIN" precompute --data fashion-mnist:test --teacher "$WORK/teacher.pt" --policy "$WORK/policy.json" \
    --epochs 1 --topk 5 --batch 128 --threads 2 --out "$WORK/cli.tdstore" --json > "$WORK/o" 2> "$WORK/t"
  add precompute "$round" "$WORK/o" "$WORK/t"
  /usr/bin/time -v $PY Benchmarks/scripts/python_bindings.py stage "$WORK/py.tdstore" fashion-mnist:test "$WORK/policy.json" \
    "$WORK/teacher.pt" 128 2 > "$WORK/o" 2> "$WORK/t"
  add python-stage "$round" "$WORK/o" "$WORK/t"
  echo "round $round done" >&2
done
$PY - "$WORK/rounds.json" "$(git rev-parse --short HEAD)" "$(cat "$WORK/params")" "$ROUNDS" > results/python-bindings.json <<'PY'
import json, sys
print(json.dumps({"commit": sys.argv[2], "command": "Benchmarks/scripts/python-bindings.sh " + sys.argv[4],
                  "teacher_parameters": int(sys.argv[3]), "rounds": json.load(open(sys.argv[1]))}, indent=1))
PY
$PY scripts/render-python-bindings.py results/python-bindings.json
