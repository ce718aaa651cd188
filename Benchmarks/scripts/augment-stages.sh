#!/usr/bin/env bash
# Mean time of each decode/augmentation stage on one 500×375 quality-90 JPEG, 224 output, release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product AugmentStages >/dev/null
"$(swift build -c release --show-bin-path)/AugmentStages"
