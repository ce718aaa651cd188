"""The loader: a store's records as training batches, replayed bit-exactly, for any PyTorch loop."""
from __future__ import annotations

import ctypes
from types import TracebackType
from typing import TYPE_CHECKING, Any, Dict, Iterator, Mapping, Optional, Sequence, Tuple, Type, Union

import numpy as np
import numpy.typing as npt

from ._arrays import Handle, PathLike, open_with_options, store_paths, view
from ._distributed import rank_and_world
from ._lib import BatchView, InvalidArgumentError, TinyDistillError, call_json, check, lib

if TYPE_CHECKING:
    import torch

    from .store import Store

STATE_VERSION = 1


class Batch:
    """A training batch. Arrays are zero-copy views of library memory, freed with the last of them:
    images float32 [n, C, H, W] (normalised, exactly what the teacher saw), topk_indices int64 [n, K] (the
    index dtype of torch's gather and scatter, as in Record and Chunk) and topk_values float32 [n, K] (by
    descending probability), labels int64 [n] (-1: none), sample_ids int64 [n], seeds uint64 [n].
    `position` is the rank's resume cursor after this batch."""

    epoch: int
    stored_epoch: int
    position: int
    images: npt.NDArray[np.float32]
    topk_indices: npt.NDArray[np.int64]
    topk_values: npt.NDArray[np.float32]
    labels: npt.NDArray[np.int64]
    sample_ids: npt.NDArray[np.int64]
    seeds: npt.NDArray[np.uint64]

    def __init__(self, pointer: int) -> None:
        owner = Handle(pointer, lib.tinydistill_batch_free)
        v = BatchView()
        check(lib.tinydistill_batch_view_get(owner.pointer, ctypes.byref(v)))
        n, k = v.rows, v.k
        self.epoch, self.stored_epoch, self.position = v.epoch, v.stored_epoch, v.position
        self.images = view(v.images, (n, v.channels, v.height, v.width), np.float32, owner)
        self.topk_indices = view(v.indices, (n, k), np.int64, owner)
        self.topk_values = view(v.values, (n, k), np.float32, owner)
        self.labels = view(v.labels, (n,), np.int64, owner)
        self.sample_ids = view(v.sample_ids, (n,), np.int64, owner)
        self.seeds = view(v.seeds, (n,), np.uint64, owner)

    def __len__(self) -> int:
        return len(self.labels)

    def torch(self, device: Union[str, torch.device] = "cpu",
              pin_memory: bool = True) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(images float32, topk_indices int64, topk_values float32, labels int64) as torch tensors on
        `device`: zero-copy views of the batch on CPU. Pinned host memory (when CUDA is present) lets the
        copy overlap the previous step."""
        import torch
        tensors = [torch.from_numpy(self.images), torch.from_numpy(self.topk_indices),
                   torch.from_numpy(self.topk_values), torch.from_numpy(self.labels)]
        pin = pin_memory and torch.device(device).type == "cuda" and torch.cuda.is_available()
        if pin:
            tensors = [t.pin_memory() for t in tensors]
        images, indices, values, labels = (t.to(device, non_blocking=pin) for t in tensors)
        return images, indices, values, labels


class Loader:
    """Batches of a store for one rank, in the order `tinydistill train` and `stream` give them.

        with Loader("fm.tdstore", "fashion-mnist:train", batch_size=256, num_workers=4) as loader:
            for epoch in range(start, epochs):
                loader.set_epoch(epoch)
                for batch in loader:
                    images, indices, values, labels = batch.torch("cuda")

    Training epoch t reads stored epoch t mod E. rank and world default to torch.distributed's (when it
    is initialised), else RANK/WORLD_SIZE, else 0 and 1; ranks cover each epoch once, disjointly.
    `state_dict()` taken between batches and given to `load_state_dict()` resumes with exactly the
    remaining batches. `store` is a path, a list of shards, a folder or glob, or a `Store`.

    `num_workers` is the number of threads (at least 1) that render each batch together, in this process;
    `prefetch_factor` is the number of batches (at least 1) rendered ahead of the one being consumed, in
    all. (torch's DataLoader counts worker processes, each rendering whole batches, with 0 meaning the main
    process, and prefetches `prefetch_factor` batches per worker.) Leaving a `with` block, or `close()`,
    releases the loader; batches already handed out stay valid.

    `class_map` is a class map file (TEACHER<TAB>STUDENT lines, docs/cli.md "Class maps"): targets then come
    in the dataset's classes (`num_classes` of them, `k` = min(K, that) entries per row), each the teacher's
    probabilities summed per student class and renormalised over the classes kept.
    """

    info: Dict[str, Any]
    batch_size: int
    seed: int
    rank: int
    world: int
    epoch: int
    position: int
    wait_seconds: float

    def __init__(self, store: Union[PathLike, Sequence[PathLike], Store], data: PathLike, batch_size: int,
                 epoch: int = 0, rank: Optional[int] = None, world: Optional[int] = None, num_workers: int = 2,
                 drop_last: bool = True, seed: int = 0, prefetch_factor: int = 2, shuffle_chunks: int = 8,
                 exclude: Optional[PathLike] = None, class_map: Optional[PathLike] = None) -> None:
        stores = store_paths(store)
        rank, world = rank_and_world(rank, world)
        options = {"stores": stores, "data": str(data), "batch_size": batch_size, "seed": seed, "rank": rank,
                   "world": world, "num_workers": num_workers, "prefetch_factor": prefetch_factor,
                   "shuffle_chunks": shuffle_chunks, "drop_last": bool(drop_last),
                   "exclude": None if exclude is None else str(exclude),
                   "class_map": None if class_map is None else str(class_map)}
        self._handle = open_with_options(lib.tinydistill_loader_open, lib.tinydistill_loader_free, options)
        self.info = call_json(lib.tinydistill_loader_info, self._handle.pointer)
        self.batch_size, self.seed, self.rank, self.world = batch_size, seed, rank, world
        self.epoch, self.position = int(epoch), 0
        self.wait_seconds = 0.0

    @property
    def num_classes(self) -> int:
        return self.info["num_classes"]

    @property
    def k(self) -> int:
        return self.info["topk"]

    def _pointer(self) -> int:
        if not self._handle.pointer:
            raise TinyDistillError("the loader is closed", "state")
        return self._handle.pointer

    def set_epoch(self, epoch: int) -> None:
        """Starts `epoch` from its beginning at the next iteration."""
        self.epoch, self.position = int(epoch), 0

    def __len__(self) -> int:
        batches = ctypes.c_int64()
        check(lib.tinydistill_loader_batch_count(self._pointer(), self.epoch, ctypes.byref(batches), None))
        return batches.value

    def records(self, epoch: Optional[int] = None) -> int:
        """Records this rank reads in `epoch` (default: the current one)."""
        records = ctypes.c_int64()
        check(lib.tinydistill_loader_batch_count(self._pointer(), self.epoch if epoch is None else int(epoch),
                                                 None, ctypes.byref(records)))
        return records.value

    def __iter__(self) -> Iterator[Batch]:
        stream = ctypes.c_void_p()
        check(lib.tinydistill_loader_stream(self._pointer(), self.epoch, self.position, ctypes.byref(stream)))
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

    def state_dict(self) -> Dict[str, int]:
        """The resume point: the epoch and this rank's records consumed, with the settings it depends on."""
        return {"version": STATE_VERSION, "epoch": self.epoch, "position": self.position, "batch_size": self.batch_size,
                "seed": self.seed, "rank": self.rank, "world": self.world}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continues from `state` (from `state_dict()`); refused if its settings differ from this loader's."""
        if state.get("version") != STATE_VERSION:
            raise InvalidArgumentError(f"state_dict version {state.get('version')}: this package reads version {STATE_VERSION}")
        for key in ("batch_size", "seed", "world"):
            if state[key] != getattr(self, key):
                raise InvalidArgumentError(
                    f"state_dict {key}={state[key]} differs from this loader's {getattr(self, key)}: resuming would not "
                    "give the remaining batches")
        if state["position"] % self.batch_size and state["position"] != self.records(state["epoch"]):
            raise InvalidArgumentError(f"state_dict position {state['position']} is not a batch boundary")
        self.epoch, self.position = int(state["epoch"]), int(state["position"])

    def close(self) -> None:
        """Releases the loader (batches already handed out stay valid)."""
        self._handle.release()

    def __enter__(self) -> Loader:
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        self.close()
