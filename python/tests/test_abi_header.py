"""The C header against the library: a C program compiled with tinydistill.h calls the exports."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import DATA, LIB, ROOT

HEADER_DIR = os.path.join(ROOT, "Sources", "CTinyDistill", "include")


def test_a_c_program_built_with_the_header_reads_a_store(cli_store, tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.fail("no C compiler (cc/gcc) on PATH: install build-essential (scripts/bootstrap does)")
    lib = LIB
    exe = tmp_path / "abi_smoke"
    subprocess.run([cc, "-std=c11", "-Wall", "-Werror", "-I", HEADER_DIR, os.path.join(os.path.dirname(__file__), "abi_smoke.c"),
                    "-o", str(exe), lib, "-Wl,-rpath," + os.path.dirname(os.path.abspath(lib))], check=True)
    r = subprocess.run([str(exe), cli_store, DATA], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["batches"] == out["expected_batches"] == 10
