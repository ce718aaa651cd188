#!/usr/bin/python3
"""Measures the chunk payload bytes/record of top-K and sampled targets drawn from a store that holds every
class, on one stored epoch, and picks the sample:N at each top-K's bytes: the largest N whose payload per
record does not exceed top-K's. For the sampled-target grid (scripts/full-schedule sample grid).

    PYTHONPATH=python scripts/sampled-bytes.py [SRC.tdstore] [DATA] [--out results/sampled-bytes.json]

Defaults: out/full/k10.tdstore (the full schedule's K = 10 store) and fashion-mnist:train. Each setting
is written through tinydistill.TeacherStage into a temporary store (epoch 0 only, the source's policy,
seed, codec and chunk size) and its summary's bytesPerRecord (compressed chunk bytes / records) taken.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

import tinydistill

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
args = [a for a in sys.argv[1:] if not a.startswith("--")]
out_path = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else os.path.join(ROOT, "results", "sampled-bytes.json")
args = [a for a in args if a != out_path]
src_path = args[0] if args else os.path.join(ROOT, "out", "full", "k10.tdstore")
data = args[1] if len(args) > 1 else "fashion-mnist:train"
src = tinydistill.Store(src_path)
meta = src.metadata
c = src.num_classes
if src.k != c:
    sys.exit(f"{src_path}: K = {src.k} of C = {c}; the measurement needs a store that holds every class")
n = meta["dataset"]["sample_count"]
p = np.zeros((n, c), np.float32)
for ch in src.iter_chunks(epoch=0):
    rows = np.zeros((len(ch.sample_ids), c), np.float32)
    np.put_along_axis(rows, ch.indices.astype(np.int64), ch.values, 1)
    p[ch.sample_ids] = rows
p /= p.sum(1, keepdims=True)
info = {"name": "bytes-of:" + meta["teacher"]["architecture"][:200], "digest": meta["teacher"]["weights_hash"], "num_classes": c}
topk = [1, 2, 3, 5, 10]
draws = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 28, 32, 40, 48, 64]
measured = {}
with tempfile.TemporaryDirectory() as tmp:
    for targets in [f"topk:{k}" for k in topk] + [f"sample:{d}" for d in draws]:
        path = os.path.join(tmp, targets.replace(":", "_") + ".tdstore")
        with tinydistill.TeacherStage(path, data, policy=json.loads(meta["policy"]), targets=targets, epochs=1,
                                      seed=meta["run_seed"], codec=meta["value_codec"], teacher_info=info,
                                      batch_size=1024, chunk_records=meta["chunk_records"]) as st:
            for b in st:
                st.write(b, probs=p[b.sample_ids])
        measured[targets] = st.summary["bytesPerRecord"]
        print(f"{targets}: {measured[targets]:.3f} payload bytes/record", flush=True)
matches = {}
for k in topk:
    fits = [d for d in draws if measured[f"sample:{d}"] <= measured[f"topk:{k}"]]
    matches[f"topk:{k}"] = f"sample:{max(fits)}" if fits else None
result = {"command": "scripts/sampled-bytes.py", "source": os.path.relpath(src_path, ROOT), "source_digest":
          json.loads(subprocess.run([os.path.join(ROOT, ".build", "release", "tinydistill"), "inspect", src_path, "--json"],
                                    capture_output=True, text=True, check=True).stdout)["digest"],
          "data": data, "epoch": 0, "records": n, "payload_bytes_per_record": measured, "sampled_at_bytes_of": matches}
json.dump(result, open(out_path, "w"), indent=1, sort_keys=True)
print(json.dumps(matches))
