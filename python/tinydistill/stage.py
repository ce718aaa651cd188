"""The teacher stage: precompute with any teacher the caller runs (a PyTorch nn.Module on any device)."""
from __future__ import annotations

import ctypes
import json
from types import TracebackType
from typing import TYPE_CHECKING, Any, Dict, Iterator, Literal, Mapping, Optional, Tuple, Type, Union, cast

import numpy as np
import numpy.typing as npt

from ._arrays import ArrayLike, PathLike, floats, int64s, open_with_options, pointer, view
from ._distributed import rank_and_world
from ._lib import PIXELS_UINT8, InvalidArgumentError, StageBatch, TinyDistillError, call_json, check, lib, take_string

if TYPE_CHECKING:
    import torch


class TeacherBatch:
    """A batch of augmented images for the teacher. `pixels` is float32 [n, C, H, W] normalised with the
    policy's mean and std (random erasing applied: exactly what the student will see), or uint8
    [n, H, W, C] before normalisation when the stage was opened with pixels="uint8". `valid` is False for
    rows whose sample could not be read; the stage records those as failures whatever is written.
    epochs, sample_ids and labels (-1: none) are int64 [n], seeds uint64 [n]."""

    pixels: Optional[npt.NDArray[Any]]
    epochs: npt.NDArray[np.int64]
    sample_ids: npt.NDArray[np.int64]
    seeds: npt.NDArray[np.uint64]
    labels: npt.NDArray[np.int64]
    valid: npt.NDArray[np.bool_]

    def __init__(self, token: int, view_struct: StageBatch) -> None:
        v = view_struct
        n = v.rows
        self._token = token
        self.epochs = view(v.epochs, (n,), np.int64, None).copy()
        self.sample_ids = view(v.sample_ids, (n,), np.int64, None).copy()
        self.seeds = view(v.seeds, (n,), np.uint64, None).copy()
        self.labels = view(v.labels, (n,), np.int64, None).copy()
        self.valid = view(v.valid, (n,), np.uint8, None).astype(bool)
        if not v.pixels:
            self.pixels = None
        elif v.pixel_format == PIXELS_UINT8:
            self.pixels = view(v.pixels, (n, v.height, v.width, v.channels), np.uint8, None).copy()
        else:
            self.pixels = view(v.pixels, (n, v.channels, v.height, v.width), np.float32, None).copy()

    def __len__(self) -> int:
        return len(self.sample_ids)

    def torch(self, device: Union[str, torch.device] = "cpu", pin_memory: bool = False) -> torch.Tensor:
        """The pixels as a torch tensor on `device`."""
        import torch
        t = torch.from_numpy(self.pixels)
        if pin_memory and torch.device(device).type == "cuda" and torch.cuda.is_available():
            t = t.pin_memory()
        return t.to(device, non_blocking=pin_memory)


