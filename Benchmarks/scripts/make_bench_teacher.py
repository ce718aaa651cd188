#!/usr/bin/python3
"""Writes a TorchScript CPU teacher for the binding benchmarks: a ResNet-style CNN (1x32x32 -> 10 logits,
833,258 parameters) with weights from seed 0. Its accuracy does not matter: both sides run the same
file, so only their throughput is compared. `build()` gives the same network as an eager nn.Module
(python_bindings.py stage-eager loads the file's weights into it). Usage: make_bench_teacher.py OUT.pt"""
import sys

import torch
import torch.nn as nn


def block(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


def build():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                         block(32, 64, 1), block(64, 128, 2), block(128, 192, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(192, 10)).eval()


if __name__ == "__main__":
    model = build()
    torch.jit.script(model).save(sys.argv[1])
    print(sum(p.numel() for p in model.parameters()))
