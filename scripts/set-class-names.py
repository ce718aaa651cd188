#!/usr/bin/env python3
"""Records a checkpoint's class names in its safetensors metadata (`tinydistill.class_names`, a JSON
array, what `train` writes from the dataset's names), leaving every tensor byte as it was. A built-in
teacher then records the names in the stores it makes, and precompute, train, stream and verify check
them against the dataset's.

    scripts/set-class-names.py CHECKPOINT NAMES        NAMES: one name per line, or a JSON array
    scripts/set-class-names.py CHECKPOINT --fashion-mnist

The names must be as many as the checkpoint's classes (`num_classes` of its `tinydistill.arch`). The
file is rewritten through a temporary file and renamed into place; the tensors' bytes are compared with
the original's before the rename."""
import json
import os
import struct
import sys

FASHION_MNIST = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
KEY = "tinydistill.class_names"


def fail(message):
    print(f"set-class-names: {message}", file=sys.stderr)
    sys.exit(1)


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    path, source = argv[1], argv[2]
    if source == "--fashion-mnist":
        names = FASHION_MNIST
    else:
        text = open(source, encoding="utf-8").read()
        names = json.loads(text) if text.lstrip().startswith("[") else text.rstrip("\n").split("\n")
    if len(set(names)) != len(names) or any(not n or "\n" in n for n in names):
        fail(f"{source}: names must be non-empty, on one line each, and differ")
    blob = open(path, "rb").read()
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + size])
    data = blob[8 + size:]
    meta = header.setdefault("__metadata__", {})
    arch = json.loads(meta.get("tinydistill.arch", "{}"))
    classes = arch.get("config", {}).get("num_classes")
    if classes != len(names):
        fail(f"{path}: {len(names)} names for a checkpoint of {classes} classes")
    meta[KEY] = json.dumps(names, ensure_ascii=False, separators=(",", ":"))
    encoded = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # the data starts 8-byte aligned, as safetensors writers pad it
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + data)
    check = open(tmp, "rb").read()
    (new_size,) = struct.unpack("<Q", check[:8])
    if check[8 + new_size:] != data or json.loads(check[8:8 + new_size])["__metadata__"][KEY] != meta[KEY]:
        os.unlink(tmp)
        fail(f"{path}: the rewritten file does not read back the same; left unchanged")
    os.replace(tmp, path)
    print(f"{path}: {len(names)} class names recorded ({KEY}); {len(data)} tensor bytes unchanged")


if __name__ == "__main__":
    main(sys.argv)
