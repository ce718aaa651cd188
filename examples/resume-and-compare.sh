#!/usr/bin/env bash
# Example: make the same store twice, once interrupted and resumed, and check with the record
# digest of `inspect --json` that both hold exactly the same records.
# Run from the repository root after `make release` (or `swift build -c release`).
set -euo pipefail
BIN=${BIN:-$(swift build -c release --show-bin-path)/tinydistill}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
ARGS=(precompute --data synthetic:100000 --teacher synthetic:1000 --epochs 2 --topk 10 --seed 3)

"$BIN" "${ARGS[@]}" --out "$DIR/straight.tdstore" >/dev/null

"$BIN" "${ARGS[@]}" --out "$DIR/resumed.tdstore" >/dev/null 2>&1 &
PID=$!
sleep 1
kill -INT "$PID"
wait "$PID" || echo "interrupted (exit $?), resuming"
"$BIN" "${ARGS[@]}" --out "$DIR/resumed.tdstore" >/dev/null

digest() { "$BIN" inspect "$1" --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["digest"], r["records"])'; }
A=$(digest "$DIR/straight.tdstore")
B=$(digest "$DIR/resumed.tdstore")
echo "straight: $A"
echo "resumed:  $B"
[ "$A" = "$B" ] && echo "same records"
