#!/usr/bin/python3
"""Second TinyViT parity fixture, made with the public reference implementation.

The reference fixture (tinyvit-reference/, beside this script) uses windows that tile every stage exactly, and
its logits hardly depend on the input. This one adds what it leaves out: windows of 3 that never tile
(8x8, 4x4, 2x2 token maps are padded), random attention biases (so the relative-offset indexing matters),
random BatchNorm statistics and affine parameters, and inputs whose logits differ clearly.

Usage (Debian python3-torch; the reference file is read from the path given, never committed here):

    git show HEAD:TinyViT/models/tiny_vit.py > /tmp/tiny_vit.py     # in a clone of microsoft/Cream
    /usr/bin/python3 Tests/ModelsTests/Fixtures/make_tinyvit_padded.py /tmp/tiny_vit.py

    # and the other direction: a tinydistill checkpoint loads into the reference with strict=True
    /usr/bin/python3 Tests/ModelsTests/Fixtures/make_tinyvit_padded.py /tmp/tiny_vit.py --check OURS.safetensors CONFIG.json

timm is not needed: the few helpers the reference imports from it are provided below.
"""
import importlib.util
import json
import math
import os
import struct
import sys
import types

import numpy as np
import torch
import torch.nn as nn


def install_timm_stand_ins() -> None:
    """Minimal stand-ins for the timm names the reference imports (DropPath, to_2tuple, trunc_normal_, ...)."""
    class DropPath(nn.Module):
        def __init__(self, drop_prob=None):
            super().__init__()
            self.drop_prob = drop_prob or 0.0

        def forward(self, x):
            if self.drop_prob == 0.0 or not self.training:
                return x
            keep = 1.0 - self.drop_prob
            mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
            return x * mask / keep

    def to_2tuple(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

    def trunc_normal_(t, std=1.0, a=-2.0, b=2.0):
        with torch.no_grad():
            return t.normal_(0.0, std).clamp_(a, b)

    def register_model(fn):
        return fn

    def build_model_with_cfg(cls, variant, pretrained, **kwargs):
        kwargs.pop("pretrained_cfg", None)
        kwargs.pop("default_cfg", None)
        kwargs.pop("pretrained_filter_fn", None)
        return cls(**kwargs)

    timm = types.ModuleType("timm")
    timm.__version__ = "0.9.0"
    models = types.ModuleType("timm.models")
    layers = types.ModuleType("timm.models.layers")
    layers.DropPath, layers.to_2tuple, layers.trunc_normal_ = DropPath, to_2tuple, trunc_normal_
    registry = types.ModuleType("timm.models.registry")
    registry.register_model = register_model
    builder = types.ModuleType("timm.models._builder")
    builder.build_model_with_cfg = build_model_with_cfg
    for name, mod in [("timm", timm), ("timm.models", models), ("timm.models.layers", layers),
                      ("timm.models.registry", registry), ("timm.models._builder", builder)]:
        sys.modules[name] = mod


def load_reference(path):
    install_timm_stand_ins()
    spec = importlib.util.spec_from_file_location("reference_tiny_vit", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    types_ = {"F32": np.float32, "I64": np.int64, "F16": np.float16}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, t = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:t], dtype=types_[e["dtype"]]).reshape(e["shape"]).copy())
    return out


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    names = {torch.float32: "F32", torch.int64: "I64"}
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


CONFIG = {"img_size": 64, "in_chans": 3, "num_classes": 10, "embed_dims": [16, 32, 48, 64], "depths": [1, 2, 2, 1],
          "num_heads": [1, 2, 3, 4], "window_sizes": [3, 3, 3, 3], "mlp_ratio": 4.0, "drop_rate": 0.0,
          "drop_path_rate": 0.0, "mbconv_expand_ratio": 4.0, "local_conv_size": 3}


def make_fixture(ref, out_dir):
    torch.manual_seed(2026)
    model = ref.TinyViT(**CONFIG)
    with torch.no_grad():
        # Larger weights than the reference's init (Linear std 0.02) so every stage moves the logits.
        for name, p in model.named_parameters():
            if name.endswith("attention_biases"):
                p.normal_(0.0, 1.0)
            elif p.dim() == 2:
                p.normal_(0.0, 1.0 / math.sqrt(p.shape[1]))
            elif p.dim() == 4:
                p.normal_(0.0, 1.0 / math.sqrt(p[0].numel()))
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    model.eval()
    x = torch.randn(4, 3, 64, 64)
    with torch.no_grad():
        logits = model(x)
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("attention_bias_idxs")}
    os.makedirs(out_dir, exist_ok=True)
    write_safetensors(os.path.join(out_dir, "weights.safetensors"), state)
    write_safetensors(os.path.join(out_dir, "io.safetensors"), {"input": x, "logits": logits})
    cfg = dict(CONFIG)
    cfg["params"] = sum(p.numel() for p in model.parameters())
    json.dump(cfg, open(os.path.join(out_dir, "config.json"), "w"), indent=1)
    spread = (logits - logits.mean(0)).abs().max().item()
    with torch.no_grad():
        h = model.patch_embed(x)
        for i, layer in enumerate(model.layers):
            h = layer(h)
            print(f"stage {i}: output spread across inputs {(h - h.mean(0)).abs().max().item():.3f}")
    print(f"wrote {out_dir}: {len(state)} tensors, {cfg['params']} parameters, logit spread across inputs {spread:.3f}")


def check_ours(ref, weights, config_path):
    cfg = json.load(open(config_path))
    cfg.pop("params", None)
    if "arch" in cfg:
        cfg = cfg["config"]
    model = ref.TinyViT(**cfg)
    result = model.load_state_dict(read_safetensors(weights), strict=True)
    print(f"{weights}: loads into the reference TinyViT with strict=True ({result})")


if __name__ == "__main__":
    reference = load_reference(sys.argv[1])
    if len(sys.argv) >= 5 and sys.argv[2] == "--check":
        check_ours(reference, sys.argv[3], sys.argv[4])
    else:
        make_fixture(reference, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tinyvit-padded"))
