"""Stores of sampled targets (docs/store-format.md "Sampled targets") through the stage, the reader, the
loader, verify and scripts/sample-store.py."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import tinydistill
from conftest import CLASSES, DATA, TEACHER_PT, child_env, cli, policy

INFO = {"name": "caller-test", "digest": "sha256:test", "num_classes": CLASSES}


def stage(out, **kw):
    args = dict(data=DATA, policy=policy(), targets="sample:6", epochs=2, teacher_info=INFO, batch_size=32,
                chunk_records=48)
    args.update(kw)
    return tinydistill.TeacherStage(str(out), **args)


def flat_probs(n):
    """A fixed distribution per row: half on class 0, the rest spread over 1..9 unevenly."""
    p = np.array([0.5, 0.2, 0.1, 0.08, 0.05, 0.03, 0.02, 0.01, 0.007, 0.003], np.float32)
    return np.tile(p, (n, 1))


def test_a_sampled_stage_writes_n_draws_per_record_and_reads_back(tmp_path):
    out = tmp_path / "s.tdstore"
    with stage(out) as s:
        assert s.k == 6
        for batch in s:
            s.write(batch, probs=flat_probs(len(batch)))
    store = tinydistill.Store(str(out))
    assert store.metadata["targets"] == {"kind": "sample", "draws": 6, "temperature": 1}
    assert store.k == 6
    freq = np.zeros(CLASSES)
    rows = 0
    for c in store.iter_chunks():
        counts = c.values * 6
        assert np.allclose(counts, np.round(counts), atol=1e-3)  # counts / N, exact in fp16 for N = 6
        assert np.allclose(c.values.sum(1), 1, atol=1e-3)
        # every row's classes are distinct; padding classes carry value 0
        assert all(len(set(r.tolist())) == 6 for r in c.indices)
        np.add.at(freq, c.indices.ravel(), c.values.ravel())
        rows += len(c.sample_ids)
    assert rows == 320
    # The draw is unbiased: the mean target is the teacher's distribution.
    assert np.abs(freq / rows - flat_probs(1)[0]).max() < 0.03
    # The dense target has no even remainder: it is the drawn classes' counts / N.
    rec = store.record(0, 0)
    d = store.dense(rec.indices, rec.values)
    assert abs(d.sum() - 1) < 1e-3 and np.count_nonzero(d) <= 6
    r = cli("verify", out, "--all", "--json")
    assert json.loads(r.stdout)["ok"] is True
    inspect = json.loads(cli("inspect", out, "--json").stdout)
    assert inspect["targets"] == "sample:6" and 1 <= inspect["mean_drawn_classes"] <= 6


def test_a_sampled_stage_refuses_topk_writes_and_conflicting_options(tmp_path):
    s = stage(tmp_path / "r.tdstore", epochs=1)
    batch = s.next()
    with pytest.raises(tinydistill.TinyDistillError, match="sampled"):
        s.write(batch, topk=(np.zeros((len(batch), 6)), np.zeros((len(batch), 6))))
    s.write(batch, probs=flat_probs(len(batch)))
    s.close()
    for kw, match in [(dict(targets="sample:0"), "targets"), (dict(targets="sample:6", topk=6), "topk"),
                      (dict(targets="topk:3", topk=4), "differs"), (dict(targets="dense"), "targets")]:
        with pytest.raises(tinydistill.TinyDistillError, match=match):
            stage(tmp_path / "o.tdstore", **kw)
    assert not os.path.exists(tmp_path / "o.tdstore")
    # A resume with top-K instead of sampled targets is refused, naming the kind.
    with pytest.raises(tinydistill.TinyDistillError, match="top-K|targets"):
        stage(tmp_path / "r.tdstore", targets=None, topk=6, epochs=1)


def test_sampling_a_dense_store_keeps_its_seeds_and_draws_from_its_classes(policy_file, tmp_path):
    dense_store = tmp_path / "k10.tdstore"
    cli("precompute", "--data", DATA, "--teacher", TEACHER_PT, "--policy", policy_file, "--epochs", 2, "--topk", CLASSES,
        "--batch", 32, "--chunk-records", 48, "--out", dense_store)
    out = tmp_path / "sampled.tdstore"
    script = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "sample-store.py")
    r = subprocess.run([sys.executable, script, str(dense_store), DATA, "sample:4", str(out)], capture_output=True,
                       text=True, env=child_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    src, got = tinydistill.Store(str(dense_store)), tinydistill.Store(str(out))
    assert got.metadata["targets"]["draws"] == 4 and got.metadata["run_seed"] == src.metadata["run_seed"]
    for e in range(2):
        for sample in range(0, 160, 7):
            a, b = src.record(e, sample), got.record(e, sample)
            assert a.seed == b.seed
            drawn = b.indices[b.values > 0]
            positive = set(a.indices[a.values > 0].tolist())
            assert set(drawn.tolist()) <= positive
    # The sampled store is smaller than the dense one, and a precompute at top-4 too.
    assert os.path.getsize(out) < os.path.getsize(dense_store)
    # It refuses a source that does not hold every class.
    top3 = tmp_path / "k3.tdstore"
    cli("precompute", "--data", DATA, "--teacher", TEACHER_PT, "--policy", policy_file, "--epochs", 1, "--topk", 3,
        "--batch", 32, "--out", top3)
    r = subprocess.run([sys.executable, script, str(top3), DATA, "sample:4", str(tmp_path / "x.tdstore")],
                       capture_output=True, text=True, env=child_env(), timeout=300)
    assert r.returncode != 0 and "every class" in r.stderr


def test_the_loader_serves_sampled_targets_to_the_torch_loss(tmp_path):
    torch = pytest.importorskip("torch")
    from tinydistill.torch import sparse_kd_loss
    out = tmp_path / "l.tdstore"
    with stage(out, epochs=1) as s:
        for batch in s:
            s.write(batch, probs=flat_probs(len(batch)))
    store = tinydistill.Store(str(out))
    with tinydistill.Loader(str(out), DATA, batch_size=32, seed=1) as loader:
        b = next(iter(loader))
        images, indices, values, labels = b.torch()
        assert indices.shape == (32, 6) and torch.allclose(values.sum(1), torch.ones(32), atol=1e-3)
        for j in range(32):
            rec = store.record(0, int(b.sample_ids[j]))
            assert dict(zip(rec.indices.tolist(), rec.values.tolist())) == \
                dict(zip(b.topk_indices[j].tolist(), b.topk_values[j].tolist()))
        logits = torch.randn(32, CLASSES, dtype=torch.float32)
        ours = float(sparse_kd_loss(logits, indices, values))
        core = tinydistill.core_sparse_kd_loss(logits.numpy(), indices.numpy(), values.numpy())
        assert abs(ours - core) < 1e-5 * max(1, abs(core))
