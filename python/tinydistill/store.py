"""Reading a store: metadata, records, whole chunks as numpy columns, dense targets."""
from __future__ import annotations

import ctypes
from types import TracebackType
from typing import Any, Dict, Iterator, List, Literal, NamedTuple, Optional, Sequence, Tuple, Type, Union, overload

import numpy as np
import numpy.typing as npt

from ._arrays import ArrayLike, Handle, PathLike, floats, int64s, pointer, view
from ._lib import ChunkView, InvalidArgumentError, call_json, check, lib


class Record(NamedTuple):
    """One stored record: its augmentation seed and top-K by descending probability: indices int64 [k]
    (the index dtype of Chunk and Batch too, and of torch's gather and scatter), values float32 [k]."""
    seed: int
    indices: npt.NDArray[np.int64]
    values: npt.NDArray[np.float32]


class Chunk(NamedTuple):
    """One decoded chunk: records in ascending sample order, each row's K entries in ascending class order.
    The arrays are zero-copy views of library memory, released when the last of them is gone."""
    epoch: int
    sample_ids: npt.NDArray[np.int64]   # int64 [n]
    seeds: npt.NDArray[np.uint64]       # uint64 [n]
    indices: npt.NDArray[np.int64]      # int64 [n, k]
    values: npt.NDArray[np.float32]     # float32 [n, k]


class Store:
    """A TinyDistill store: one file, or the shards of a sharded run.

    `Store("fm.tdstore")`, `Store(["a.tdstore", "b.tdstore"])` or `Store("shards/")` (a folder or glob, as
    the CLI's --store). Checksums are verified as chunks are read; a corrupt or missing file raises
    TinyDistillError naming it. Usable as a context manager, which closes it on exit.
    """

    metadata: Dict[str, Any]

    def __init__(self, paths: Union[PathLike, Sequence[PathLike]]) -> None:
        if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
            paths = [paths]
        encoded = [str(p).encode() for p in paths]
        array = (ctypes.c_char_p * len(encoded))(*encoded)
        out = ctypes.c_void_p()
        check(lib.tinydistill_store_open(array, len(encoded), ctypes.byref(out)))
        self._handle = Handle(out.value, lib.tinydistill_store_free)
        self.metadata = call_json(lib.tinydistill_store_metadata, self._handle.pointer)

    @property
    def paths(self) -> List[str]:
        return self.metadata["paths"]

    @property
    def k(self) -> int:
        """Entries per record (K)."""
        return self.metadata["top_k"]

    @property
    def num_classes(self) -> int:
        """The teacher's classes (C)."""
        return self.metadata["num_classes"]

    @property
    def codec(self) -> str:
        return self.metadata["value_codec"]

    @property
    def epochs(self) -> int:
        """Epochs the store was made for."""
        return self.metadata["epochs"]

    @property
    def epochs_stored(self) -> List[int]:
        """Epochs that hold records."""
        return self.metadata["epochs_stored"]

    @property
    def teacher(self) -> Dict[str, Any]:
        """The teacher's description: architecture (or "caller:NAME") and weights hash."""
        return self.metadata["teacher"]

    @property
    def policy(self) -> Optional[str]:
        """The augmentation policy (JSON text), or None for a dataset without images."""
        return self.metadata.get("policy")

    def chunks(self) -> List[Dict[str, int]]:
        """Every chunk: dicts of shard, epoch, chunk, records, min_sample, max_sample."""
        return call_json(lib.tinydistill_store_chunks, self._handle.pointer)

    def record(self, epoch: int, sample: int) -> Optional[Record]:
        """The record of (epoch, sample), or None when the store has none."""
        k = self.k
        found, seed = ctypes.c_int32(), ctypes.c_uint64()
        indices, values = np.zeros(k, np.int64), np.zeros(k, np.float32)
        check(lib.tinydistill_store_record(self._handle.pointer, int(epoch), int(sample), ctypes.byref(found),
                                           ctypes.byref(seed), pointer(indices, ctypes.c_int64),
                                           pointer(values, ctypes.c_float), k))
        return Record(seed.value, indices, values) if found.value else None

    def read_chunk(self, epoch: int, chunk: int, shard: int = 0) -> Chunk:
        """Decodes chunk `chunk` of `epoch` in shard `shard`."""
        out = ctypes.c_void_p()
        check(lib.tinydistill_store_read_chunk(self._handle.pointer, int(shard), int(epoch), int(chunk), ctypes.byref(out)))
        owner = Handle(out.value, lib.tinydistill_chunk_free)
        v = ChunkView()
        check(lib.tinydistill_chunk_view_get(owner.pointer, ctypes.byref(v)))
        n, k = v.records, v.k
        return Chunk(v.epoch, view(v.sample_ids, (n,), np.int64, owner), view(v.seeds, (n,), np.uint64, owner),
                     view(v.indices, (n, k), np.int64, owner), view(v.values, (n, k), np.float32, owner))

    def iter_chunks(self, epoch: Optional[int] = None) -> Iterator[Chunk]:
        """Each chunk (of one epoch, or all) in the store's order, one decoded at a time."""
        for c in self.chunks():
            if epoch is None or c["epoch"] == epoch:
                yield self.read_chunk(c["epoch"], c["chunk"], c["shard"])

    def dense(self, indices: ArrayLike, values: ArrayLike, num_classes: Optional[int] = None) -> npt.NDArray[np.float32]:
        """The dense targets of sparse rows (see `tinydistill.dense`), with C defaulting to the store's."""
        return dense(indices, values, num_classes or self.num_classes)

    def close(self) -> None:
        self._handle.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        self.close()


