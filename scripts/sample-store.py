#!/usr/bin/python3
"""Writes a store of sampled targets (docs/store-format.md "Sampled targets") from a store whose records
hold every class (K = C, as results/stores/k10.tdstore does): each record's N classes are drawn from its
stored distribution under its own seed, as `precompute --targets sample:N[:T]` draws them from the
teacher's, without running the teacher again. For the sampled-target grid of docs/results.md.

    PYTHONPATH=python scripts/sample-store.py SRC.tdstore DATA sample:N[:T] OUT.tdstore

The draw reads the source's fp16 values (renormalised), not the teacher's float32 softmax, so a class
whose cumulative bound moved by that rounding can differ from a precompute's draw; the new store records
the teacher as "caller:sample-of:<source architecture>" with the source's weights hash. Runs through
tinydistill.TeacherStage, so the store is resumable and checked like any other.
"""
import json
import sys

import numpy as np

import tinydistill

src_path, data, targets, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
src = tinydistill.Store(src_path)
meta = src.metadata
if src.k != src.num_classes:
    sys.exit(f"{src_path}: K = {src.k} of C = {src.num_classes}; sampling needs a store that holds every class")
n = meta["dataset"]["sample_count"]
info = {"name": "sample-of:" + meta["teacher"]["architecture"][:200], "digest": meta["teacher"]["weights_hash"],
        "num_classes": src.num_classes}
stage = tinydistill.TeacherStage(out, data, policy=json.loads(meta["policy"]), targets=targets,
                                 epochs=meta["epochs"], seed=meta["run_seed"], codec=meta["value_codec"],
                                 teacher_info=info, batch_size=1024, chunk_records=meta["chunk_records"])
cache = {}


def epoch_probs(e):
    """Per sample of epoch e: its stored distribution over all classes, renormalised."""
    if e not in cache:
        cache.clear()
        p = np.zeros((n, src.num_classes), np.float32)
        for c in src.iter_chunks(epoch=e):
            rows = np.zeros((len(c.sample_ids), src.num_classes), np.float32)
            np.put_along_axis(rows, c.indices.astype(np.int64), c.values, 1)
            p[c.sample_ids] = rows
        p /= p.sum(1, keepdims=True)
        cache[e] = p
    return cache[e]


with stage:
    for batch in stage:
        probs = np.zeros((len(batch), src.num_classes), np.float32)
        for e in np.unique(batch.epochs):
            rows = batch.epochs == e
            probs[rows] = epoch_probs(int(e))[batch.sample_ids[rows]]
        stage.write(batch, probs=probs)
print(json.dumps(stage.summary, sort_keys=True))
