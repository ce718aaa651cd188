#!/usr/bin/env bash
# Forward and training-step images/s of the issue-19 teacher and students, 1x32x32 inputs, batch 128,
# 2 threads, in alternating rounds (Benchmarks/ModelThroughput), so the teacher/student forward-cost ratio
# comes from one run. Writes results/teacher-student-cost.txt.
#   Benchmarks/scripts/teacher-student-cost.sh [ROUNDS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
SECONDS_PER=${2:-8}
swift build -c release --product ModelThroughput >/dev/null
BIN=.build/release/ModelThroughput
{
  echo "# commit $(git rev-parse --short HEAD); Benchmarks/scripts/teacher-student-cost.sh $ROUNDS $SECONDS_PER"
  for round in $(seq 1 "$ROUNDS"); do
    for arch in models/teacher-w56-arch.json models/student-tinyvit-0.8m.json models/student-efficientformer-0.9m.json; do
      echo "round $round $arch"
      $BIN --arch "$arch" --image-size 32 --channels 1 --classes 10 --batch 128 --threads 2 --seconds "$SECONDS_PER"
    done
  done
} | tee results/teacher-student-cost.txt
