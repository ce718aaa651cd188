"""Store verification without a model: `tinydistill.verify`, over the core's tinydistill_verify."""
from __future__ import annotations

import ctypes
import json
import os
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence, Union, cast

from ._arrays import PathLike, store_paths
from ._lib import check, lib, take_string

if TYPE_CHECKING:
    from .store import Store


def verify(stores: Union[PathLike, Sequence[PathLike], Store], data: Optional[PathLike] = None,
           teacher: Optional[str] = None, sample: int = 256, all: bool = False,
           batch_size: int = 64, class_map: Optional[PathLike] = None) -> Dict[str, Any]:
    """Checks a store (a Store, a file, a shard folder or a list of shards) as `tinydistill verify` does
    without a model: SQLite's structure, every chunk and record, coverage against the samples and recorded
    failures, and with `data` the dataset's fingerprint, class names (or `class_map`, checked against the
    store's teacher and the data instead) and stored policy.
    `teacher="synthetic:C"` also replays `sample` records (or `all`). Returns the `verify --json` document:
    problems found are in its "problems" and "problem_count", not raised. Invalid options raise
    InvalidArgumentError; a store that cannot be opened raises TinyDistillError."""
    options = {"stores": store_paths(stores), "data": None if data is None else os.fspath(data), "teacher": teacher,
               "sample": sample, "all": bool(all), "batch_size": batch_size,
               "class_map": None if class_map is None else os.fspath(class_map)}
    out = ctypes.c_void_p()
    check(lib.tinydistill_verify(json.dumps(options).encode(), ctypes.byref(out)))
    return cast(Dict[str, Any], json.loads(cast(str, take_string(out.value))))
