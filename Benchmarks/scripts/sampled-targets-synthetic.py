#!/usr/bin/python3
"""Issue 27's controlled experiment: how biased is a top-K target, and does a sampled target fix it, where
the teacher has many classes and a heavy tail?

A synthetic teacher over C classes: p(x) = softmax(3 W x + b), x ~ N(0, I_64), W Gaussian / 8 (C x 64),
b a Zipf prior (-1.2 log rank over a random class order). At C = 1,000 its top-1 holds 0.36 of the mass
on average, its top-10 0.76 and its top-30 0.89: a tenth of the mass lies beyond the top 30. Each record
is an augmented view x + 0.3 e, with e drawn from the record's seed (the seed the store keeps), and the
teacher's p of that view is written through tinydistill.TeacherStage: top-K (fp16) for K = 1, 3, 10, 30,
and sampled targets (sample:N) at the largest N whose payload bytes/record do not exceed each K's. A
linear student (C x 64 + C, the teacher's own family, so a perfect target lets it match exactly) is
trained on each store's targets as the loader reads them (tinydistill.dense: top-K values plus the even
remainder; counts / N), and on the dense p itself.

Reported per target: payload and file bytes/record, the student's KL(teacher || student) and ECE (15
bins, labels drawn from the teacher) on held-out inputs, top-1 agreement with the teacher, and the
cosine between the stored target's gradient and the dense target's (per record on the logits, and for
a 1,024-record batch on the student's weights, at the untrained student and at the dense-trained one).
3 student seeds each (Adam, lr 3e-2 cosine, batch 256, 16 passes over the 4 stored epochs); mean and
sd. Then C = 21,841 (one seed) (ImageNet-21k's class count): the bytes/record of
top-100 in fp16 and q8 against the TinyViT reference's 404 B, and the smallest sampled N whose student
matches top-100's KL to the teacher.

    /usr/bin/python3 Benchmarks/scripts/sampled-targets-synthetic.py [--out results/sampled-synthetic.json]
        [--quick]   # a smaller run, to try the script (not filed)

Needs the release library (swift build -c release --product TinyDistillC) and torch (python3-torch).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
os.environ.setdefault("TINYDISTILL_LIB", os.path.join(ROOT, ".build", "release", "libTinyDistillC.so"))
import tinydistill  # noqa: E402

D, SCALE, ZIPF, NOISE = 64, 3.0, 1.2, 0.3
LR = 3e-2
POLICY = {"version": 1, "output_size": 4, "interpolation": "bilinear",
          "crop": {"scale": [1.0, 1.0], "ratio": [1.0, 1.0], "attempts": 1}, "hflip": 0, "rand_augment": None,
          "erasing": None, "mix": None, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}


class Teacher:
    """The synthetic teacher over `c` classes (fixed by `seed`)."""

    def __init__(self, c, seed=0):
        g = np.random.default_rng(seed)
        self.c = c
        self.w = (g.standard_normal((c, D)) / np.sqrt(D)).astype(np.float32)
        self.b = (-ZIPF * np.log(np.arange(c) + 1.0))[g.permutation(c)].astype(np.float32)

    def probs(self, x):
        z = SCALE * x @ self.w.T + self.b
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        return (p / p.sum(1, keepdims=True)).astype(np.float32)


def views(base, sample_ids, seeds):
    """The augmented inputs of records: base[id] + NOISE * e, e from the record's seed."""
    noise = np.stack([np.random.default_rng(int(s)).standard_normal(D) for s in seeds]).astype(np.float32)
    return base[sample_ids] + NOISE * noise


def write_store(path, teacher, base, targets, epochs, codec="fp16"):
    """Writes the teacher's targets of every (epoch, sample) view; returns the stage summary."""
    n = len(base)
    data = f"synthetic-images:{n}:4x4x1:0:{teacher.c}"
    info = {"name": f"synthetic-zipf-c{teacher.c}", "digest": "synthetic", "num_classes": teacher.c}
    kw = {"topk": int(targets.split(":")[1])} if targets.startswith("topk:") else {"targets": targets}
    with tinydistill.TeacherStage(path, data, policy=POLICY, epochs=epochs, seed=1, codec=codec, teacher_info=info,
                                  batch_size=1024, **kw) as st:
        for b in st:
            st.write(b, probs=teacher.probs(views(base, b.sample_ids, b.seeds)))
    return st.summary


