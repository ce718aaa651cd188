"""Zero-copy numpy views of arrays the library owns, kept alive by the handle they came from."""
import ctypes

import numpy as np


class Handle:
    """An opaque library handle, released once (explicitly or when garbage-collected)."""

    def __init__(self, pointer, free):
        self.pointer = pointer
        self._free = free

    def release(self):
        if self.pointer:
            pointer, self.pointer = self.pointer, None
            self._free(pointer)

    def __del__(self):
        self.release()


def open_with_options(open_fn, free_fn, options):
    """A handle from an `_open(options_json, &out)` function; options whose value is None are left out."""
    import json

    from ._lib import check
    handle = ctypes.c_void_p()
    text = json.dumps({k: v for k, v in options.items() if v is not None}).encode()
    check(open_fn(text, ctypes.byref(handle)))
    return Handle(handle.value, free_fn)


def view(pointer, shape, dtype, owner):
    """A numpy array over `pointer` (a ctypes pointer or address) of `shape`, holding `owner` alive."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    if count == 0:
        return np.empty(shape, dtype)
    address = pointer if isinstance(pointer, int) else ctypes.cast(pointer, ctypes.c_void_p).value
    buffer = (ctypes.c_char * (count * dtype.itemsize)).from_address(address)
    buffer._owner = owner  # the array holds the buffer, the buffer holds the handle
    return np.frombuffer(buffer, dtype=dtype).reshape(shape)


def floats(array, name, shape=None):
    """`array` (numpy or torch) as a C-contiguous float32 numpy array, checked against `shape`."""
    return _as(array, np.float32, name, shape)


def int64s(array, name, shape=None):
    """`array` (numpy or torch) as a C-contiguous int64 numpy array, checked against `shape`."""
    return _as(array, np.int64, name, shape)


def _as(array, dtype, name, shape):
    if hasattr(array, "detach"):  # a torch tensor, on any device
        array = array.detach().to("cpu").numpy()
    a = np.ascontiguousarray(array, dtype=dtype)
    if shape is not None and a.shape != tuple(shape):
        from ._lib import TinyDistillError
        raise TinyDistillError(f"{name}: shape {a.shape}, expected {tuple(shape)}", "invalid")
    return a


def pointer(array, ctype):
    return array.ctypes.data_as(ctypes.POINTER(ctype))
