"""TinyDistill for Python: precompute with your own teacher, and train from a store in any PyTorch loop.

    import tinydistill
    store = tinydistill.Store("fm.tdstore")
    stage = tinydistill.TeacherStage(...)    # your teacher -> a store
    loader = tinydistill.Loader(store, "fashion-mnist:train", batch_size=256)

A thin adapter over libTinyDistillC (the Swift core's C ABI, tinydistill.h): stores, seeds, bit-exact
replay, batching and threads are the core's; errors raise TinyDistillError with its message. numpy is
required; torch only for `Batch.torch()` and `tinydistill.torch`.
"""
from ._lib import ABI_VERSION, TinyDistillError
from ._lib import lib as _native
from .loader import Batch, Loader
from .stage import TeacherBatch, TeacherStage
from .store import Chunk, Record, Store, core_sparse_kd_loss, dense

__version__ = "0.1.0"
library_version = _native.tinydistill_version().decode()

__all__ = ["ABI_VERSION", "Batch", "Chunk", "Loader", "Record", "Store", "TeacherBatch", "TeacherStage",
           "TinyDistillError", "core_sparse_kd_loss", "dense", "library_version"]
