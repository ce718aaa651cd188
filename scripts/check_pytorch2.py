"""The checks of scripts/check-pytorch2, run by the venv's Python with the wheel installed.

    check_pytorch2.py ROOT WORK WHEEL COMMIT

Writes ROOT/results/python-pytorch2.json and exits 1 unless every check passed.
"""
import datetime
import json
import os
import platform
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import torch

import tinydistill

root, work, wheel, commit = sys.argv[1:5]
checks = []


def record(name, passed, detail):
    checks.append({"name": name, "passed": bool(passed), "detail": detail})
    print(f"{'ok  ' if passed else 'FAIL'} {name}: {detail}", flush=True)


def tail(text, n=3):
    return " | ".join(text.strip().splitlines()[-n:])


def run(args, env=None, timeout=900):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=work,
                          env=dict(os.environ, **(env or {})))


# --- the two import orders, each with real work after it ---------------------------------------------
WORK = r"""
import numpy as np
x = torch.randn(8, 10, requires_grad=True)
idx = torch.tensor([[1, 2, 3]] * 8)
val = torch.tensor([[0.5, 0.2, 0.1]] * 8)
loss = tinydistill.torch.sparse_kd_loss(x, idx, val, 10)
loss.backward()
core = tinydistill.core_sparse_kd_loss(x.detach().numpy(), idx.numpy(), val.numpy())
assert abs(float(loss) - core) < 1e-5, (float(loss), core)
net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16 * 16 * 3, 5)).eval()
out = WORKDIR + "/imports-" + ORDER + ".tdstore"
import json
policy = dict(json.load(open(ROOT + "/examples/policy-fashion-mnist.json")), output_size=16)
with tinydistill.TeacherStage(out, "synthetic-images:32:16x16x3:1:5", policy=policy, topk=2, epochs=1,
                              batch_size=16, teacher_info={"name": "linear", "digest": "d", "num_classes": 5}) as s:
    for b in s:
        with torch.no_grad():
            s.write(b, logits=net(b.torch()))
with tinydistill.Loader(out, "synthetic-images:32:16x16x3:1:5", batch_size=16) as loader:
    images, indices, values, labels = next(iter(loader)).torch()
assert indices.dtype == torch.int64 and images.shape == (16, 3, 16, 16)
print("torch", torch.__version__, "tinydistill", tinydistill.__version__, "loss", float(loss), "batch", tuple(images.shape))
"""
for order, imports in (("torch-first", "import torch\nimport tinydistill, tinydistill.torch\n"),
                       ("tinydistill-first", "import tinydistill, tinydistill.torch\nimport torch\n")):
    code = imports + f"WORKDIR = {work!r}\nORDER = {order!r}\nROOT = {root!r}\n" + WORK
    r = run([sys.executable, "-c", code], timeout=300)
    detail = tail(r.stdout) if r.returncode == 0 else f"exit {r.returncode}: {tail(r.stderr)}"
    record(f"import-{order}", r.returncode == 0, detail)

# --- python/tests in full, against the installed package ---------------------------------------------
junit = os.path.join(work, "junit.xml")
r = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
         os.path.join(root, "python", "tests")], env={"TINYDISTILL_INSTALLED": "1"}, timeout=1800)
tests = []
if os.path.isfile(junit):
    for case in ET.parse(junit).getroot().iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "skipped"
        tests.append({"test": f"{case.get('classname')}.{case.get('name')}", "outcome": outcome})
