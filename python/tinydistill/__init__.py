"""TinyDistill for Python: precompute with your own teacher, and train from a store in any PyTorch loop.

    import tinydistill
    store = tinydistill.Store("fm.tdstore")
    stage = tinydistill.TeacherStage(...)    # your teacher -> a store
    with tinydistill.Loader(store, "fashion-mnist:train", batch_size=256, num_workers=4) as loader:
        ...

A thin adapter over libTinyDistillC (the Swift core's C ABI, tinydistill.h): stores, seeds, bit-exact
replay, batching and threads are the core's; errors raise TinyDistillError with its message (an invalid
option or argument: InvalidArgumentError, also a ValueError). Indices are int64 throughout (Record, Chunk,
Batch). The package is typed (PEP 561, py.typed). numpy is required; torch only for `Batch.torch()` and
`tinydistill.torch`.
"""
from ._lib import ABI_VERSION, InvalidArgumentError, TinyDistillError
from ._lib import lib as _native
from ._version import __version__
from .loader import Batch, Loader
from .stage import TeacherBatch, TeacherStage
from .store import Chunk, Record, Store, core_sparse_kd_loss, dense
from .verify import verify

library_version: str = _native.tinydistill_version().decode()

__all__ = ["ABI_VERSION", "Batch", "Chunk", "InvalidArgumentError", "Loader", "Record", "Store", "TeacherBatch",
           "TeacherStage", "TinyDistillError", "__version__", "core_sparse_kd_loss", "dense", "library_version", "verify"]
