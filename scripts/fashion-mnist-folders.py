#!/usr/bin/env python3
"""Writes a Fashion-MNIST split (the Debian package dataset-fashion-mnist) as an ImageFolder of
grayscale PNGs, the layout users bring their own data in:

    scripts/fashion-mnist-folders.py OUT [--split train|test] [--limit N] [--layout names|grouped]

--layout names (the default) makes one folder per class, named as a folder can be: `t-shirt-top`,
`trouser`, ..., `ankle-boot`. They sort into an order other than the teacher's (bag, boot, coat, ...),
which is the case a class map (or renamed folders) is for. --layout grouped makes five folders, the
grouping of issue 28's experiment: tops (T-shirt/top, Pullover, Coat, Shirt), bottoms (Trouser),
dresses (Dress), footwear (Sandal, Sneaker, Ankle boot) and bags (Bag).
--limit keeps the first N images of the split. Files are named img<index>.png by their index in the
split. Prints the class map from the teacher's names onto the folders (TEACHER<TAB>FOLDER) to
OUT.class-map.tsv."""
import argparse
import gzip
import os
import struct
import zlib

ROOT = "/usr/share/datasets/fashion-mnist"
NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
FOLDERS = ["t-shirt-top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]
GROUPS = {"T-shirt/top": "tops", "Pullover": "tops", "Coat": "tops", "Shirt": "tops", "Trouser": "bottoms",
          "Dress": "dresses", "Sandal": "footwear", "Sneaker": "footwear", "Ankle boot": "footwear", "Bag": "bags"}


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    dims = (magic & 0xFF) - 1
    shape = struct.unpack(">" + "I" * dims, data[8:8 + 4 * dims])
    return count, shape, data[8 + 4 * dims:]


def png(width, height, pixels):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--split", choices=["train", "test"], default="train")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--layout", choices=["names", "grouped"], default="names")
    a = ap.parse_args()
    prefix = "train" if a.split == "train" else "t10k"
    n, (h, w), pixels = idx(os.path.join(ROOT, f"{prefix}-images-idx3-ubyte.gz"))
    m, _, labels = idx(os.path.join(ROOT, f"{prefix}-labels-idx1-ubyte.gz"))
    assert n == m, "images and labels disagree"
    n = min(n, a.limit or n)
    folder = (lambda c: FOLDERS[c]) if a.layout == "names" else (lambda c: GROUPS[NAMES[c]])
    for c in range(10):
        os.makedirs(os.path.join(a.out, folder(c)), exist_ok=True)
    for i in range(n):
        c = labels[i]
        with open(os.path.join(a.out, folder(c), f"img{i:05d}.png"), "wb") as f:
            f.write(png(w, h, pixels[i * h * w:(i + 1) * h * w]))
    with open(a.out.rstrip("/") + ".class-map.tsv", "w") as f:
        f.write("# teacher class<TAB>folder (scripts/fashion-mnist-folders.py --layout %s)\n" % a.layout)
        for c in range(10):
            f.write(f"{NAMES[c]}\t{folder(c)}\n")
    print(f"{a.out}: {n} images of fashion-mnist:{a.split} in {len(set(folder(c) for c in range(10)))} folders")


if __name__ == "__main__":
    main()
