#!/usr/bin/python3
"""Writes a copy of a Fashion-MNIST split's labels with 5 % flipped to another class, and the flipped keys.

    flip-labels.py SPLIT LABELS_OUT [KEYS_OUT]

numpy's default_rng(1) picks the samples (without replacement) and, for each, a shift of 1..9 classes,
so the flipped set is the same on every machine. Used by label-noise.sh and label-noise-training.sh.
"""
import gzip
import sys

import numpy as np

split, out = sys.argv[1], sys.argv[2]
name = {"train": "train", "test": "t10k"}[split]
raw = gzip.open(f"/usr/share/datasets/fashion-mnist/{name}-labels-idx1-ubyte.gz").read()
header, labels = raw[:8], np.frombuffer(raw[8:], dtype=np.uint8).copy()
rng = np.random.default_rng(1)
flip = np.sort(rng.choice(len(labels), size=len(labels) // 20, replace=False))
labels[flip] = (labels[flip] + rng.integers(1, 10, size=len(flip))) % 10
open(out, "wb").write(header + labels.tobytes())
if len(sys.argv) > 3:
    open(sys.argv[3], "w").write("\n".join(f"{split}/{i:05d}" for i in flip) + "\n")
