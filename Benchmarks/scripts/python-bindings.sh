#!/usr/bin/env bash
# The Python package against the CLI, side by side in alternating rounds on the same data and threads:
#   - loader: `tinydistill stream --format none` vs tinydistill.Loader (numpy views; and with .torch()),
#     one epoch of a Fashion-MNIST train store (60,000 records, the example policy at 32 px, K = 5),
#     batch 256, 2 workers;
#   - teacher stage: `tinydistill precompute` with a TorchScript teacher (Benchmarks/scripts/make_bench_teacher.py,
#     run by libtorch in Swift) vs TeacherStage with the same file run by PyTorch, and with the same network
#     as an eager nn.Module, on Fashion-MNIST test (10,000 images), batch 128, 2 threads; and a plain loop
#     of the file's forward in PyTorch on as many images, with no stage, to tell the stage from torch; and
#     both again with the file through torch.jit.freeze;
#   - peak memory (max RSS from /usr/bin/time) of each process.
# Writes results/python-bindings.json (every round) and prints the markdown table that
# scripts/render-python-bindings.py makes from it.
# Usage: [PY=VENV/bin/python] Benchmarks/scripts/python-bindings.sh [ROUNDS]
# With PY (a venv's python, e.g. scripts/check-pytorch2's with torch from PyPI) the wheel (make wheel) is
# installed there and measured as users run it; without, Debian's python3 and torch run the checkout's
# package over the release library.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
swift build -c release --product tinydistill >/dev/null
swift build -c release --product TinyDistillC >/dev/null
BIN_DIR=$(swift build -c release --show-bin-path)
BIN=$BIN_DIR/tinydistill
WORK=$(mktemp -d "${TMPDIR:-/tmp}/td-pybench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
if [ -n "${PY:-}" ]; then
  make wheel >/dev/null
  "$PY" -m pip install --quiet --no-deps --force-reinstall dist/tinydistill-*-py3-none-*.whl
  unset TINYDISTILL_LIB PYTHONPATH
  PACKAGE="the wheel"
else
  export TINYDISTILL_LIB=$BIN_DIR/libTinyDistillC.so PYTHONPATH=$PWD/python
  PY=/usr/bin/python3
  PACKAGE="python/ over the release library"
fi
TORCH=$(cd "$WORK" && "$PY" -c "import torch; print(torch.__version__)")
$PY - examples/policy-fashion-mnist.json "$WORK/policy.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
json.dump(p, open(sys.argv[2], "w"))
PY
"$BIN" precompute --data fashion-mnist:train --teacher synthetic:10 --policy "$WORK/policy.json" --epochs 1 --topk 5 \
  --out "$WORK/train.tdstore" >/dev/null 2>&1
# The teacher file is written by Debian's torch 1.13, the libtorch the CLI runs, which newer torch reads.
/usr/bin/python3 Benchmarks/scripts/make_bench_teacher.py "$WORK/teacher.pt" > "$WORK/params"
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
  rm -f "$WORK"/py.tdstore*
  /usr/bin/time -v $PY Benchmarks/scripts/python_bindings.py stage-eager "$WORK/py.tdstore" fashion-mnist:test "$WORK/policy.json" \
    "$WORK/teacher.pt" 128 2 > "$WORK/o" 2> "$WORK/t"
  add python-stage-eager "$round" "$WORK/o" "$WORK/t"
  /usr/bin/time -v $PY Benchmarks/scripts/python_bindings.py forward "$WORK/teacher.pt" 10000 128 2 > "$WORK/o" 2> "$WORK/t"
  add python-forward "$round" "$WORK/o" "$WORK/t"
  rm -f "$WORK"/py.tdstore*
  /usr/bin/time -v $PY Benchmarks/scripts/python_bindings.py stage-frozen "$WORK/py.tdstore" fashion-mnist:test "$WORK/policy.json" \
    "$WORK/teacher.pt" 128 2 > "$WORK/o" 2> "$WORK/t"
  add python-stage-frozen "$round" "$WORK/o" "$WORK/t"
  /usr/bin/time -v $PY Benchmarks/scripts/python_bindings.py forward-frozen "$WORK/teacher.pt" 10000 128 2 > "$WORK/o" 2> "$WORK/t"
  add python-forward-frozen "$round" "$WORK/o" "$WORK/t"
  echo "round $round done" >&2
done
/usr/bin/python3 - "$WORK/rounds.json" "$(git rev-parse --short HEAD)" "$(cat "$WORK/params")" "$ROUNDS" "$TORCH" "$PACKAGE" \
  "$("$PY" -c 'import platform; print(platform.python_version())')" > results/python-bindings.json <<'PY'
import json, sys
print(json.dumps({"commit": sys.argv[2], "command": "Benchmarks/scripts/python-bindings.sh " + sys.argv[4],
                  "teacher_parameters": int(sys.argv[3]), "torch": sys.argv[5], "package": sys.argv[6],
                  "python": sys.argv[7], "rounds": json.load(open(sys.argv[1]))}, indent=1))
PY
$PY scripts/render-python-bindings.py results/python-bindings.json
