import os
import shutil

import numpy as np
import pytest

import tinydistill
from conftest import CLASSES, DATA, cli


def test_metadata_matches_the_cli_store(cli_store):
    store = tinydistill.Store(cli_store)
    assert store.k == 3 and store.num_classes == CLASSES and store.epochs == 2
    assert store.epochs_stored == [0, 1]
    assert store.metadata["records"] == 320
    assert store.metadata["dataset"]["source"] == DATA
    assert store.teacher["architecture"] == "torchscript"


def test_chunks_hold_every_record_once_and_agree_with_record(cli_store):
    store = tinydistill.Store(cli_store)
    seen = {0: [], 1: []}
    for info in store.chunks():
        chunk = store.read_chunk(info["epoch"], info["chunk"], info["shard"])
        assert chunk.indices.shape == (info["records"], 3) and chunk.values.dtype == np.float32
        seen[chunk.epoch] += chunk.sample_ids.tolist()
        for row in (0, len(chunk.sample_ids) - 1):
            rec = store.record(chunk.epoch, int(chunk.sample_ids[row]))
            assert rec.seed == int(chunk.seeds[row])
            # record(): by descending probability; the chunk: by ascending class
            order = np.argsort(chunk.indices[row])
            assert sorted(rec.indices.tolist()) == sorted(chunk.indices[row].tolist())
            assert np.all(np.diff(rec.values) <= 0)
            assert dict(zip(rec.indices.tolist(), rec.values.tolist())) == dict(
                zip(chunk.indices[row][order].tolist(), chunk.values[row][order].tolist()))
    assert sorted(seen[0]) == list(range(160)) and sorted(seen[1]) == list(range(160))
    assert store.record(0, 10_000) is None


def test_chunk_arrays_outlive_the_store_object(cli_store):
    chunk = tinydistill.Store(cli_store).read_chunk(0, 0)
    import gc
    gc.collect()
    assert chunk.values.sum() > 0 and chunk.sample_ids[0] == 0


def test_dense_fills_the_uniform_remainder(cli_store):
    store = tinydistill.Store(cli_store)
    rec = store.record(1, 5)
    d = store.dense(rec.indices, rec.values)
    assert d.shape == (CLASSES,)
    assert np.isclose(d.sum(), 1.0, atol=1e-5)
    rest = (1 - rec.values.sum()) / (CLASSES - 3)
    others = [c for c in range(CLASSES) if c not in rec.indices.tolist()]
    assert np.allclose(d[others], rest)
    assert np.array_equal(d[rec.indices], rec.values)
    with pytest.raises(tinydistill.TinyDistillError, match="outside 0"):
        tinydistill.dense(np.array([[12]]), np.array([[1.0]]), CLASSES)


def test_a_missing_store_raises_with_its_path(tmp_path):
    with pytest.raises(tinydistill.TinyDistillError, match="nope.tdstore") as e:
        tinydistill.Store(str(tmp_path / "nope.tdstore"))
    assert e.value.kind == "store"


def test_a_corrupt_store_raises_instead_of_crashing(cli_store, tmp_path):
    bad = tmp_path / "bad.tdstore"
    shutil.copy(cli_store, bad)
    size = os.path.getsize(bad)
    with open(bad, "r+b") as f:  # scribble over the second half: chunk blobs and pages
        f.seek(size // 2)
        f.write(os.urandom(size // 2))
    with pytest.raises(tinydistill.TinyDistillError):
        store = tinydistill.Store(str(bad))
        for info in store.chunks():
            store.read_chunk(info["epoch"], info["chunk"])