counts = {k: sum(t["outcome"] == k for t in tests) for k in ("passed", "failed", "skipped")}
record("python-tests", r.returncode == 0 and counts["failed"] == 0 and counts["skipped"] == 0 and tests,
       f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped ({tail(r.stdout, 1)})")

ddp = [t for t in tests if t["test"].endswith("test_two_process_ddp_covers_each_epoch_once_and_resumes_exactly")]
record("train-example-ddp-2-processes-stop-resume-bit-identical", ddp and ddp[0]["outcome"] == "passed",
       "python/tests/test_examples.py::test_two_process_ddp_covers_each_epoch_once_and_resumes_exactly: "
       + (ddp[0]["outcome"] if ddp else "not run"))

# --- the precompute example: an eager nn.Module, and TorchScript saved by this torch --------------------
with open(os.path.join(work, "eager_teacher.py"), "w") as f:
    f.write("import torch\nimport torch.nn as nn\n\n\ndef build():\n    torch.manual_seed(0)\n"
            "    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(4),\n"
            "                         nn.Flatten(), nn.Linear(128, 10)).eval()\n")
sys.path.insert(0, work)
import eager_teacher  # noqa: E402

scripted = os.path.join(work, "teacher-scripted.pt")
torch.jit.script(eager_teacher.build()).save(scripted)
with open(os.path.join(root, "examples", "policy-fashion-mnist.json")) as f:
    policy = dict(json.load(f), output_size=28)
policy_file = os.path.join(work, "policy.json")
with open(policy_file, "w") as f:
    json.dump(policy, f)
data = "synthetic-images:160:28x28x1"
stores = {}
for kind, source in (("eager", ["--model", "eager_teacher:build"]), ("torchscript", ["--torchscript", scripted])):
    out = os.path.join(work, f"example-{kind}.tdstore")
    r = run([sys.executable, os.path.join(root, "examples", "precompute_pytorch.py"), *source, "--num-classes", "10",
             "--data", data, "--policy", policy_file, "--topk", "3", "--epochs", "2", "--batch", "32", "--out", out],
            env={"PYTHONPATH": work})
    report = tinydistill.verify(out, data=data) if r.returncode == 0 else None
    ok = r.returncode == 0 and report["problem_count"] == 0 and report["records"] == 320 and report["complete"]
    stores[kind] = out if ok else None
    record(f"precompute-example-{kind}", ok,
           f"320 records, verify clean" if ok else f"exit {r.returncode}: {tail(r.stderr)} {report}")


def rows(path):
    with tinydistill.Store(path) as s:
        return {(c.epoch, int(i)): (int(c.seeds[j]), c.indices[j].tolist(), c.values[j].copy())
                for c in s.iter_chunks() for j, i in enumerate(c.sample_ids)}


if stores["eager"] and stores["torchscript"]:
    a, b = rows(stores["eager"]), rows(stores["torchscript"])
    same_keys = a.keys() == b.keys()
    same_classes = same_keys and all(a[k][:2] == b[k][:2] for k in a)
    worst = max(float(np.max(np.abs(a[k][2] - b[k][2]))) for k in a) if same_keys else float("inf")
    exact = sum(np.array_equal(a[k][2], b[k][2]) for k in a) if same_keys else 0
    record("precompute-example-eager-equals-torchscript", same_classes and worst <= 2 ** -10,
           f"{len(a)} records: same seeds and classes: {same_classes}; values bit-equal in {exact}, "
           f"largest difference {worst:.2e} (one fp16 step at 1 is 9.8e-04)")

result = {
    "command": "scripts/check-pytorch2",
    "commit": commit,
    "date": datetime.date.today().isoformat(),
    "python": platform.python_version(),
    "torch": torch.__version__,
    "torch_cuda_build": torch.version.cuda,
    "cuda_available": torch.cuda.is_available(),
    "numpy": np.__version__,
    "tinydistill": tinydistill.__version__,
    "wheel": wheel,
    "all_passed": all(c["passed"] for c in checks),
    "checks": checks,
    "python_tests": {**counts, "tests": tests},
}
with open(os.path.join(root, "results", "python-pytorch2.json"), "w") as f:
    json.dump(result, f, indent=1)
    f.write("\n")
print(f"check-pytorch2: torch {torch.__version__}: {sum(c['passed'] for c in checks)}/{len(checks)} checks passed "
      "-> results/python-pytorch2.json")
sys.exit(0 if result["all_passed"] else 1)
