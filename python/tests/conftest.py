"""Shared fixtures: the debug build's CLI and library (make test builds both), small stores made by the CLI.

Everything comes from the repository: the TorchScript teacher is ModelsTests' fixture, the data is
`synthetic-images` (generated from a seed), so no file outside the checkout is read.

By default the tests import the package from python/ with the debug library (TINYDISTILL_LIB). With
TINYDISTILL_INSTALLED=1 they test the package installed in the running interpreter instead (the wheel,
as scripts/check-pytorch2 does beside PyTorch 2.x): nothing is put on sys.path or PYTHONPATH, and LIB is
the library inside the installed package.
"""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("TINYDISTILL_CLI", os.path.join(ROOT, ".build", "debug", "tinydistill"))
INSTALLED = os.environ.get("TINYDISTILL_INSTALLED") == "1"
if INSTALLED:
    os.environ.pop("TINYDISTILL_LIB", None)
    import tinydistill as _installed
    LIB = os.path.join(os.path.dirname(_installed.__file__), "libTinyDistillC.so")
    if "site-packages" not in LIB:
        raise RuntimeError(f"TINYDISTILL_INSTALLED=1 but tinydistill comes from {LIB}, not an installed package")
else:
    LIB = os.environ.setdefault("TINYDISTILL_LIB", os.path.join(ROOT, ".build", "debug", "libTinyDistillC.so"))
    sys.path.insert(0, os.path.join(ROOT, "python"))

TEACHER_PT = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures", "tiny-teacher.pt")
DATA = "synthetic-images:160:28x28x1"
CLASSES = 10

if not os.path.isfile(BIN) or not os.path.isfile(LIB):
    raise RuntimeError(f"build first (make build): need {BIN} and {LIB}")


def child_env(**extra):
    """The environment for a Python child process that imports the package under test."""
    env = dict(os.environ, **extra)
    if not INSTALLED:
        env["PYTHONPATH"] = os.path.join(ROOT, "python")
    return env


def policy(erasing=True):
    """The Fashion-MNIST example policy (RandAugment, crop, flip) at 28 px."""
    with open(os.path.join(ROOT, "examples", "policy-fashion-mnist.json")) as f:
        p = json.load(f)
    p["output_size"] = 28
    if not erasing:
        p["erasing"] = None
    return p


def cli(*args, check=True):
    """Runs the CLI; returns the CompletedProcess (stdout and stderr as text)."""
    r = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"tinydistill {' '.join(map(str, args))} exited {r.returncode}: {r.stderr}")
    return r


def digest(path):
    return json.loads(cli("inspect", path, "--json").stdout)["digest"]


@pytest.fixture(scope="session")
def policy_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("policy") / "policy.json"
    path.write_text(json.dumps(policy()))
    return str(path)


@pytest.fixture(scope="session")
def cli_store(tmp_path_factory, policy_file):
    """A store precomputed by the CLI with the TorchScript teacher: 160 images, 2 epochs, K = 3."""
    out = tmp_path_factory.mktemp("cli") / "cli.tdstore"
    cli("precompute", "--data", DATA, "--teacher", TEACHER_PT, "--policy", policy_file, "--epochs", 2, "--topk", 3,
        "--batch", 32, "--threads", 2, "--chunk-records", 48, "--out", out)
    return str(out)
