#!/usr/bin/env python3
"""Records in a checkpoint's safetensors metadata what `train` writes into the checkpoints it makes now,
for checkpoints made before it did, leaving every tensor byte as it was:
- its class names (`tinydistill.class_names`, a JSON array): a built-in teacher records them in its
  stores, and precompute, train, stream and verify check them against the dataset's;
- its own top-1 and the data it was measured on (`tinydistill.eval_top1`, `tinydistill.eval_data`), from
  the last epoch of its training log: the stores record them, and inspect and precompute warn when the
  teacher agrees with the labels on less than half of it.

    scripts/set-checkpoint-metadata.py CHECKPOINT (NAMES | --fashion-mnist) [--top1-from-log LOG.json]

NAMES is one name per line, or a JSON array; they must be as many as the checkpoint's classes
(`num_classes` of its `tinydistill.arch`). LOG.json is a `train` log (log.json; its last epoch's
eval_top1 and its options' eval). The file is rewritten through a temporary file and renamed into place;
the tensors' bytes are compared with the original's before the rename."""
import json
import os
import struct
import sys

FASHION_MNIST = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
KEY = "tinydistill.class_names"
TOP1, TOP1_DATA = "tinydistill.eval_top1", "tinydistill.eval_data"


def fail(message):
    print(f"set-checkpoint-metadata: {message}", file=sys.stderr)
    sys.exit(1)


def main(argv):
    log = None
    if len(argv) == 5 and argv[3] == "--top1-from-log":
        log, argv = argv[4], argv[:3]
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
    if log is not None:
        entry = json.load(open(log))
        top1, data_spec = entry["epochs"][-1].get("eval_top1"), entry["options"].get("eval")
        if top1 is None or data_spec is None:
            fail(f"{log}: its last epoch has no eval_top1, or the run no --eval")
        meta[TOP1], meta[TOP1_DATA] = repr(float(top1)), data_spec
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
    extra = f", top-1 {meta[TOP1]} on {meta[TOP1_DATA]}" if log is not None else ""
    print(f"{path}: {len(names)} class names recorded ({KEY}){extra}; {len(data)} tensor bytes unchanged")


if __name__ == "__main__":
    main(sys.argv)