def dense(indices: ArrayLike, values: ArrayLike, num_classes: int) -> npt.NDArray[np.float32]:
    """Dense targets float32 [n, C] of sparse rows (indices and values [n, k], or [k] for one row): the
    values at their classes and the uniform remainder (1 - sum values) / (C - k), clamped at 0, elsewhere,
    as the trainer's loss reads them."""
    idx, val = int64s(indices, "indices"), floats(values, "values")
    single = idx.ndim == 1
    if single:
        idx, val = idx[None, :], val[None, :]
    if idx.ndim != 2 or idx.shape != val.shape:
        raise InvalidArgumentError(f"indices {idx.shape} and values {val.shape} must both be [n, k]")
    out = np.empty((idx.shape[0], int(num_classes)), np.float32)
    check(lib.tinydistill_dense(pointer(idx, ctypes.c_int64), pointer(val, ctypes.c_float), idx.shape[0], idx.shape[1],
                                int(num_classes), pointer(out, ctypes.c_float)))
    return out[0] if single else out


@overload
def core_sparse_kd_loss(logits: ArrayLike, indices: ArrayLike, values: ArrayLike, temperature: float = ...,
                        with_grad: Literal[False] = ...) -> float: ...
@overload
def core_sparse_kd_loss(logits: ArrayLike, indices: ArrayLike, values: ArrayLike, temperature: float = ...,
                        *, with_grad: Literal[True]) -> Tuple[float, npt.NDArray[np.float32]]: ...
@overload
def core_sparse_kd_loss(logits: ArrayLike, indices: ArrayLike, values: ArrayLike, temperature: float = ...,
                        with_grad: bool = ...) -> Union[float, Tuple[float, npt.NDArray[np.float32]]]: ...
def core_sparse_kd_loss(logits: ArrayLike, indices: ArrayLike, values: ArrayLike, temperature: float = 1.0,
                        with_grad: bool = False) -> Union[float, Tuple[float, npt.NDArray[np.float32]]]:
    """The Swift trainer's sparse KD loss (libtorch in the core) on numpy inputs: the reference that
    `tinydistill.torch.sparse_kd_loss` is checked against. Returns the loss, and its gradient with
    respect to `logits` (float32 [n, C]) when `with_grad`."""
    lg = floats(logits, "logits")
    idx, val = int64s(indices, "indices"), floats(values, "values")
    if lg.ndim != 2 or idx.ndim != 2 or idx.shape != val.shape or idx.shape[0] != lg.shape[0]:
        raise InvalidArgumentError(f"logits {lg.shape}, indices {idx.shape}, values {val.shape}: need [n, C] and [n, k]")
    loss = ctypes.c_double()
    grad = np.empty_like(lg) if with_grad else None
    check(lib.tinydistill_sparse_kd_loss(pointer(lg, ctypes.c_float), lg.shape[0], lg.shape[1], pointer(idx, ctypes.c_int64),
                                         pointer(val, ctypes.c_float), idx.shape[1], float(temperature), ctypes.byref(loss),
                                         pointer(grad, ctypes.c_float) if grad is not None else None))
    return (loss.value, grad) if grad is not None else loss.value
