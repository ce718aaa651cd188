import io
import os
import subprocess
import sys

import numpy as np
import pytest

import tinydistill
from conftest import BIN, CLASSES, DATA, ROOT, cli

sys.path.insert(0, os.path.join(ROOT, "examples"))
from stream_consumer import frames  # noqa: E402  (the documented tdb reader)


def stream_frames(store, epoch, batch, rank=0, world=1, position=0):
    r = subprocess.run([BIN, "stream", "--store", store, "--data", DATA, "--epoch", str(epoch), "--batch", str(batch),
                        "--rank", str(rank), "--world", str(world), "--position", str(position), "--format", "tdb"],
                       capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr.decode()
    return list(frames(io.BytesIO(r.stdout)))


@pytest.mark.parametrize("epoch,rank,world", [(0, 0, 1), (3, 1, 2)])
def test_batches_are_bit_identical_to_streams(cli_store, epoch, rank, world):
    loader = tinydistill.Loader(cli_store, DATA, batch_size=16, epoch=epoch, rank=rank, world=world)
    ours = list(loader)
    theirs = stream_frames(cli_store, epoch, 16, rank, world)
    assert len(ours) == len(theirs) == len(loader) > 0
    for b, (header, images, indices, values, labels, sample_ids) in zip(ours, theirs):
        assert b.epoch == header["epoch"] and b.stored_epoch == header["stored_epoch"] == epoch % 2
        assert b.position == header["position"]
        assert b.images.tobytes() == images.tobytes()
        # tdb frames carry int32 indices; the loader hands out int64 (the index dtype of Record and Chunk)
        assert b.topk_indices.dtype == np.int64 and np.array_equal(b.topk_indices, indices)
        assert b.topk_values.tobytes() == values.tobytes()
        assert b.labels.tobytes() == labels.tobytes()
        assert b.sample_ids.tobytes() == sample_ids.tobytes()


def test_state_dict_resumes_with_exactly_the_remaining_batches(cli_store):
    full = [b.sample_ids.copy() for b in tinydistill.Loader(cli_store, DATA, batch_size=16, epoch=1)]
    first = tinydistill.Loader(cli_store, DATA, batch_size=16)
    first.set_epoch(1)
    it = iter(first)
    seen = [next(it).sample_ids.copy() for _ in range(3)]
    state = first.state_dict()
    assert state["epoch"] == 1 and state["position"] == 48
    second = tinydistill.Loader(cli_store, DATA, batch_size=16)
    second.load_state_dict(state)
    rest = [b.sample_ids.copy() for b in second]
    assert [s.tolist() for s in seen + rest] == [s.tolist() for s in full]
    other = tinydistill.Loader(cli_store, DATA, batch_size=32)
    with pytest.raises(tinydistill.TinyDistillError, match="batch_size"):
        other.load_state_dict(state)


def test_ranks_cover_the_epoch_once(cli_store):
    ids = []
    for rank in range(3):
        loader = tinydistill.Loader(cli_store, DATA, batch_size=8, rank=rank, world=3, drop_last=False)
        ids += [i for b in loader for i in b.sample_ids.tolist()]
    # 160 records over 3 ranks: 53 each; the last 160 mod 3 = 1 record of the global order is dropped
    assert len(ids) == len(set(ids)) == 159
    assert set(ids) <= set(range(160))


def test_rank_and_world_come_from_the_environment(cli_store, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    loader = tinydistill.Loader(cli_store, DATA, batch_size=8)
    assert (loader.rank, loader.world) == (1, 2)
    assert loader.records() == 80


def test_torch_tensors_share_the_batch(cli_store):
    torch = pytest.importorskip("torch")
    batch = next(iter(tinydistill.Loader(cli_store, DATA, batch_size=8)))
    images, indices, values, labels = batch.torch("cpu")
    assert images.shape == (8, 1, 28, 28) and images.dtype == torch.float32
    assert indices.dtype == torch.int64 and values.shape == (8, 3) and labels.dtype == torch.int64
    # zero-copy on CPU, the int64 indices too (no conversion copy)
    assert images.data_ptr() == batch.images.ctypes.data
    assert indices.data_ptr() == batch.topk_indices.ctypes.data
    assert values.data_ptr() == batch.topk_values.ctypes.data and labels.data_ptr() == batch.labels.ctypes.data


def test_torch_indices_feed_gather_and_scatter_without_a_cast(cli_store):
    torch = pytest.importorskip("torch")
    batch = next(iter(tinydistill.Loader(cli_store, DATA, batch_size=8)))
    _, indices, values, _ = batch.torch("cpu")
    dense = torch.zeros(8, CLASSES).scatter_(1, indices, values)
    assert torch.equal(dense.gather(1, indices), values)


def test_record_chunk_and_batch_indices_are_all_int64(cli_store):
    store = tinydistill.Store(cli_store)
    batch = next(iter(tinydistill.Loader(store, DATA, batch_size=8)))
    epoch, sample = batch.stored_epoch, int(batch.sample_ids[0])
    record = store.record(epoch, sample)
    chunk = next(c for c in store.iter_chunks(epoch) if sample in c.sample_ids)
    row = int(np.flatnonzero(chunk.sample_ids == sample)[0])
    assert record.indices.dtype == chunk.indices.dtype == batch.topk_indices.dtype == np.int64
    assert chunk.sample_ids.dtype == batch.sample_ids.dtype == np.int64
    # one record three ways: the batch and record() by descending probability, the chunk by ascending class
    assert np.array_equal(record.indices, batch.topk_indices[0])
    assert np.array_equal(np.sort(record.indices), chunk.indices[row])


def test_a_different_dataset_is_refused_by_name(cli_store):
    with pytest.raises(tinydistill.TinyDistillError, match="data synthetic-images:161:28x28x1: its fingerprint") as e:
        tinydistill.Loader(cli_store, "synthetic-images:161:28x28x1", batch_size=8)
    assert e.value.kind == "invalid"


def test_bad_options_name_the_keyword(cli_store):
    with pytest.raises(tinydistill.TinyDistillError, match="batch_size 0"):
        tinydistill.Loader(cli_store, DATA, batch_size=0)
    with pytest.raises(tinydistill.TinyDistillError, match="^num_workers 0: must be"):
        tinydistill.Loader(cli_store, DATA, batch_size=8, num_workers=0)
    with pytest.raises(tinydistill.TinyDistillError, match="^prefetch_factor 0: must be"):
        tinydistill.Loader(cli_store, DATA, batch_size=8, prefetch_factor=0)
    with pytest.raises(tinydistill.TinyDistillError, match="^prefetch_factor: expected an integer"):
        tinydistill.Loader(cli_store, DATA, batch_size=8, prefetch_factor=1.5)


def test_loader_takes_torchs_option_names_and_refuses_the_old_ones(cli_store):
    loader = tinydistill.Loader(cli_store, DATA, batch_size=16, num_workers=1, prefetch_factor=1)
    assert len(list(loader)) == len(loader) == 10
    for old in ("workers", "prefetch"):
        with pytest.raises(TypeError, match=old):
            tinydistill.Loader(cli_store, DATA, batch_size=16, **{old: 1})


def test_a_bad_loader_argument_is_both_a_tinydistill_error_and_a_value_error(cli_store):
    with pytest.raises(tinydistill.TinyDistillError) as e:
        tinydistill.Loader(cli_store, DATA, batch_size=0)
    assert isinstance(e.value, ValueError) and isinstance(e.value, tinydistill.InvalidArgumentError)
    assert e.value.kind == "invalid"
    with pytest.raises(ValueError, match="num_workers"):
        tinydistill.Loader(cli_store, DATA, batch_size=8, num_workers=0)
    try:
        tinydistill.Loader(cli_store, DATA, batch_size=-1)
    except ValueError as caught:  # as it is caught in a torch loop
        assert isinstance(caught, tinydistill.TinyDistillError)
    else:
        pytest.fail("batch_size=-1 was accepted")


def test_the_loader_as_a_context_manager_closes_its_handle_on_exit(cli_store):
    with tinydistill.Loader(cli_store, DATA, batch_size=16) as loader:
        assert isinstance(loader, tinydistill.Loader)
        batches = list(loader)
        assert len(batches) == len(loader) == 10
    assert loader._handle.pointer is None
    with pytest.raises(tinydistill.TinyDistillError, match="closed") as e:
        len(loader)
    assert e.value.kind == "state"
    with pytest.raises(tinydistill.TinyDistillError, match="closed"):
        iter(loader).__next__()
    # batches handed out stay valid after the loader is closed
    again = list(tinydistill.Loader(cli_store, DATA, batch_size=16))
    assert all(a.images.tobytes() == b.images.tobytes() and np.array_equal(a.topk_indices, b.topk_indices)
               for a, b in zip(batches, again))


def test_the_loader_context_manager_closes_on_an_exception(cli_store):
    with pytest.raises(KeyboardInterrupt):
        with tinydistill.Loader(cli_store, DATA, batch_size=16) as loader:
            next(iter(loader))
            raise KeyboardInterrupt
    assert loader._handle.pointer is None


def test_sparse_kd_loss_equals_the_trainers(cli_store):
    torch = pytest.importorskip("torch")
    from tinydistill.torch import sparse_kd_loss
    batch = next(iter(tinydistill.Loader(cli_store, DATA, batch_size=16)))
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(16, CLASSES, generator=g, dtype=torch.float32, requires_grad=True)
    for t in (1.0, 2.0):
        ours = sparse_kd_loss(logits, torch.from_numpy(batch.topk_indices), torch.from_numpy(batch.topk_values),
                              CLASSES, temperature=t)
        ours.backward()
        core, grad = tinydistill.core_sparse_kd_loss(logits.detach().numpy(), batch.topk_indices, batch.topk_values,
                                                     temperature=t, with_grad=True)
        assert abs(ours.item() - core) < 1e-5 * max(1.0, abs(core))
        assert np.allclose(logits.grad.numpy(), grad, atol=1e-6)
        logits.grad = None


def test_calls_release_the_gil_so_python_threads_run_meanwhile(cli_store):
    import threading
    import time
    loader = tinydistill.Loader(cli_store, DATA, batch_size=160, num_workers=1, prefetch_factor=1, drop_last=False)
    ticks, done = [0], threading.Event()

    def spin():
        while not done.is_set():
            ticks[0] += 1

    # The first batch is rendered inside the stream's start, the next inside next(): time one native call.
    it = iter(loader)
    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.05)
    solo = ticks[0] / 0.05  # the spinner's rate while the main thread sleeps (the GIL free)
    before = ticks[0]
    t0 = time.perf_counter()
    next(it)  # blocks in the library until the 160-row batch is rendered
    during = ticks[0] - before
    elapsed = time.perf_counter() - t0
    done.set()
    t.join()
    # With the GIL held for the whole call, the spinning thread could not run until it returned;
    # released, it runs throughout at a good part of its free rate (the release build renders this batch
    # in about 10 ms, the debug build in more, so the test compares rates rather than a duration).
    assert elapsed > 0.002, "the batch was too quick to tell"
    assert during / elapsed > 0.2 * solo, (during, elapsed, solo)


def test_a_pack_of_the_data_gives_the_same_batches(cli_store, tmp_path):
    # A raw pack of a source without files keeps its pixels, so it has the source's fingerprint and the
    # store made from the source reads through it with the same batches.
    pack = str(tmp_path / "data.tdpack")
    cli("pack", DATA, "--out", pack, "--format", "raw")
    ours = list(tinydistill.Loader(cli_store, "pack:" + pack, batch_size=16))
    theirs = list(tinydistill.Loader(cli_store, DATA, batch_size=16))
    assert len(ours) == len(theirs) > 0
    for a, b in zip(ours, theirs):
        assert a.images.tobytes() == b.images.tobytes() and a.sample_ids.tobytes() == b.sample_ids.tobytes()
    # Resized, it is another dataset: the store is refused with the core's message.
    small = str(tmp_path / "small.tdpack")
    cli("pack", DATA, "--out", small, "--max-side", "16")
    with pytest.raises(tinydistill.TinyDistillError, match="fingerprint"):
        tinydistill.Loader(cli_store, "pack:" + small, batch_size=16)
