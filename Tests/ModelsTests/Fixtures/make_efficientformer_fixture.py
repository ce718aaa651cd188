#!/usr/bin/python3
"""A second EfficientFormer parity fixture, made with the public reference implementation (snap-research).

The reference fixture's (efficientformer-reference/) two output rows differ by less than its 1e-4 tolerance, so it cannot catch a wrong
feature path. This one scales weights (N(0, 1/fan_in)), layer scales (0.5–1.5), attention biases (N(0, 1))
and BatchNorm statistics so that every block moves the logits, and checks that the rows differ clearly.

    git -C /path/to/EfficientFormer show HEAD:models/efficientformer.py > /tmp/efficientformer.py
    /usr/bin/python3 Tests/ModelsTests/Fixtures/make_efficientformer_fixture.py /tmp/efficientformer.py

Needs Debian's python3-torch and timm (pip); the reference file is read from the path, never committed.
"""
import importlib.util
import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn

spec = importlib.util.spec_from_file_location("reference_efficientformer", sys.argv[1])
ref = importlib.util.module_from_spec(spec)
sys.modules["reference_efficientformer"] = ref  # timm's register_model looks the module up
spec.loader.exec_module(ref)

CONFIG = {"layers": [1, 1, 2, 2], "embed_dims": [16, 24, 32, 48], "mlp_ratios": 4, "downsamples": [True, True, True, True],
          "vit_num": 1, "num_classes": 10, "distillation": True}
torch.manual_seed(77)
model = ref.EfficientFormer(**CONFIG)
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith("attention_biases"):
            p.normal_(0.0, 1.0)
        elif "layer_scale" in name:
            p.uniform_(0.5, 1.5)
        elif p.dim() >= 2:
            p.normal_(0.0, 1.0 / math.sqrt(p[0].numel()))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.1, 0.1)
model.eval()
x = torch.randn(2, 3, 224, 224)
with torch.no_grad():
    logits = model(x)
spread = (logits[0] - logits[1]).abs().max().item()
assert spread > 0.01, f"rows differ by only {spread}"


def write(path, tensors):
    header, blobs, offset = {}, [], 0
    names = {torch.float32: "F32", torch.int64: "I64"}
    for k in sorted(tensors):
        t = tensors[k].contiguous()
        data = t.numpy().tobytes()
        header[k] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "efficientformer-strong")
os.makedirs(out, exist_ok=True)
write(os.path.join(out, "weights.safetensors"), model.state_dict())
write(os.path.join(out, "io.safetensors"), {"input": x, "logits": logits})
cfg = dict(CONFIG)
cfg["params"] = sum(p.numel() for p in model.parameters())
json.dump(cfg, open(os.path.join(out, "config.json"), "w"), indent=1)
print(f"wrote {out}: {cfg['params']} parameters, rows differ by {spread:.3f}")
