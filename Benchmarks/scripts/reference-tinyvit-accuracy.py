#!/usr/bin/python3
"""A TinyDistill student checkpoint in the public reference TinyViT: loads with load_state_dict(strict=True)
and gives the same Fashion-MNIST test accuracy there as `tinydistill evaluate` gives here.

    git -C CREAM_CLONE show HEAD:TinyViT/models/tiny_vit.py > /tmp/tiny_vit.py   # the reference, never committed
    Benchmarks/scripts/reference-tinyvit-accuracy.py /tmp/tiny_vit.py results/runs/full-offline-k5.safetensors \
        [--ours-json evaluate.json] [--out results/runs/full-offline-k5.reference.json]

The checkpoint records its architecture and normalisation (`tinydistill.arch`, `tinydistill.mean`,
`tinydistill.std`). The evaluation transform is the reference's (shorter side to floor(size / 0.875),
bicubic, centre crop, normalise), done with Pillow, which our resampler matches bit for bit. Prints the
reference's top-1, ours (from `tinydistill evaluate --json`, run here unless --ours-json is given) and
the difference in samples, and per image (from `tinydistill predict --json` over every test image) how
often the two top classes differ and the largest probability gap. Debian's python3-torch, python3-numpy
and python3-pil; timm is not needed.

The reference caches its attention biases (`Attention.ab`) when `.eval()` is called, so the weights are
loaded first and `.eval()` comes after: the other order runs the model with the biases it was built with.
"""
import argparse
import gzip
import importlib.util
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FMNIST = "/usr/share/datasets/fashion-mnist"


def helpers():
    path = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures", "make_tinyvit_padded.py")
    spec = importlib.util.spec_from_file_location("tinyvit_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def metadata(path):
    raw = open(path, "rb").read(8)
    n = struct.unpack("<Q", raw)[0]
    with open(path, "rb") as f:
        f.seek(8)
        return json.loads(f.read(n)).get("__metadata__", {})


def idx(name):
    with gzip.open(os.path.join(FMNIST, name)) as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("reference", help="the reference tiny_vit.py")
    p.add_argument("weights", help="a tinydistill TinyViT checkpoint (safetensors)")
    p.add_argument("--ours-json", help="`tinydistill evaluate --json` output (default: run it)")
    p.add_argument("--out", help="write the comparison as JSON here")
    args = p.parse_args()

    h = helpers()
    ref = h.load_reference(args.reference)
    meta = metadata(args.weights)
    arch = json.loads(meta["tinydistill.arch"])
    if arch.get("arch") != "tinyvit":
        sys.exit(f"{args.weights}: a {arch.get('arch')} checkpoint; the reference check is for TinyViT")
    cfg = arch["config"]
    model = ref.TinyViT(**cfg)
    result = model.load_state_dict(h.read_safetensors(args.weights), strict=True)
    model.eval()  # after loading: eval() caches the attention biases (see the module doc)
    size, channels = cfg["img_size"], cfg.get("in_chans", 3)
    mean = json.loads(meta["tinydistill.mean"]) if "tinydistill.mean" in meta else [0.485, 0.456, 0.406]
    std = json.loads(meta["tinydistill.std"]) if "tinydistill.std" in meta else [0.229, 0.224, 0.225]
    mean, std = np.array(mean[:channels], np.float32), np.array(std[:channels], np.float32)

    images, labels = idx("t10k-images-idx3-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz").astype(np.int64)
    resize = int(size / 0.875)
    batch, correct, probs = [], 0, []
    torch.set_num_threads(2)
    with torch.no_grad():
        for i, a in enumerate(images):
            img = Image.fromarray(a, "L")
            if channels == 3:
                img = img.convert("RGB")
            w, hh = img.size
            ow, oh = (resize, max(1, round(hh * resize / w))) if w <= hh else (max(1, round(w * resize / hh)), resize)
            img = img.resize((ow, oh), Image.BICUBIC)
            left, top = (ow - size) // 2, (oh - size) // 2
            x = np.asarray(img.crop((left, top, left + size, top + size)), np.float32).reshape(size, size, channels)
            batch.append(((x / 255.0 - mean) / std).transpose(2, 0, 1))
            if len(batch) == 500 or i == len(images) - 1:
                logits = model(torch.from_numpy(np.stack(batch)))
                start = i + 1 - len(batch)
                correct += int((logits.argmax(1).numpy() == labels[start:i + 1]).sum())
                probs.append(torch.softmax(logits, 1).numpy())
                batch = []
    reference_top1 = correct / len(labels)

    probs = np.concatenate(probs)

    binary = os.environ.get("TINYDISTILL_BIN") or os.path.join(
        subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, capture_output=True,
                       text=True, check=True).stdout.strip(), "tinydistill")
    if args.ours_json:
        ours = json.load(open(args.ours_json))
    else:
        ours = json.loads(subprocess.run([binary, "evaluate", "--model", args.weights, "--data", "fashion-mnist:test",
                                          "--json"], capture_output=True, text=True, check=True).stdout)
    ours_top1 = ours["top1"]
    classes = probs.shape[1]
    predicted = json.loads(subprocess.run(
        [binary, "predict", "--model", args.weights, "--top", str(classes), "--json"]
        + [f"fashion-mnist:test@{i}" for i in range(len(labels))], capture_output=True, text=True, check=True).stdout)
    ours_probs = np.zeros_like(probs, dtype=np.float64)
    for i, entry in enumerate(predicted):
        for t in entry["top"]:
            ours_probs[i, t["index"]] = t["probability"]
    gap = np.abs(ours_probs - probs).max(1)
    report = {"weights": args.weights, "strict_load": str(result), "reference_top1": reference_top1,
              "ours_top1": ours_top1, "difference_samples": round((reference_top1 - ours_top1) * len(labels)),
              "per_image": {"images": len(labels),
                            "top1_disagreements": int((ours_probs.argmax(1) != probs.argmax(1)).sum()),
                            "max_probability_gap": float(gap.max()),
                            "median_probability_gap": float(np.median(gap))}}
    print(json.dumps(report, indent=1))
    if args.out:
        json.dump(report, open(args.out, "w"), indent=1)


if __name__ == "__main__":
    main()
