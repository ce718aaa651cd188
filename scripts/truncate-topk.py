#!/usr/bin/python3
"""Writes a store that keeps only the K largest entries of each record of a store with more: the store a
precompute at that K would have written (same seeds, same fp16 values: the top-k of a softmax are the
first k of its top-K), without running the teacher again. For the K ablation of docs/results.md.
One exception: where the entries at the cut are equal in the stored codec, the float order precompute
saw is gone, and the lower class is kept (python/tests counts these; 1 record in 320 of a random
teacher's flat distributions).

    PYTHONPATH=python scripts/truncate-topk.py SRC.tdstore DATA K OUT.tdstore

Runs through tinydistill.TeacherStage, so the new store is resumable and checked like any other; it
records the teacher as "caller:topK-of:<source architecture>" with the source's weights hash.
"""
import json
import sys

import numpy as np

import tinydistill

src_path, data, k, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
src = tinydistill.Store(src_path)
meta = src.metadata
if not 1 <= k < src.k:
    sys.exit(f"K {k} must be below the source's K = {src.k}")
n = meta["dataset"]["sample_count"]
info = {"name": "topK-of:" + meta["teacher"]["architecture"][:200], "digest": meta["teacher"]["weights_hash"],
        "num_classes": src.num_classes}
stage = tinydistill.TeacherStage(out, data, policy=json.loads(meta["policy"]), topk=k, epochs=meta["epochs"],
                                 seed=meta["run_seed"], codec=meta["value_codec"], teacher_info=info, batch_size=1024,
                                 chunk_records=meta["chunk_records"])
cache = {}


def epoch_rows(e):
    """Per sample of epoch e: its entries by descending value (ties: lower class)."""
    if e not in cache:
        cache.clear()
        idx = np.zeros((n, src.k), np.int64)
        val = np.zeros((n, src.k), np.float32)
        for c in src.iter_chunks(epoch=e):
            order = np.lexsort((c.indices, -c.values), axis=1)
            idx[c.sample_ids] = np.take_along_axis(c.indices.astype(np.int64), order, 1)
            val[c.sample_ids] = np.take_along_axis(c.values, order, 1)
        cache[e] = (idx, val)
    return cache[e]


with stage:
    for batch in stage:
        idx = np.zeros((len(batch), k), np.int64)
        val = np.zeros((len(batch), k), np.float32)
        for e in np.unique(batch.epochs):
            rows = batch.epochs == e
            i, v = epoch_rows(int(e))
            idx[rows] = i[batch.sample_ids[rows], :k]
            val[rows] = v[batch.sample_ids[rows], :k]
        stage.write(batch, topk=(idx, val))
print(json.dumps(stage.summary, sort_keys=True))