class TeacherStage:
    """Writes a store from a teacher you run yourself, with precompute's resume, shards and refusals.

        with TeacherStage("out.tdstore", "fashion-mnist:train", policy="policy.json", topk=5, epochs=4,
                          teacher_info={"name": "resnet50-timm", "digest": sha256_of_weights,
                                        "num_classes": 10}) as stage:
            for batch in stage:
                with torch.no_grad():
                    stage.write(batch, logits=model(batch.torch("cuda")))

    Iterating yields the batches of this shard's (epoch, sample) rows that the store does not hold yet;
    each must be written before the next is asked for. `write` takes logits (softmax and top-K exactly as
    `tinydistill precompute` computes them), probabilities, or topk=(indices, values). Leaving the `with`
    block (or `close()`) closes the store: "finished" when every row was written, else "interrupted", and
    opening the same settings again resumes it. Settings that differ from an existing store's are refused.
    `policy` is a policy file or a dict (None: the TinyViT recipe at 224). rank/world default to
    torch.distributed's, else RANK/WORLD_SIZE, else 0 and 1. `teacher_info` holds "name", "digest" and
    "num_classes" or "class_names" (the teacher's class names, class 0 first: recorded in the store, and
    compared with the dataset's, which must be the same names in the same order; with them "num_classes"
    may be left out), and optionally "channels". With neither "num_classes" nor "class_names", the class
    count is taken from the first write of logits or probabilities (their columns): `num_classes` is None
    until then, and the store file is created at that write. `class_map` (a class map file, docs/cli.md
    "Class maps") relates a dataset whose classes are not the teacher's; the store keeps the teacher's.
    `targets` chooses the target kind as `precompute --targets` does: "topk:K" (the same as topk=K) or
    "sample:N[:T]", N classes drawn from each record's p^(1/T) under its seed (docs/store-format.md
    "Sampled targets"); a sampled store takes probs or logits, not topk=(indices, values).
    """

    info: Dict[str, Any]
    out: str
    summary: Optional[Dict[str, Any]]
    _current: Optional[int]

    def __init__(self, out: PathLike, data: PathLike, policy: Union[PathLike, Mapping[str, Any], None] = None,
                 topk: Optional[int] = None, targets: Optional[str] = None, epochs: Optional[int] = None,
                 seed: int = 0,
                 codec: Literal["fp16", "q8"] = "fp16", rank: Optional[int] = None, world: Optional[int] = None,
                 teacher_info: Optional[Mapping[str, Any]] = None, batch_size: int = 64, threads: int = 2,
                 pixels: Literal["float32", "uint8"] = "float32", chunk_records: int = 4096,
                 compression_level: int = 1, exclude: Optional[PathLike] = None,
                 max_store_bytes: Optional[int] = None, class_map: Optional[PathLike] = None) -> None:
        if teacher_info is None:
            raise InvalidArgumentError("teacher_info: required: {'name': ..., 'digest': ..., 'num_classes': ... "
                                       "and/or 'class_names': [...]}")
        rank, world = rank_and_world(rank, world)
        options = {"out": str(out), "data": str(data), "topk": topk, "targets": targets, "epochs": epochs,
                   "seed": seed, "codec": codec, "rank": rank, "world": world, "teacher": dict(teacher_info), "batch_size": batch_size,
                   "threads": threads, "pixels": pixels, "chunk_records": chunk_records,
                   "compression_level": compression_level, "exclude": None if exclude is None else str(exclude),
                   "max_store_bytes": max_store_bytes, "class_map": None if class_map is None else str(class_map)}
        if isinstance(policy, Mapping):
            options["policy_json"] = json.dumps(dict(policy))
        elif policy is not None:
            options["policy"] = str(policy)
        self._handle = open_with_options(lib.tinydistill_stage_open, lib.tinydistill_stage_free, options)
        self.out = str(out)
        self.info = call_json(lib.tinydistill_stage_info, self._handle.pointer)
        self._current = None
        self._tokens = 0
        self.summary = None

    @property
    def num_classes(self) -> Optional[int]:
        """The teacher's class count; None until the first write gives it, when teacher_info did not."""
        return self.info["num_classes"] or None

    @property
    def k(self) -> int:
        return self.info["topk"]

    @property
    def metadata(self) -> Dict[str, Any]:
        return self.info["metadata"]

    def __len__(self) -> int:
        """Rows this run has to write."""
        return self.info["total"]

    def _pointer(self) -> int:
        if not self._handle.pointer:
            raise TinyDistillError(f"{self.out}: the stage is closed", "state")
        return self._handle.pointer

    def next(self) -> Optional[TeacherBatch]:
        """The next batch, or None when the work is done."""
        has, v = ctypes.c_int32(), StageBatch()
        check(lib.tinydistill_stage_next(self._pointer(), ctypes.byref(has), ctypes.byref(v)))
        if not has.value:
            self._current = None
            return None
        self._tokens += 1
        self._current = self._tokens
        return TeacherBatch(self._tokens, v)

    def __iter__(self) -> Iterator[TeacherBatch]:
        while True:
            batch = self.next()
            if batch is None:
                return
            yield batch

    def write(self, batch: TeacherBatch, probs: Optional[ArrayLike] = None, logits: Optional[ArrayLike] = None,
              topk: Optional[Tuple[ArrayLike, ArrayLike]] = None) -> None:
        """Stores the teacher's output for `batch`: probabilities [n, C], logits [n, C] or
        topk=(indices [n, K], values [n, K]). Numpy arrays or torch tensors on any device."""
        pointer_ = self._pointer()
        if batch._token != self._current:
            raise TinyDistillError("write: this batch is not the one the stage handed out last", "state")
        given = [x is not None for x in (probs, logits, topk)]
        if sum(given) != 1:
            raise InvalidArgumentError("write: give exactly one of probs, logits or topk=(indices, values)")
        n, c, k = len(batch), self.num_classes, self.k
        if topk is not None:
            indices, values = topk
            idx, val = int64s(indices, "topk indices", (n, k)), floats(values, "topk values", (n, k))
            check(lib.tinydistill_stage_write_topk(pointer_, pointer(idx, ctypes.c_int64), pointer(val, ctypes.c_float), n, k))
        else:
            name = "probs" if probs is not None else "logits"
            a = floats(cast(ArrayLike, probs if probs is not None else logits), name)
            if a.ndim != 2:
                raise InvalidArgumentError(f"{name}: shape {a.shape}, expected ({n}, {c})")
            fn = lib.tinydistill_stage_write_probs if probs is not None else lib.tinydistill_stage_write_logits
            check(fn(pointer_, pointer(a, ctypes.c_float), a.shape[0], a.shape[1]))
            if not c:  # the class count came from this write
                self.info = call_json(lib.tinydistill_stage_info, pointer_)
        self._current = None

    def close(self) -> Optional[Dict[str, Any]]:
        """Closes the store and returns the run's summary (as `precompute --json` prints it)."""
        if not self._handle.pointer:
            return self.summary
        out = ctypes.c_void_p()
        try:
            check(lib.tinydistill_stage_close(self._handle.pointer, ctypes.byref(out)))
            self.summary = json.loads(cast(str, take_string(out.value)))
        finally:
            self._handle.release()
        return self.summary

    def __enter__(self) -> TeacherStage:
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        self.close()
