"""The installed wheel's round trip, run by scripts/test-wheel-install with the Swift toolchain hidden:
TeacherStage (a numpy teacher) → verify → Loader, from the package in site-packages, not the checkout.

    python wheel-roundtrip.py WORKDIR POLICY.json

Fails (exit 1) when the package is imported from outside site-packages, when any library mapped into
the process comes from the Swift toolchain's folder or the build tree, or when a step's results disagree.
"""
import json
import os
import sys

import numpy as np

work, policy_file = sys.argv[1], sys.argv[2]
sys.path = [p for p in sys.path if p not in ("", os.getcwd())]
import tinydistill  # noqa: E402

pkg = os.path.dirname(tinydistill.__file__)
assert "site-packages" in pkg, f"tinydistill imported from {pkg}, not the installed wheel"

data = "synthetic-images:48:16x16x3:1:5"
with open(policy_file) as f:
    policy = dict(json.load(f), output_size=16)
store = os.path.join(work, "roundtrip.tdstore")
teacher = {"name": "numpy-mean", "digest": "0" * 64, "num_classes": 5}
with tinydistill.TeacherStage(store, data, policy=policy, topk=3, epochs=2, batch_size=16,
                              teacher_info=teacher) as stage:
    for batch in stage:
        x = np.asarray(batch.pixels, dtype=np.float64).reshape(len(batch), -1)
        logits = np.stack([x[:, i::5].mean(1) for i in range(5)], 1).astype(np.float32) * 4
        stage.write(batch, logits=logits)

report = tinydistill.verify(store, data=data)
assert report["records"] == 96 and report["problem_count"] == 0 and report["complete"], report

seen = 0
with tinydistill.Store(store) as s, tinydistill.Loader(s, data, batch_size=8, seed=3) as loader:
    for b in loader:
        for row in range(len(b)):
            r = s.record(int(b.epoch) % s.epochs, int(b.sample_ids[row]))
            assert r is not None and np.array_equal(np.sort(r.indices), np.sort(b.topk_indices[row])), (row, r)
        assert b.topk_indices.dtype == np.int64
        seen += len(b)
assert seen == 48, seen

maps = open("/proc/self/maps").read()
libs = sorted({line.split()[-1] for line in maps.splitlines() if ".so" in line})
toolchain = [p for p in libs if "/usr/lib/swift/" in p or "/.build/" in p]
assert not toolchain, f"loaded from the toolchain or the build tree: {toolchain}"
ours = [p for p in libs if p.startswith(os.path.dirname(pkg))]
print(f"wheel round trip: {seen} rows read back, verify clean; {len(ours)} libraries from the wheel, "
      f"none from the toolchain ({tinydistill.__version__}, {pkg})")
