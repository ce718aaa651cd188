"""The loader: a store's records as training batches, replayed bit-exactly, for any PyTorch loop."""
import ctypes

import numpy as np

from ._arrays import Handle, open_with_options, view
from ._distributed import rank_and_world
from ._lib import BatchView, TinyDistillError, call_json, check, lib

STATE_VERSION = 1


class Batch:
    """A training batch. Arrays are zero-copy views of library memory, freed with the last of them:
    images float32 [n, C, H, W] (normalised, exactly what the teacher saw), topk_indices int32 [n, K] and
    topk_values float32 [n, K] (by descending probability), labels int64 [n] (-1: none), sample_ids int64
    [n], seeds uint64 [n]. `position` is the rank's resume cursor after this batch."""

    def __init__(self, pointer):
        owner = Handle(pointer, lib.tinydistill_batch_free)
        v = BatchView()
        check(lib.tinydistill_batch_view_get(owner.pointer, ctypes.byref(v)))
        n, k = v.rows, v.k
        self.epoch, self.stored_epoch, self.position = v.epoch, v.stored_epoch, v.position
        self.images = view(v.images, (n, v.channels, v.height, v.width), np.float32, owner)
        self.topk_indices = view(v.indices, (n, k), np.int32, owner)
        self.topk_values = view(v.values, (n, k), np.float32, owner)
        self.labels = view(v.labels, (n,), np.int64, owner)
        self.sample_ids = view(v.sample_ids, (n,), np.int64, owner)
        self.seeds = view(v.seeds, (n,), np.uint64, owner)

    def __len__(self):
        return len(self.labels)

    def torch(self, device="cpu", pin_memory=True):
        """(images, topk_indices (int64), topk_values, labels) as torch tensors on `device`. Pinned
        host memory (when CUDA is present) lets the copy overlap the previous step."""
        import torch
        tensors = [torch.from_numpy(self.images), torch.from_numpy(self.topk_indices.astype(np.int64)),
                   torch.from_numpy(self.topk_values), torch.from_numpy(self.labels)]
        pin = pin_memory and torch.device(device).type == "cuda" and torch.cuda.is_available()
        if pin:
            tensors = [t.pin_memory() for t in tensors]
        return tuple(t.to(device, non_blocking=pin) for t in tensors)


class Loader:
    """Batches of a store for one rank, in the order `tinydistill train` and `stream` give them.

        loader = Loader("fm.tdstore", "fashion-mnist:train", batch_size=256)
        for epoch in range(start, epochs):
            loader.set_epoch(epoch)
            for batch in loader:
                images, indices, values, labels = batch.torch("cuda")

    Training epoch t reads stored epoch t mod E. rank and world default to torch.distributed's (when it
    is initialised), else RANK/WORLD_SIZE, else 0 and 1; ranks cover each epoch once, disjointly.
    `state_dict()` taken between batches and given to `load_state_dict()` resumes with exactly the
    remaining batches. `store` is a path, a list of shards, a folder or glob, or a `Store`.
    """

    def __init__(self, store, data, batch_size, epoch=0, rank=None, world=None, workers=2, drop_last=True, seed=0,
                 prefetch=2, shuffle_chunks=8, exclude=None):
        if hasattr(store, "paths"):
            stores = list(store.paths)
        elif isinstance(store, (str, bytes)) or hasattr(store, "__fspath__"):
            stores = [str(store)]
        else:
            stores = [str(s) for s in store]
        rank, world = rank_and_world(rank, world)
        options = {"stores": stores, "data": str(data), "batch_size": batch_size, "seed": seed, "rank": rank,
                   "world": world, "workers": workers, "prefetch": prefetch, "shuffle_chunks": shuffle_chunks,
                   "drop_last": bool(drop_last), "exclude": exclude}
        self._handle = open_with_options(lib.tinydistill_loader_open, lib.tinydistill_loader_free, options)
        self.info = call_json(lib.tinydistill_loader_info, self._handle.pointer)
        self.batch_size, self.seed, self.rank, self.world = batch_size, seed, rank, world
        self.epoch, self.position = int(epoch), 0
        self.wait_seconds = 0.0

    @property
    def num_classes(self):
        return self.info["num_classes"]

    @property
    def k(self):
        return self.info["topk"]

    def set_epoch(self, epoch):
        """Starts `epoch` from its beginning at the next iteration."""
        self.epoch, self.position = int(epoch), 0

    def __len__(self):
        batches = ctypes.c_int64()
        check(lib.tinydistill_loader_batch_count(self._handle.pointer, self.epoch, ctypes.byref(batches), None))
        return batches.value

    def records(self, epoch=None):
        """Records this rank reads in `epoch` (default: the current one)."""
        records = ctypes.c_int64()
        check(lib.tinydistill_loader_batch_count(self._handle.pointer, self.epoch if epoch is None else int(epoch),
                                                 None, ctypes.byref(records)))
        return records.value

    def __iter__(self):
        stream = ctypes.c_void_p()
        check(lib.tinydistill_loader_stream(self._handle.pointer, self.epoch, self.position, ctypes.byref(stream)))
        owner = Handle(stream.value, lib.tinydistill_stream_free)
        try:
            while True:
                out = ctypes.c_void_p()
                check(lib.tinydistill_stream_next(owner.pointer, ctypes.byref(out)))
                if not out.value:
                    break
                batch = Batch(out.value)
                self.position = batch.position
                yield batch
            self.position = 0  # the epoch is done; set_epoch moves to the next
        finally:
            self.wait_seconds += lib.tinydistill_stream_wait_seconds(owner.pointer)
            owner.release()

    def state_dict(self):
        """The resume point: the epoch and this rank's records consumed, with the settings it depends on."""
        return {"version": STATE_VERSION, "epoch": self.epoch, "position": self.position, "batch_size": self.batch_size,
                "seed": self.seed, "rank": self.rank, "world": self.world}

    def load_state_dict(self, state):
        """Continues from `state` (from `state_dict()`); refused if its settings differ from this loader's."""
        if state.get("version") != STATE_VERSION:
            raise TinyDistillError(f"state_dict version {state.get('version')}: this package reads version {STATE_VERSION}", "invalid")
        for key in ("batch_size", "seed", "world"):
            if state[key] != getattr(self, key):
                raise TinyDistillError(
                    f"state_dict {key}={state[key]} differs from this loader's {getattr(self, key)}: resuming would not "
                    "give the remaining batches", "invalid")
        if state["position"] % self.batch_size and state["position"] != self.records(state["epoch"]):
            raise TinyDistillError(f"state_dict position {state['position']} is not a batch boundary", "invalid")
        self.epoch, self.position = int(state["epoch"]), int(state["position"])

    def close(self):
        self._handle.release()
