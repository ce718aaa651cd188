#!/usr/bin/python3
"""Writes the TorchScript teacher fixture used by ModelsTests (run with Debian's python3-torch):

    /usr/bin/python3 Tests/ModelsTests/Fixtures/make_torchscript_fixture.py

tiny-teacher.pt       a scripted small CNN (1x28x28 -> 10 logits), eval mode, random BatchNorm statistics
tiny-teacher-io.safetensors   `input` (3x1x28x28 float32) and `logits` (3x10) as PyTorch computed them
"""
import json
import os
import struct

import torch
import torch.nn as nn

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(1234)


class SmallTeacher(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.features(x), 1))


model = SmallTeacher()
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.1, 0.1)
model.eval()
scripted = torch.jit.script(model)
scripted.save(os.path.join(here, "tiny-teacher.pt"))

x = torch.rand(3, 1, 28, 28)
with torch.no_grad():
    y = scripted(x)


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


write_safetensors(os.path.join(here, "tiny-teacher-io.safetensors"), {"input": x, "logits": y})
print("wrote tiny-teacher.pt and tiny-teacher-io.safetensors; logits[0] =", y[0].tolist())
