#!/usr/bin/python3
"""One measurement of the Python package, printed as JSON (Benchmarks/scripts/python-bindings.sh runs these
side by side with the CLI):

    python_bindings.py loader STORE DATA BATCH WORKERS [--torch]   images/s of tinydistill.Loader over an epoch
    python_bindings.py stage OUT DATA POLICY TEACHER.pt BATCH THREADS   records/s of TeacherStage with a
                                                                   TorchScript teacher run by PyTorch (CPU)
    python_bindings.py stage-eager OUT DATA POLICY TEACHER.pt BATCH THREADS   the same with the eager
                                                                   nn.Module of make_bench_teacher.build()
                                                                   holding the file's weights
    python_bindings.py forward TEACHER.pt COUNT BATCH THREADS     images/s of a plain loop of model(x) on
                                                                   COUNT 1x32x32 inputs, no stage
    python_bindings.py stage-frozen ... / forward-frozen ...      the same with torch.jit.freeze(model)
Peak memory comes from /usr/bin/time around this process.
"""
import json
import os
import sys
import time

import numpy as np

import tinydistill


def loader(store, data, batch, workers, to_torch=False):
    if to_torch:
        import torch  # noqa: F401  (imported before the clock starts: its import is not the loader's cost)
    l = tinydistill.Loader(store, data, batch_size=int(batch), num_workers=int(workers))
    t0 = time.perf_counter()
    images = checksum = 0
    for b in l:
        if to_torch:
            x, idx, val, lab = b.torch("cpu")
            checksum += int(lab[0])
        else:
            checksum += int(b.labels[0])
        images += len(b)
    seconds = time.perf_counter() - t0
    return {"images": images, "seconds": seconds, "images_per_s": images / seconds, "wait_s": l.wait_seconds}


def teacher_model(path, eager, frozen=False):
    import torch
    scripted = torch.jit.load(path).eval()
    if frozen:
        return torch.jit.freeze(scripted)
    if not eager:
        return scripted
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from make_bench_teacher import build
    model = build()
    model.load_state_dict(scripted.state_dict())
    return model.eval()


def forward(teacher, count, batch, threads, frozen=False):
    import torch
    torch.set_num_threads(int(threads))
    model = teacher_model(teacher, eager=False, frozen=frozen)
    count, batch = int(count), int(batch)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((batch, 1, 32, 32), dtype=np.float32))
    t0 = time.perf_counter()
    done = 0
    with torch.no_grad():
        while done < count:
            n = min(batch, count - done)
            model(x[:n])
            done += n
    seconds = time.perf_counter() - t0
    return {"images": done, "seconds": seconds, "images_per_s": done / seconds, "teacher_s": seconds}


def stage(out, data, policy, teacher, batch, threads, eager=False, frozen=False):
    import torch
    torch.set_num_threads(int(threads))
    model = teacher_model(teacher, eager, frozen)
    t0 = time.perf_counter()
    teacher_s = 0.0
    info = {"name": "bench", "digest": "bench", "num_classes": 10}
    with tinydistill.TeacherStage(out, data, policy=policy, topk=5, epochs=1, teacher_info=info, batch_size=int(batch),
                                  threads=int(threads)) as s:
        for b in s:
            t1 = time.perf_counter()
            with torch.no_grad():
                logits = model(torch.from_numpy(b.pixels))
            teacher_s += time.perf_counter() - t1
            s.write(b, logits=logits)
    seconds = time.perf_counter() - t0
    n = s.summary["recordsWritten"]
    return {"records": n, "seconds": seconds, "records_per_s": n / seconds, "teacher_s": teacher_s}


if __name__ == "__main__":
    kind, args = sys.argv[1], sys.argv[2:]
    if kind == "loader":
        flag = "--torch" in args
        args = [a for a in args if a != "--torch"]
        print(json.dumps(loader(*args, to_torch=flag)))
    elif kind in ("forward", "forward-frozen"):
        print(json.dumps(forward(*args, frozen=kind == "forward-frozen")))
    else:
        print(json.dumps(stage(*args, eager=kind == "stage-eager", frozen=kind == "stage-frozen")))
