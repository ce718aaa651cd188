#!/usr/bin/python3
"""The baseline loader: a PyTorch DataLoader with timm's training transforms (the TinyViT recipe:
RandomResizedCrop 224 bicubic, flip, rand-m9-mstd0.5-inc1, random erasing 0.25 pixel mode) over an
ImageFolder of JPEGs, reading each sample's stored teacher record from a per-epoch binary file laid
out as the TinyViT reference stores them (fixed-size records: int32 seed, K int16 indices, K fp16 values).

    /usr/bin/python3 Benchmarks/scripts/pytorch_loader_baseline.py JPEG_FOLDER [workers] [batch] [k]

Needs Debian's python3-torch, python3-torchvision, python3-pil and timm (pip). Prints one JSON line.
"""
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image
from timm.data import create_transform

root = sys.argv[1]
workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 64
k = int(sys.argv[4]) if len(sys.argv) > 4 else 10
torch.set_num_threads(1)

classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
files = [(os.path.join(root, c, f), i) for i, c in enumerate(classes) for f in sorted(os.listdir(os.path.join(root, c)))]
record = np.dtype([("seed", "<i4"), ("idx", "<i2", (k,)), ("val", "<f2", (k,))])
logits_path = "/tmp/td-reference-layout-epoch0.bin"
rng = np.random.default_rng(0)
recs = np.zeros(len(files), dtype=record)
recs["seed"] = rng.integers(0, 2**31 - 1, len(files))
recs["idx"] = rng.integers(0, 1000, (len(files), k))
recs["val"] = rng.random((len(files), k)).astype(np.float16)
recs.tofile(logits_path)


class Dataset(torch.utils.data.Dataset):
    def __init__(self):
        self.transform = create_transform(224, is_training=True, auto_augment="rand-m9-mstd0.5-inc1", re_prob=0.25,
                                          re_mode="pixel", interpolation="bicubic")
        self.records = None

    def __len__(self):
        return len(files)

    def __getitem__(self, i):
        if self.records is None:
            self.records = np.memmap(logits_path, dtype=record, mode="r")
        r = self.records[i]
        path, label = files[i]
        with open(path, "rb") as f:
            img = Image.open(f).convert("RGB")
        return self.transform(img), label, torch.from_numpy(r["idx"].astype(np.int64)), torch.from_numpy(r["val"].astype(np.float32))


loader = torch.utils.data.DataLoader(Dataset(), batch_size=batch, shuffle=True, num_workers=workers, drop_last=True,
                                     persistent_workers=False)
n = 0
start = time.time()
for images, labels, idx, val in loader:
    n += images.shape[0]
seconds = time.time() - start
print(json.dumps({"implementation": "pytorch-dataloader+timm", "images": n, "seconds": seconds, "images_per_s": n / seconds,
                  "workers": workers, "batch": batch}, sort_keys=True))
