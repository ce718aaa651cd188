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
