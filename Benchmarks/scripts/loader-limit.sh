#!/usr/bin/env bash
# Issue 17's loader benchmark, everything side by side in one run on the same files and 2 threads:
#   - the decode-only limit: every JPEG read and fully decoded by libjpeg-turbo, no augmentation;
#   - tinydistill stream (batch 128, 2 workers, K = 100 of C = 21,841 records) with the full default
#     policy and with RandomResizedCrop + flip only, from the original JPEGs and from packs whose
#     images are pre-resized to 256 and 320 px (tinydistill pack --max-side);
#   - a PyTorch DataLoader with timm's TinyViT transform (Benchmarks/scripts/pytorch_loader_baseline.py);
#   - FFCV 1.0.2's ImageNet train pipeline (Benchmarks/scripts/ffcv_loader.py), original sizes and 256 px.
# Rounds alternate the runs so drift hits all alike. Python packages live in their own virtual
# environment ($VENV, made here on first use from PyPI: timm, ffcv, numpy<2), never in make test.
#   Benchmarks/scripts/loader-limit.sh [images=2000] [rounds=3]   → results/loader-limit.json
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-2000}
ROUNDS=${2:-3}
WORK=${WORK:-/tmp/td-loader-limit}
VENV=${VENV:-$WORK/venv}
OUT=${OUT:-results/loader-limit.json}
mkdir -p "$WORK"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import timm, ffcv" 2>/dev/null; then
  dpkg -s libopencv-dev pkg-config libturbojpeg0-dev python3-venv python3-torchvision >/dev/null 2>&1 || \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q libopencv-dev pkg-config libturbojpeg0-dev python3-venv python3-torchvision
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
  "$VENV/bin/pip" install -q "timm==0.9.16" "ffcv==1.0.2" "numpy<2"
fi
swift build -c release --product tinydistill >/dev/null
swift build -c release --product DecodeLimit >/dev/null
BIN=$(swift build -c release --show-bin-path)
RRC=Benchmarks/policies/rrc-flip-224.json
[ -d "$WORK/jpegs" ] || /usr/bin/python3 Benchmarks/scripts/make-jpeg-folder.py "$WORK/jpegs" "$N" 500 375
for side in 256 320; do
  [ -f "$WORK/p$side.tdpack" ] || "$BIN/tinydistill" pack "$WORK/jpegs" --out "$WORK/p$side.tdpack" --max-side "$side" --json \
    > "$WORK/pack$side.json"
done
store() {  # DATA_NAME DATA POLICY_NAME [--policy FILE]
  local s="$WORK/$1-$3.tdstore"
  [ -f "$s" ] || "$BIN/tinydistill" precompute --data "$2" --teacher synthetic:21841 --topk 100 --epochs 1 "${@:4}" --out "$s" >/dev/null 2>&1
  echo "$s"
}
RAW=$WORK/raw.jsonl
: > "$RAW"
record() {  # LABEL ROUND COMMAND... (the command prints one JSON line; peak RSS from /usr/bin/time)
  local label=$1 round=$2; shift 2
  local line
  line=$(timeout 1200 /usr/bin/time -f "%M" -o "$WORK/rss" "$@" 2>"$WORK/err" | tail -1) || { echo "loader-limit: $label failed:" >&2; tail -5 "$WORK/err" >&2; return 0; }
  /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(label=sys.argv[2], round=int(sys.argv[3]), peak_rss_mb=int(open(sys.argv[4]).read().split()[-1])/1024); print(json.dumps(d, sort_keys=True))' \
    "$line" "$label" "$round" "$WORK/rss" >> "$RAW"
  echo "  $label: $(/usr/bin/python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["images_per_s"]))' "$line") images/s"
}
declare -A STORES DATA
for d in jpegs p256 p320; do
  DATA[$d]=$([ $d = jpegs ] && echo "$WORK/jpegs" || echo "pack:$WORK/$d.tdpack")
  STORES[$d-full]=$(store $d "${DATA[$d]}" full)
  STORES[$d-rrc]=$(store $d "${DATA[$d]}" rrc --policy "$RRC")
done
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r"
  record decode-only "$r" "$BIN/DecodeLimit" "$WORK/jpegs" 2 1
  for d in jpegs p256 p320; do
    for p in full rrc; do
      record "stream-$d-$p" "$r" "$BIN/tinydistill" stream --store "${STORES[$d-$p]}" --data "${DATA[$d]}" --batch 128 --workers 2 --json
    done
  done
  record pytorch-timm "$r" "$VENV/bin/python" Benchmarks/scripts/pytorch_loader_baseline.py "$WORK/jpegs" 2 128 100
  record ffcv-original "$r" "$VENV/bin/python" Benchmarks/scripts/ffcv_loader.py "$WORK/jpegs" "$WORK/original.beton" 0 2 128 1
  record ffcv-256 "$r" "$VENV/bin/python" Benchmarks/scripts/ffcv_loader.py "$WORK/jpegs" "$WORK/256.beton" 256 2 128 1
done
/usr/bin/python3 scripts/render-loader-limit.py "$RAW" "$WORK" "$N" "$ROUNDS" > "$OUT"
echo "wrote $OUT"
