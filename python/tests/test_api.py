"""The package's surface: one version, type hints on the public API (PEP 561), the error types."""
import inspect
import os
import typing

import numpy as np
import pytest

import tinydistill
from conftest import ROOT

# setuptools warns that [tool.setuptools] in pyproject.toml is "beta"; it is what the package uses
pytestmark = pytest.mark.filterwarnings("ignore:Support for `\\[tool.setuptools\\]`")

PACKAGE = os.path.join(ROOT, "python", "tinydistill")
PUBLIC_CLASSES = [tinydistill.Store, tinydistill.Record, tinydistill.Chunk, tinydistill.TeacherStage,
                  tinydistill.TeacherBatch, tinydistill.Loader, tinydistill.Batch]


def public_callables():
    import tinydistill.torch
    yield "tinydistill.dense", tinydistill.dense
    yield "tinydistill.core_sparse_kd_loss", tinydistill.core_sparse_kd_loss
    for name, fn in inspect.getmembers(tinydistill.torch, inspect.isfunction):
        if fn.__module__ == "tinydistill.torch" and not name.startswith("_"):
            yield f"tinydistill.torch.{name}", fn
    for cls in PUBLIC_CLASSES:
        for name, member in vars(cls).items():
            if isinstance(member, property):
                yield f"{cls.__name__}.{name}", member.fget
            elif inspect.isfunction(member) and (not name.startswith("_") or name in (
                    "__init__", "__len__", "__iter__", "__enter__", "__exit__")):
                yield f"{cls.__name__}.{name}", member


def test_the_version_lives_in_version_py_and_pyproject_reads_it():
    from tinydistill import _version
    assert tinydistill.__version__ == _version.__version__ == "0.1.0"
    with open(os.path.join(ROOT, "python", "pyproject.toml")) as f:
        text = f.read()
    assert 'dynamic = ["version"]' in text and 'version = {attr = "tinydistill._version.__version__"}' in text
    assert "\nversion = \"" not in text  # no second, static copy
    from setuptools.config.pyprojecttoml import read_configuration
    config = read_configuration(os.path.join(ROOT, "python", "pyproject.toml"), expand=True)
    assert config["project"]["version"] == tinydistill.__version__


def test_py_typed_marks_the_package_and_ships_as_package_data():
    assert os.path.isfile(os.path.join(PACKAGE, "py.typed"))
    from setuptools.config.pyprojecttoml import read_configuration
    config = read_configuration(os.path.join(ROOT, "python", "pyproject.toml"), expand=False)
    assert set(config["tool"]["setuptools"]["package-data"]["tinydistill"]) == {"libTinyDistillC.so", "py.typed"}


def test_every_public_function_and_method_is_annotated():
    torch = pytest.importorskip("torch")
    # the names the modules import only for type checkers (torch is optional at run time)
    names = {"torch": torch, "Store": tinydistill.Store}
    missing = []
    for name, fn in public_callables():
        hints = typing.get_type_hints(fn, localns=names)  # also: every hint resolves
        params = [p for p in inspect.signature(fn).parameters.values() if p.name not in ("self", "cls")]
        missing += [f"{name}({p.name})" for p in params if p.name not in hints]
        if "return" not in hints:
            missing.append(f"{name} -> ?")
    assert not missing, missing
    for cls in (tinydistill.Record, tinydistill.Chunk, tinydistill.Batch, tinydistill.TeacherBatch):
        assert typing.get_type_hints(cls, localns=names), cls.__name__


def test_the_loaders_torch_style_names_are_in_its_signature():
    params = inspect.signature(tinydistill.Loader).parameters
    assert params["num_workers"].default == 2 and params["prefetch_factor"].default == 2
    assert "workers" not in params and "prefetch" not in params


def test_invalid_argument_error_is_a_tinydistill_error_and_a_value_error():
    assert issubclass(tinydistill.InvalidArgumentError, tinydistill.TinyDistillError)
    assert issubclass(tinydistill.InvalidArgumentError, ValueError)
    assert tinydistill.InvalidArgumentError("x").kind == "invalid"
    assert "InvalidArgumentError" in tinydistill.__all__ and "__version__" in tinydistill.__all__


def test_the_cores_invalid_status_raises_invalid_argument_error():
    with pytest.raises(tinydistill.InvalidArgumentError, match="outside 0"):
        tinydistill.dense(np.array([[12]]), np.array([[1.0]]), 10)
    with pytest.raises(ValueError, match="must both be"):  # refused by the package before the call
        tinydistill.dense(np.zeros((2, 3)), np.zeros((2, 2)), 10)


def test_a_missing_store_is_a_store_error_not_a_value_error(tmp_path):
    with pytest.raises(tinydistill.TinyDistillError) as e:
        tinydistill.Store(str(tmp_path / "none.tdstore"))
    assert e.value.kind == "store" and not isinstance(e.value, ValueError)


@pytest.mark.parametrize("bad", [
    lambda t: t(np.zeros((4, 10)), np.zeros((4, 3), np.int64), np.zeros((4, 3)), num_classes=12),
    lambda t: t(np.zeros((4, 10)), np.zeros((4, 3), np.int64), np.zeros((4, 2))),
    lambda t: t(np.zeros((4, 10)), np.zeros((3, 3), np.int64), np.zeros((3, 3))),
    lambda t: t(np.zeros(10), np.zeros(3, np.int64), np.zeros(3)),
], ids=["num_classes", "values_shape", "rows", "one_dimensional"])
def test_a_bad_sparse_kd_loss_argument_is_both_a_tinydistill_error_and_a_value_error(bad):
    torch = pytest.importorskip("torch")
    from tinydistill.torch import sparse_kd_loss

    def call(logits, indices, values, **kw):
        return sparse_kd_loss(torch.from_numpy(logits).float(), torch.from_numpy(indices), torch.from_numpy(values).float(), **kw)

    with pytest.raises(tinydistill.TinyDistillError) as e:
        bad(call)
    assert e.value.kind == "invalid"
    with pytest.raises(ValueError):
        bad(call)
