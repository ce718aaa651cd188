#!/usr/bin/python3
"""One measurement of the Python package, printed as JSON (Benchmarks/scripts/python-bindings.sh runs these
side by side with the CLI):

    python_bindings.py loader STORE DATA BATCH WORKERS [--torch]   images/s of tinydistill.Loader over an epoch
    python_bindings.py stage OUT DATA POLICY TEACHER.pt BATCH THREADS   records/s of TeacherStage with a
                                                                   TorchScript teacher run by PyTorch (CPU)
Peak memory comes from /usr/bin/time around this process.
"""
import json
import sys
import time

import numpy as np

import tinydistill


def loader(store, data, batch, workers, to_torch=False):
    l = tinydistill.Loader(store, data, batch_size=int(batch), workers=int(workers))
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


def stage(out, data, policy, teacher, batch, threads):
    import torch
    torch.set_num_threads(int(threads))
    model = torch.jit.load(teacher).eval()
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
    else:
        print(json.dumps(stage(*args)))
