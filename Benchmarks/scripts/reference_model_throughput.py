#!/usr/bin/python3
"""The reference TinyViT (PyTorch 1.13 from Debian's python3-torch, same libtorch as ours) measured with the
same configs, batch sizes and threads as Benchmarks/scripts/model-throughput.sh, for a side-by-side table.

    git -C /path/to/Cream show HEAD:TinyViT/models/tiny_vit.py > /tmp/tiny_vit.py
    /usr/bin/python3 Benchmarks/scripts/reference_model_throughput.py /tmp/tiny_vit.py [seconds]

Training step = forward + soft-target cross-entropy on a dense target + backward + AdamW (ours uses the
sparse form of the same loss).
"""
import importlib.util
import json
import os
import sys
import time

import torch

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "fixture_tools", os.path.join(here, "..", "..", "Tests", "ModelsTests", "Fixtures", "make_tinyvit_padded.py"))
tools = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tools)
ref = tools.load_reference(sys.argv[1])
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
torch.set_num_threads(2)

FIVE = dict(embed_dims=[64, 128, 160, 320], depths=[2, 2, 6, 2], num_heads=[2, 4, 5, 10], window_sizes=[7, 7, 14, 7])
MINI = dict(embed_dims=[32, 64, 128, 160], depths=[2, 2, 4, 2], num_heads=[1, 2, 4, 5], window_sizes=[4, 4, 4, 2])
RUNS = [("tinyvit-5m", FIVE, 224, 3, 1000, 16), ("tinyvit-mini", MINI, 32, 1, 10, 128), ("tinyvit-5m", FIVE, 32, 1, 10, 128)]

for name, dims, size, chans, classes, batch in RUNS:
    model = ref.TinyViT(img_size=size, in_chans=chans, num_classes=classes, drop_path_rate=0.0, **dims)
    x = torch.randn(batch, chans, size, size)
    target = torch.softmax(torch.randn(batch, classes), 1)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def train_step():
        opt.zero_grad()
        loss = torch.sum(-target * torch.log_softmax(model(x), 1), 1).mean()
        loss.backward()
        opt.step()

    for mode in ["forward", "train-step"]:
        model.train(mode == "train-step")
        with torch.set_grad_enabled(mode == "train-step"):
            step = train_step if mode == "train-step" else (lambda: model(x))
            step()
            n, start = 0, time.time()
            while time.time() - start < seconds:
                step()
                n += batch
        print(json.dumps({"implementation": "reference", "arch": name, "image_size": size, "channels": chans,
                          "batch": batch, "threads": 2, "mode": mode,
                          "images_per_s": n / (time.time() - start),
                          "parameters": sum(p.numel() for p in model.parameters())}, sort_keys=True))
