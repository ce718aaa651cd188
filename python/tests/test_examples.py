"""The two PyTorch examples, run as real processes: precompute with a PyTorch teacher, and a 2-process
DDP student (gloo on CPU) that covers each epoch once per rank share and resumes exactly."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

import tinydistill
from conftest import DATA, ROOT, TEACHER_PT, child_env, digest

torch = pytest.importorskip("torch")
EXAMPLES = os.path.join(ROOT, "examples")


def run(args, env=None, timeout=300):
    full = child_env(**(env or {}))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=full)


def precompute(out, policy_file, extra=()):
    return run([os.path.join(EXAMPLES, "precompute_pytorch.py"), "--torchscript", TEACHER_PT, "--num-classes", "10",
                "--data", DATA, "--policy", policy_file, "--topk", "3", "--epochs", "2", "--batch", "32", "--out", str(out),
                *extra])


def test_precompute_example_writes_the_clis_records(cli_store, policy_file, tmp_path):
    r = precompute(tmp_path / "ex.tdstore", policy_file)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["recordsWritten"] == 320 and not summary["interrupted"]
    store = tinydistill.Store(str(tmp_path / "ex.tdstore"))
    assert store.teacher["architecture"] == "caller:tiny-teacher.pt"
    assert store.teacher["weights_hash"].startswith("sha256:")

    def rows(s):  # (epoch, sample) -> (seed, classes), whatever the chunk size
        return {(c.epoch, int(i)): (int(c.seeds[j]), c.indices[j].tolist())
                for c in s.iter_chunks() for j, i in enumerate(c.sample_ids)}
    assert rows(store) == rows(tinydistill.Store(cli_store))


def test_precompute_example_stops_on_sigint_and_resumes(policy_file, tmp_path, cli_store):
    total = 6000
    out = tmp_path / "int.tdstore"
    full = child_env()
    args = [sys.executable, os.path.join(EXAMPLES, "precompute_pytorch.py"), "--torchscript", TEACHER_PT, "--num-classes",
            "10", "--data", f"synthetic-images:{total}:28x28x1", "--policy", policy_file, "--topk", "3", "--epochs", "1",
            "--batch", "16", "--out", str(out)]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.PIPE, env=full)
    # The signal goes as soon as the first progress line says records were written, never after a fixed
    # sleep: a fast machine finishes the whole run in a few seconds.
    seen, deadline = b"", time.time() + 60
    while time.time() < deadline and proc.poll() is None and b"precompute " not in seen:
        seen += os.read(proc.stderr.fileno(), 64)
    assert proc.poll() is None, "the example ended before it was interrupted: " + seen.decode(errors="replace")
    proc.send_signal(signal.SIGINT)
    t0 = time.time()
    _, rest = proc.communicate(timeout=30)
    err = (seen + rest).decode(errors="replace")
    assert time.time() - t0 < 10, "SIGINT took too long"
    assert proc.returncode == 130, err
    kept = tinydistill.Store(str(out)).metadata["records"]
    assert 0 < kept < total
    r = subprocess.run(args, capture_output=True, text=True, env=full, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["recordsSkipped"] == kept and summary["recordsWritten"] == total - kept


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ddp(out, store, extra=()):
    port = str(free_port())
    procs = []
    for rank in range(2):
        env = child_env(RANK=str(rank), WORLD_SIZE="2",
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=port, OMP_NUM_THREADS="1")
        procs.append(subprocess.Popen(
            [sys.executable, os.path.join(EXAMPLES, "train_pytorch.py"), "--store", store, "--data", DATA, "--epochs", "2",
             "--batch", "16", "--num-workers", "1", "--out", str(out), *extra],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = [(p.communicate(timeout=300), p.returncode) for p in procs]
    for (_, err), code in results:
        assert code == 0, err
    return results


def test_two_process_ddp_covers_each_epoch_once_and_resumes_exactly(cli_store, tmp_path):
    logs = tmp_path / "samples"
    logs.mkdir()
    ddp(tmp_path / "full", cli_store, ["--log-samples", str(logs)])
    for epoch in range(2):
        ids = [int(x) for r in range(2) for x in (logs / f"rank{r}-epoch{epoch}.txt").read_text().split()]
        # 160 records, 2 ranks of 80: 5 batches of 16 each, nothing dropped
        assert sorted(ids) == list(range(160)), f"epoch {epoch}"
    ddp(tmp_path / "resumed", cli_store, ["--stop-after", "3"])
    ddp(tmp_path / "resumed", cli_store)
    a = torch.load(tmp_path / "full" / "checkpoint.pt")
    b = torch.load(tmp_path / "resumed" / "checkpoint.pt")
    assert a["step"] == b["step"] == 10
    for name, tensor in a["model"].items():
        assert torch.equal(tensor, b["model"][name]), name
