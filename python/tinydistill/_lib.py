"""Loads libTinyDistillC and declares its C interface (tinydistill.h, ABI version 2) for ctypes.

The library is found through the TINYDISTILL_LIB environment variable (a path to the .so), else next to
this file (where the wheel, `make wheel`, puts it). ctypes releases the GIL during every call, so decoding and
augmentation run while other Python threads (a GPU step) go on.
"""
from __future__ import annotations

import ctypes
import json
import os
from typing import Any, Callable, Optional, cast

ABI_VERSION = 2

OK = 0
ERROR_INVALID = 1
ERROR_NAMES = {ERROR_INVALID: "invalid", 2: "store", 3: "failed", 4: "state"}
PIXELS_FLOAT32 = 0
PIXELS_UINT8 = 1


class TinyDistillError(Exception):
    """An error from the TinyDistill core: its message names the file, record or option at fault.

    `kind` is one of "invalid" (an option or argument), "store" (a missing, corrupt or refused store),
    "failed" (the work failed) or "state" (a call out of order, such as a write to a closed stage).
    Errors of kind "invalid" are raised as its subclass InvalidArgumentError, also a ValueError.
    """

    kind: str

    def __init__(self, message: str, kind: str = "failed") -> None:
        super().__init__(message)
        self.kind = kind


