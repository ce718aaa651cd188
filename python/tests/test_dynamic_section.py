"""The library the package loads links no libtorch, c10 or Gloo, at any depth (scripts/check-dynamic-section.py
reads the ELF dynamic sections itself). The CLI, which runs models on libtorch, must fail the same check, so
the check cannot pass by accident."""
import os
import subprocess
import sys

from conftest import BIN, LIB, ROOT

CHECK = os.path.join(ROOT, "scripts", "check-dynamic-section.py")


def run_check(*paths):
    return subprocess.run([sys.executable, CHECK, *paths], capture_output=True, text=True, timeout=120)


def test_the_built_library_needs_no_libtorch_c10_or_gloo():
    r = run_check(LIB)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("ok: ")


def test_the_check_fails_on_a_binary_that_links_libtorch():
    r = run_check(BIN)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "forbidden: tinydistill -> libtorch" in r.stdout
    assert "libc10" in r.stdout and "libgloo" in r.stdout


def test_the_check_fails_on_a_library_it_cannot_resolve(tmp_path):
    # A copy of the library beside nothing, with the search paths emptied, cannot be shown torch-free.
    env = dict(os.environ, LD_LIBRARY_PATH="")
    r = subprocess.run([sys.executable, CHECK, "/nonexistent/libTinyDistillC.so"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 1
