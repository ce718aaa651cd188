"""Zero-copy numpy views of arrays the library owns, kept alive by the handle they came from."""
from __future__ import annotations

import ctypes
import json
import os
from typing import TYPE_CHECKING, Any, Callable, List, Mapping, Optional, Sequence, Union, cast

import numpy as np
import numpy.typing as npt

from ._lib import InvalidArgumentError, check

if TYPE_CHECKING:
    import torch

# Inputs the package accepts for an array argument: anything numpy converts, or a torch tensor (any device).
ArrayLike = Union[npt.ArrayLike, "torch.Tensor"]
# A file or folder path.
PathLike = Union[str, os.PathLike[str]]


class Handle:
    """An opaque library handle, released once (explicitly or when garbage-collected)."""

    def __init__(self, pointer: Optional[int], free: Callable[[int], None]) -> None:
        self.pointer = pointer
        self._free = free

    def release(self) -> None:
        if self.pointer:
            pointer, self.pointer = self.pointer, None
            self._free(pointer)

    def __del__(self) -> None:
        self.release()


def open_with_options(open_fn: Callable[..., int], free_fn: Callable[[int], None],
                      options: Mapping[str, Any]) -> Handle:
    """A handle from an `_open(options_json, &out)` function; options whose value is None are left out.
    The JSON keys are the Python keywords, so the core's messages name them."""
    handle = ctypes.c_void_p()
    text = json.dumps({k: v for k, v in options.items() if v is not None}).encode()
    check(open_fn(text, ctypes.byref(handle)))
    return Handle(handle.value, free_fn)


def store_paths(store: Any) -> List[str]:
    """The store paths the C ABI's "stores" option takes, from a Store, one path, or a list of paths."""
    if hasattr(store, "paths"):
        return list(store.paths)
    if isinstance(store, (str, bytes)) or hasattr(store, "__fspath__"):
        return [os.fsdecode(store)]
    return [os.fsdecode(s) for s in store]


def view(pointer: Any, shape: Sequence[int], dtype: npt.DTypeLike, owner: Any) -> npt.NDArray[Any]:
    """A numpy array over `pointer` (a ctypes pointer or address) of `shape`, holding `owner` alive."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    if count == 0:
        return np.empty(shape, dtype)
    address = pointer if isinstance(pointer, int) else ctypes.cast(pointer, ctypes.c_void_p).value
    buffer = (ctypes.c_char * (count * dtype.itemsize)).from_address(cast(int, address))
    buffer._owner = owner  # type: ignore[attr-defined]  # the array holds the buffer, the buffer holds the handle
    return np.frombuffer(cast(Any, buffer), dtype=dtype).reshape(shape)


def floats(array: ArrayLike, name: str, shape: Optional[Sequence[int]] = None) -> npt.NDArray[np.float32]:
    """`array` (numpy or torch) as a C-contiguous float32 numpy array, checked against `shape`."""
    return _as(array, np.float32, name, shape)


def int64s(array: ArrayLike, name: str, shape: Optional[Sequence[int]] = None) -> npt.NDArray[np.int64]:
    """`array` (numpy or torch) as a C-contiguous int64 numpy array, checked against `shape`."""
    return _as(array, np.int64, name, shape)


def _as(array: ArrayLike, dtype: Any, name: str, shape: Optional[Sequence[int]]) -> Any:
    if hasattr(array, "detach"):  # a torch tensor, on any device
        array = array.detach().to("cpu").numpy()
    a = np.ascontiguousarray(array, dtype=dtype)
    if shape is not None and a.shape != tuple(shape):
        raise InvalidArgumentError(f"{name}: shape {a.shape}, expected {tuple(shape)}")
    return a


def pointer(array: npt.NDArray[Any], ctype: Any) -> Any:
    return array.ctypes.data_as(ctypes.POINTER(ctype))