def read_targets(path, c):
    """Per stored epoch: (sample_ids, seeds, indices, values) in the store's order."""
    store = tinydistill.Store(path)
    out = {}
    for e in store.epochs_stored:
        ids, seeds, idx, val = [], [], [], []
        for ch in store.iter_chunks(epoch=e):
            ids.append(ch.sample_ids.copy()); seeds.append(ch.seeds.copy())
            idx.append(ch.indices.copy()); val.append(ch.values.copy())
        out[e] = tuple(np.concatenate(a) for a in (ids, seeds, idx, val))
    return out


def dense_of(idx, val, c):
    return tinydistill.dense(idx, val, c)


def ece(probs, labels, bins=15):
    conf = probs.max(1)
    hit = probs.argmax(1) == labels
    edges = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = edges == b
        if m.any():
            total += m.mean() * abs(hit[m].mean() - conf[m].mean())
    return float(total)


def train_student(epoch_data, base, teacher, c, seed, passes, target_fn, lr=LR):
    """A linear student trained with Adam on the soft targets target_fn(epoch, rows) gives."""
    torch.manual_seed(seed)
    model = torch.nn.Linear(D, c)
    torch.nn.init.zeros_(model.weight); torch.nn.init.zeros_(model.bias)
    model.weight.data.normal_(0, 0.01, generator=torch.Generator().manual_seed(seed))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    epochs = sorted(epoch_data)
    steps = passes * (len(base) // 256)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    g = np.random.default_rng(seed)
    for p in range(passes):
        e = epochs[p % len(epochs)]
        ids, seeds = epoch_data[e][0], epoch_data[e][1]
        order = g.permutation(len(ids))
        x_all = torch.from_numpy(views(base, ids, seeds))
        for s in range(len(ids) // 256):
            rows = order[s * 256:(s + 1) * 256]
            t = torch.from_numpy(target_fn(e, rows))
            logp = torch.log_softmax(model(x_all[rows]), 1)
            loss = -(t * logp).sum(1).mean()
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    return model


def gradient_cosines(model, epoch_data, base, teacher, c, target_fn):
    """Cosines between the stored target's gradient and the dense target's on epoch 0's first 1,024
    records: per record on the logits (s - t vs s - p), and for the batch on the weights."""
    e = sorted(epoch_data)[0]
    ids, seeds = epoch_data[e][0][:1024], epoch_data[e][1][:1024]
    x = torch.from_numpy(views(base, ids, seeds))
    p = torch.from_numpy(teacher.probs(x.numpy()))
    t = torch.from_numpy(target_fn(e, np.arange(len(ids))))
    with torch.no_grad():
        s = torch.softmax(model(x), 1)
    per = torch.nn.functional.cosine_similarity(s - t, s - p, dim=1).mean().item()
    grads = []
    for target in (t, p):
        model.zero_grad()
        loss = -(target * torch.log_softmax(model(x), 1)).sum(1).mean()
        loss.backward()
        grads.append(torch.cat([model.weight.grad.flatten(), model.bias.grad.flatten()]).clone())
    batch = torch.nn.functional.cosine_similarity(grads[0], grads[1], dim=0).item()
    return per, batch


def measure(model, teacher, test_x, test_labels):
    with torch.no_grad():
        logq = torch.log_softmax(model(torch.from_numpy(test_x)), 1).numpy().astype(np.float64)
    p = teacher.probs(test_x).astype(np.float64)
    kl = float((p * (np.log(np.maximum(p, 1e-30)) - logq)).sum(1).mean())
    q = np.exp(logq)
    return {"kl": kl, "ece": ece(q, test_labels), "top1_agreement": float((q.argmax(1) == p.argmax(1)).mean()),
            "label_top1": float((q.argmax(1) == test_labels).mean())}


def summarise(xs):
    return {"mean": float(np.mean(xs)), "sd": float(np.std(xs, ddof=1)) if len(xs) > 1 else 0.0, "values": xs}


def run_targets(name, store, teacher, base, test, seeds, passes, extra):
    c = teacher.c
    epoch_data = read_targets(store, c) if store else extra["epoch_data"]
    if store:
        def target_fn(e, rows):
            return dense_of(epoch_data[e][2][rows], epoch_data[e][3][rows], c)
    else:
        def target_fn(e, rows):
            ids, sd = epoch_data[e][0][rows], epoch_data[e][1][rows]
            return teacher.probs(views(base, ids, sd))
    fidelity = None
    if store:
        e0 = sorted(epoch_data)[0]
        rows = np.arange(min(2048, len(epoch_data[e0][0])))
        t = target_fn(e0, rows)
        p = teacher.probs(views(base, epoch_data[e0][0][rows], epoch_data[e0][1][rows]))
        fidelity = {"l2_error": float(np.linalg.norm(t - p, axis=1).mean()), "tv": float(0.5 * np.abs(t - p).sum(1).mean()),
                    "stored_mass": float(np.take_along_axis(t, np.argsort(-p, 1)[:, :1], 1).mean())}
    results = []
    cos_init = cos_end = None
    for s in seeds:
        model = train_student(epoch_data, base, teacher, c, s, passes, target_fn)
        results.append(measure(model, teacher, *test))
        if s == seeds[0]:
            init = torch.nn.Linear(D, c)
            torch.nn.init.zeros_(init.weight); torch.nn.init.zeros_(init.bias)
            cos_init = gradient_cosines(init, epoch_data, base, teacher, c, target_fn)
            cos_end = gradient_cosines(extra["dense_model"], epoch_data, base, teacher, c, target_fn) if extra.get("dense_model") else None
            extra.setdefault("models", {})[name] = model
    out = {k: summarise([r[k] for r in results]) for k in results[0]}
    if cos_init:
        out["grad_cosine_init"] = {"per_record_logits": cos_init[0], "batch_weights": cos_init[1]}
    if cos_end:
        out["grad_cosine_trained"] = {"per_record_logits": cos_end[0], "batch_weights": cos_end[1]}
    if fidelity:
        out["fidelity"] = fidelity
    return out


def experiment(c, samples, epochs, ks, n_grid, seeds, passes, tmp, match_k=None, codecs=("fp16",)):
    teacher = Teacher(c)
    g = np.random.default_rng(1)
    base = g.standard_normal((samples, D)).astype(np.float32)
    test_x = np.random.default_rng(2).standard_normal((4096, D)).astype(np.float32)
    tp = teacher.probs(test_x)
    cum = tp.cumsum(1)
    test_labels = (cum < np.random.default_rng(3).random((4096, 1))).sum(1).clip(0, c - 1)
    ps = -np.sort(-tp, 1)
    mass = {str(k): float(ps[:, :k].sum(1).mean()) for k in (1, 3, 10, 30, 100) if k <= c}
    stores = {}

    def store(targets, codec="fp16"):
        key = f"{targets}/{codec}"
        if key not in stores:
            path = os.path.join(tmp, f"c{c}-{targets.replace(':', '_')}-{codec}.tdstore")
            t0 = time.time()
            summary = write_store(path, teacher, base, targets, epochs, codec)
            stores[key] = {"path": path, "targets": targets, "codec": codec, "payload_bytes_per_record": summary["bytesPerRecord"],
                           "file_bytes_per_record": os.path.getsize(path) / (samples * epochs), "seconds": time.time() - t0}
            print(f"  C={c} {key}: {summary['bytesPerRecord']:.2f} B/record", flush=True)
        return stores[key]

    scan = [store(f"sample:{n}") for n in n_grid]
    extra = {}
    dense_epoch = read_targets(store(f"topk:{ks[0]}")["path"], c)
    extra["epoch_data"] = dense_epoch
    rows = {}
    print(f"  C={c}: dense", flush=True)
    rows["dense"] = run_targets("dense", None, teacher, base, (test_x, test_labels), seeds, passes, extra)
    extra["dense_model"] = extra["models"]["dense"]
    # the cosines at the trained student need it, so the dense row's own are 1 by definition
    for k in ks:
        for codec in codecs:
            tk = store(f"topk:{k}", codec)
            name = f"topk:{k}" + ("" if codec == "fp16" else f"/{codec}")
            print(f"  C={c}: {name}", flush=True)
            rows[name] = run_targets(name, tk["path"], teacher, base, (test_x, test_labels), seeds, passes, extra) | {
                "payload_bytes_per_record": tk["payload_bytes_per_record"], "file_bytes_per_record": tk["file_bytes_per_record"]}
        if match_k is None:
            budget = store(f"topk:{k}")["payload_bytes_per_record"]
            fits = [s for s in scan if s["payload_bytes_per_record"] <= budget]
            if fits:
                s = max(fits, key=lambda s: int(s["targets"].split(":")[1]))
                name = f"{s['targets']} (bytes of topk:{k})"
                print(f"  C={c}: {name}", flush=True)
                rows[name] = run_targets(name, s["path"], teacher, base, (test_x, test_labels), seeds, passes, extra) | {
                    "payload_bytes_per_record": s["payload_bytes_per_record"], "file_bytes_per_record": s["file_bytes_per_record"],
                    "matches_bytes_of": f"topk:{k}"}
    if match_k is not None:
        for s in scan:
            name = s["targets"]
            print(f"  C={c}: {name}", flush=True)
            rows[name] = run_targets(name, s["path"], teacher, base, (test_x, test_labels), seeds, passes, extra) | {
                "payload_bytes_per_record": s["payload_bytes_per_record"], "file_bytes_per_record": s["file_bytes_per_record"]}
    return {"classes": c, "samples": samples, "stored_epochs": epochs, "student_passes": passes, "seeds": seeds,
            "teacher_mass_in_top": mass,
            "sampled_bytes": [{k: s[k] for k in ("targets", "payload_bytes_per_record", "file_bytes_per_record")} for s in scan],
            "targets": rows}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "sampled-synthetic.json"))
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(2)
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        if a.quick:
            c1000 = experiment(1000, 2048, 2, [1, 10], [4, 32], [1, 2], 2, tmp)
            c21k = experiment(21841, 1024, 2, [100], [256, 1024], [1], 2, tmp, match_k=100, codecs=("fp16", "q8"))
        else:
            c1000 = experiment(1000, 8192, 4, [1, 3, 10, 30], [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256],
                               [1, 2, 3], 16, tmp)
            c21k = experiment(21841, 4096, 4, [100], [128, 256, 512, 1024], [1], 16, tmp, match_k=100,
                              codecs=("fp16", "q8"))
    top100 = c21k["targets"]["topk:100"]["kl"]["mean"]
    matching = [r for n, r in c21k["targets"].items() if n.startswith("sample:") and r["kl"]["mean"] <= top100]
    best = min(matching, key=lambda r: r["payload_bytes_per_record"]) if matching else None
    best_name = next((n for n, r in c21k["targets"].items() if r is best), None)
    reference_bytes = 404  # the TinyViT reference's IN-21k top-100 record (fp16 values, int16 indices; docs/store-format.md)
    result = {
        "command": "Benchmarks/scripts/sampled-targets-synthetic.py" + (" --quick" if a.quick else ""),
        "commit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
        "machine": platform.processor() or platform.machine(), "torch": torch.__version__, "seconds": time.time() - t0,
        "teacher": {"features": D, "scale": SCALE, "zipf": ZIPF, "view_noise": NOISE},
        "c1000": c1000, "c21841": c21k,
        "c21841_summary": {"reference_top100_bytes": reference_bytes,
                           "topk100_fp16_bytes": c21k["targets"]["topk:100"]["payload_bytes_per_record"],
                           "topk100_q8_bytes": c21k["targets"]["topk:100/q8"]["payload_bytes_per_record"],
                           "sampled_matching_top100": best_name,
                           "sampled_matching_bytes": best["payload_bytes_per_record"] if best else None,
                           "sampled_matching_ratio": best["payload_bytes_per_record"] / reference_bytes if best else None},
    }
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print(f"wrote {a.out} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