class InvalidArgumentError(TinyDistillError, ValueError):
    """An option or argument is wrong (kind "invalid"): the core's TINYDISTILL_ERROR_INVALID, or an
    argument the package refuses before the call (a shape, a state_dict of other settings). Both a
    TinyDistillError and a ValueError, so `except ValueError` catches it as it would in numpy or torch."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "invalid")


class ChunkView(ctypes.Structure):
    _fields_ = [
        ("epoch", ctypes.c_int64), ("records", ctypes.c_int64), ("k", ctypes.c_int64),
        ("sample_ids", ctypes.POINTER(ctypes.c_int64)), ("seeds", ctypes.POINTER(ctypes.c_uint64)),
        ("indices", ctypes.POINTER(ctypes.c_int64)), ("values", ctypes.POINTER(ctypes.c_float)),
    ]


class StageBatch(ctypes.Structure):
    _fields_ = [
        ("rows", ctypes.c_int64), ("channels", ctypes.c_int64), ("height", ctypes.c_int64), ("width", ctypes.c_int64),
        ("pixel_format", ctypes.c_int32), ("pixels", ctypes.c_void_p),
        ("epochs", ctypes.POINTER(ctypes.c_int64)), ("sample_ids", ctypes.POINTER(ctypes.c_int64)),
        ("seeds", ctypes.POINTER(ctypes.c_uint64)), ("labels", ctypes.POINTER(ctypes.c_int64)),
        ("valid", ctypes.POINTER(ctypes.c_uint8)),
    ]


class BatchView(ctypes.Structure):
    _fields_ = [
        ("epoch", ctypes.c_int64), ("stored_epoch", ctypes.c_int64), ("position", ctypes.c_int64),
        ("rows", ctypes.c_int64), ("channels", ctypes.c_int64), ("height", ctypes.c_int64), ("width", ctypes.c_int64),
        ("k", ctypes.c_int64),
        ("images", ctypes.POINTER(ctypes.c_float)), ("indices", ctypes.POINTER(ctypes.c_int64)),
        ("values", ctypes.POINTER(ctypes.c_float)), ("labels", ctypes.POINTER(ctypes.c_int64)),
        ("sample_ids", ctypes.POINTER(ctypes.c_int64)), ("seeds", ctypes.POINTER(ctypes.c_uint64)),
    ]


_p = ctypes.c_void_p
_pp = ctypes.POINTER(ctypes.c_void_p)
_i32, _i64, _u64, _f64 = ctypes.c_int32, ctypes.c_int64, ctypes.c_uint64, ctypes.c_double
_str = ctypes.c_char_p
_strp = ctypes.POINTER(ctypes.c_void_p)  # char ** (kept as void* so the library's string can be freed)
_f32p = ctypes.POINTER(ctypes.c_float)
_i64p = ctypes.POINTER(ctypes.c_int64)

_SIGNATURES = {
    "tinydistill_abi_version": (_i32, []),
    "tinydistill_version": (_str, []),
    "tinydistill_last_error": (_str, []),
    "tinydistill_string_free": (None, [_p]),
    "tinydistill_store_open": (_i32, [ctypes.POINTER(_str), _i64, _pp]),
    "tinydistill_store_free": (None, [_p]),
    "tinydistill_store_metadata": (_i32, [_p, _strp]),
    "tinydistill_store_chunks": (_i32, [_p, _strp]),
    "tinydistill_store_record": (_i32, [_p, _i64, _i64, ctypes.POINTER(_i32), ctypes.POINTER(_u64), _i64p, _f32p, _i64]),
    "tinydistill_store_read_chunk": (_i32, [_p, _i64, _i64, _i64, _pp]),
    "tinydistill_chunk_view_get": (_i32, [_p, ctypes.POINTER(ChunkView)]),
    "tinydistill_chunk_free": (None, [_p]),
    "tinydistill_dense": (_i32, [_i64p, _f32p, _i64, _i64, _i64, _f32p]),
    "tinydistill_sparse_kd_loss": (_i32, [_f32p, _i64, _i64, _i64p, _f32p, _i64, _f64, ctypes.POINTER(_f64), _f32p]),
    "tinydistill_stage_open": (_i32, [_str, _pp]),
    "tinydistill_stage_info": (_i32, [_p, _strp]),
    "tinydistill_stage_next": (_i32, [_p, ctypes.POINTER(_i32), ctypes.POINTER(StageBatch)]),
    "tinydistill_stage_write_logits": (_i32, [_p, _f32p, _i64, _i64]),
    "tinydistill_stage_write_probs": (_i32, [_p, _f32p, _i64, _i64]),
    "tinydistill_stage_write_topk": (_i32, [_p, _i64p, _f32p, _i64, _i64]),
    "tinydistill_stage_close": (_i32, [_p, _strp]),
    "tinydistill_stage_free": (None, [_p]),
    "tinydistill_loader_open": (_i32, [_str, _pp]),
    "tinydistill_loader_free": (None, [_p]),
    "tinydistill_loader_info": (_i32, [_p, _strp]),
    "tinydistill_loader_batch_count": (_i32, [_p, _i64, _i64p, _i64p]),
    "tinydistill_loader_stream": (_i32, [_p, _i64, _i64, _pp]),
    "tinydistill_stream_next": (_i32, [_p, _pp]),
    "tinydistill_stream_wait_seconds": (_f64, [_p]),
    "tinydistill_stream_free": (None, [_p]),
    "tinydistill_batch_view_get": (_i32, [_p, ctypes.POINTER(BatchView)]),
    "tinydistill_batch_free": (None, [_p]),
    "tinydistill_verify": (_i32, [_str, _strp]),
}


def _find() -> str:
    path = os.environ.get("TINYDISTILL_LIB")
    if path:
        if not os.path.isfile(path):
            raise InvalidArgumentError(f"TINYDISTILL_LIB={path}: no such file; point it at libTinyDistillC.so")
        return path
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libTinyDistillC.so")
    if os.path.isfile(here):
        return here
    raise TinyDistillError(
        "libTinyDistillC.so not found: install the wheel (`make wheel` in the TinyDistill checkout writes it to dist/; "
        "pip install dist/tinydistill-*.whl), or set TINYDISTILL_LIB to the library's path", "failed")


def _load() -> ctypes.CDLL:
    lib = ctypes.CDLL(_find())
    for name, (restype, argtypes) in _SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    version = lib.tinydistill_abi_version()
    if version != ABI_VERSION:
        raise TinyDistillError(f"libTinyDistillC speaks ABI version {version}; this package needs {ABI_VERSION}", "failed")
    return lib


lib = _load()


def check(status: int) -> None:
    """Raises TinyDistillError with the core's message unless `status` is OK: InvalidArgumentError for
    TINYDISTILL_ERROR_INVALID, else a TinyDistillError of the status's kind."""
    if status != OK:
        message = lib.tinydistill_last_error()
        text = message.decode() if message else f"tinydistill error {status}"
        if status == ERROR_INVALID:
            raise InvalidArgumentError(text)
        raise TinyDistillError(text, ERROR_NAMES.get(status, "failed"))


def take_string(pointer: Optional[int]) -> Optional[str]:
    """The library string behind a void pointer, released after reading."""
    if not pointer:
        return None
    try:
        return ctypes.string_at(pointer).decode()
    finally:
        lib.tinydistill_string_free(pointer)


def call_json(fn: Callable[..., int], handle: Optional[int]) -> Any:
    """Calls a `(handle, char **json)` function and returns the parsed JSON."""
    out = ctypes.c_void_p()
    check(fn(handle, ctypes.byref(out)))
    return json.loads(cast(str, take_string(out.value)))
