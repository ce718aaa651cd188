#!/usr/bin/python3
"""Reads `tinydistill stream --format tdb` frames from stdin as numpy arrays: the way a PyTorch training
loop consumes TinyDistill batches without a Swift dependency.

    tinydistill stream --store fm.tdstore --data fashion-mnist:train --batch 256 --format tdb \
        | python3 examples/stream_consumer.py

Each frame: b"TDBATCH1", u32 header length, JSON header {epoch, stored_epoch, position, n, c, h, w, k},
then little-endian arrays images float32 [n,c,h,w], indices int32 [n,k], values float32 [n,k],
labels int64 [n], sample_ids int64 [n]. In a training loop, wrap them with torch.from_numpy and build the
TinyViT sparse-KD target: values at indices, (1 - sum(values)) / (C - k) elsewhere.
Prints a JSON summary (batches, images, shapes, label histogram, mean top-K mass) at the end.
"""
import json
import struct
import sys

import numpy as np

MAGIC = b"TDBATCH1"


def read_exact(stream, n):
    data = stream.read(n)
    if len(data) != n:
        raise EOFError(f"truncated frame: wanted {n} bytes, got {len(data)}")
    return data


def frames(stream):
    while True:
        magic = stream.read(len(MAGIC))
        if not magic:
            return
        if magic != MAGIC:
            raise ValueError(f"not a tdb frame (magic {magic!r})")
        (length,) = struct.unpack("<I", read_exact(stream, 4))
        header = json.loads(read_exact(stream, length))
        n, c, h, w, k = (header[key] for key in ("n", "c", "h", "w", "k"))
        images = np.frombuffer(read_exact(stream, 4 * n * c * h * w), dtype="<f4").reshape(n, c, h, w)
        indices = np.frombuffer(read_exact(stream, 4 * n * k), dtype="<i4").reshape(n, k)
        values = np.frombuffer(read_exact(stream, 4 * n * k), dtype="<f4").reshape(n, k)
        labels = np.frombuffer(read_exact(stream, 8 * n), dtype="<i8")
        sample_ids = np.frombuffer(read_exact(stream, 8 * n), dtype="<i8")
        yield header, images, indices, values, labels, sample_ids


def main():
    batches, images_seen, mass = 0, 0, []
    shape, histogram, ids = None, {}, []
    for header, images, indices, values, labels, sample_ids in frames(sys.stdin.buffer):
        batches += 1
        images_seen += images.shape[0]
        shape = list(images.shape[1:])
        mass.append(float(values.sum(axis=1).mean()))
        for label in labels.tolist():
            histogram[label] = histogram.get(label, 0) + 1
        ids.extend(sample_ids.tolist())
        assert np.isfinite(images).all() and (indices >= 0).all() and (values >= 0).all()
    print(json.dumps({"batches": batches, "images": images_seen, "image_shape": shape,
                      "labels": {str(k): v for k, v in sorted(histogram.items())},
                      "mean_topk_mass": sum(mass) / max(len(mass), 1), "distinct_samples": len(set(ids)),
                      "first_sample_ids": ids[:5]}, sort_keys=True))


if __name__ == "__main__":
    main()
