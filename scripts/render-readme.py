#!/usr/bin/env python3
"""Rewrites the README's headline rows from the results files they name, so none of their numbers is
typed by hand: the demo (results/demo.json), store sizes (results/store-sizes.md), label noise
(results/label-noise.md), the issue-19 full schedule (results/runs/full-*), the loader
(results/loader-limit.json), the K ablation (results/runs/kablation-k*.evaluate.json and
results/k-stores.json), the student epoch cost (results/epoch-cost.json), the sampled targets'
synthetic experiment (results/sampled-synthetic.json) and the Python wheel
(results/wheel.json, results/python-pytorch2.json). Each row is found by the
text its first cell starts with and replaced whole.

    scripts/render-readme.py            # rewrite README.md in place
    scripts/render-readme.py --check    # exit 1 if README.md is not what the files give
"""
import json
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def load(rel):
    return json.load(open(os.path.join(ROOT, rel)))


def loader_row():
    d = load("results/loader-limit.json")
    r, ra = d["runs"], d["ratios"]
    m = lambda label: r[label]["images_per_s"]["median"]
    return (f"| loader, {d['images']:,} JPEGs of 500×375, 2 cores, images/s (median of {d['rounds']}) | full policy {m('stream-jpegs-full'):.0f}; "
            f"RandomResizedCrop + flip {m('stream-jpegs-rrc'):.0f}, from a 256-px pack {m('stream-p256-rrc'):.0f} | "
            f"PyTorch + timm {m('pytorch-timm'):.0f} ({ra['stream (full policy, JPEGs) / PyTorch + timm']['value']:.2f}×, goal 2.5×); "
            f"FFCV {m('ffcv-original'):.0f} / {m('ffcv-256'):.0f} at 256 px; decode-only limit {m('decode-only'):.0f} "
            f"({ra['stream (full policy, JPEGs) / decode-only limit']['value']:.2f}×, goal 0.8×) | "
            f"`{d['command']}` → [`results/loader-limit.json`](results/loader-limit.json) |")


def ablation_row():
    ks = load("results/k-stores.json")["stores"]
    top1 = {k: load(f"results/runs/kablation-k{k}.evaluate.json")["top1"] for k in ks}
    params = load("results/runs/kablation-k1.json")["parameters"]
    epochs = len(load("results/runs/kablation-k1.json")["epochs"])
    return (f"| issue-19 K ablation: TinyViT student ({params:,} parameters), {epochs} epochs, test top-1 by K | "
            + ", ".join(f"K={k}: {100 * top1[k]:.2f} %" for k in ks) + " | store bytes/record "
            + ", ".join(f"{ks[k]['file_bytes_per_record']:.2f}" for k in ks)
            + " | `scripts/full-schedule` → `results/runs/kablation-k*.evaluate.json`, [`results/k-stores.json`](results/k-stores.json) |")


def md_table(rel):
    """The rows of the first markdown table in a results file, as dicts keyed by its header."""
    lines = [l for l in open(os.path.join(ROOT, rel)).read().split("\n") if l.startswith("|")]
    cells = lambda l: [c.strip() for c in l.strip("|").split("|")]
    header = cells(lines[0])
    return [dict(zip(header, cells(l))) for l in lines[2:]]


def md_command(rel):
    """The command a results file names first (its first `...` span)."""
    text = open(os.path.join(ROOT, rel)).read()
    return text.split("`")[1]


def demo_rows():
    d = load("results/demo.json")
    m = {r["model"]: r for r in d["models"]}
    pc = lambda name: f"{100 * m[name]['top1']:.2f} %" if name in m else "not run"
    sch, st = d["schedule"], d["store"]
    budget = (f"{sch['student_epochs']} epochs of {sch['max_steps_per_epoch']} batches" if sch["max_steps_per_epoch"]
              else f"{sch['student_epochs']} full epochs")
    src = f"`{d['command']}` → [`results/demo.json`](results/demo.json)"
    return {
        "| the demo (`make demo`)": (
            f"| the demo (`make demo`): student `tinyvit-mini` ({m['student-offline-kd']['parameters']:,} parameters), {budget}, "
            f"test top-1, offline KD from the store | **{pc('student-offline-kd')}** | labels only: {pc('student-labels')}; "
            f"online KD (teacher run every step): {pc('student-online-kd')}; teacher {pc('teacher')} | {src} |"),
        "| the demo's store": (
            f"| the demo's store ({st['records']:,} records, K = {st['top_k']}, {st['value_codec']}), payload bytes/record | "
            f"{st['payload_bytes_per_record']:.2f} | {st['payload_bytes_per_record'] / st['reference_bytes_per_record']:.3f}× the reference's "
            f"{st['reference_bytes_per_record']:.0f} bytes (whole file with the samples table: {st['bytes_per_record']:.2f} bytes/record, "
            f"{st['bytes_per_record'] / st['reference_bytes_per_record']:.3f}×) | {src} |"),
    }


def store_sizes_row():
    rel = "results/store-sizes.md"
    rows = {r["codec"]: r for r in md_table(rel) if r["C"] == "1000" and r["K"] == "10"}
    f, q = rows["fp16"], rows["q8"]
    return (f"| store bytes/record, C = 1000, K = 10, synthetic teacher | `fp16` {f['payload B/record']} ({f['× reference']}), "
            f"`q8` {q['payload B/record']} ({q['× reference']}) | reference: 44 B | `{md_command(rel)}` → [`{rel}`]({rel}) |")


def label_noise_row():
    rel = "results/label-noise.md"
    rows = {r["min confidence"]: r for r in md_table(rel) if r["split"] == "test"}
    a, b = rows["0.8"], rows["0.9"]
    return (f"| finding flipped labels: 5 % of Fashion-MNIST test labels flipped, demo teacher, `inspect --label-noise` at mean p ≥ 0.8 | "
            f"precision {a['precision']}, recall {a['recall']} | at ≥ 0.9: {b['precision']}, {b['recall']} | "
            f"`{md_command(rel)}` → [`{rel}`]({rel}) |")


def cost_row():
    c = load("results/epoch-cost.json")
    t = load("results/runs/teacher-w56.json")["parameters"]
    return (f"| student epoch cost, offline KD / labels only / online KD (teacher {t / 1e6:.1f} M parameters every step) | "
            f"{c['ratios']['offline / labels-only epoch cost']:.2f}× labels only | online {c['ratios']['online / offline epoch cost']:.2f}× offline; "
            f"the store pays for itself after {c['break_even']['runs']:.2f} student runs | `{c['command']}` → [`results/epoch-cost.json`](results/epoch-cost.json) |")


def full_row():
    names = [("full-offline-k2", "offline KD (K = 2 store)"), ("full-labels-ls0", "labels only, LS 0"),
             ("full-labels-ls01", "labels only, LS 0.1"), ("full-online", "online KD"),
             ("full-efficientformer-k2", "EfficientFormer, offline KD")]
    def top1(n):
        path = os.path.join(ROOT, "results", "runs", f"{n}.evaluate.json")
        return f"{100 * json.load(open(path))['top1']:.2f} %" if os.path.exists(path) else "not run yet"
    first = load(f"results/runs/{names[0][0]}.json")
    ref = os.path.join(ROOT, "results", "runs", f"{names[0][0]}.reference.json")
    ref_text = ""
    if os.path.exists(ref):
        r = json.load(open(ref))
        ref_text = (f"; in the public reference TinyViT {100 * r['reference_top1']:.2f} % "
                    f"({r['per_image']['top1_disagreements']} of {r['per_image']['images']:,} images disagree)")
    return (f"| issue-19 full schedule: TinyViT student ({first['parameters']:,} parameters), {len(first['epochs'])} epochs, "
            f"Fashion-MNIST test top-1 | {names[0][1]}: **{top1(names[0][0])}**{ref_text} | "
            + "; ".join(f"{label}: {top1(n)}" for n, label in names[1:])
            + " | `scripts/full-schedule full` → `results/runs/full-*.evaluate.json` |")


def wheel_row():
    w, p = load("results/wheel.json"), load("results/python-pytorch2.json")
    icu = next(g for g in w["groups"] if "ICU" in g["group"])
    passed = sum(c["passed"] for c in p["checks"])
    t = p["python_tests"]
    return (f"| the Python package: `make wheel`, then beside PyTorch from PyPI in a fresh venv | `{w['wheel']}`, "
            f"{w['bytes'] / 1e6:.1f} MB (goal ≤ 40), no libtorch, c10 or Gloo; of it Foundation's ICU data "
            f"{icu['compressed'] / 1e6:.1f} MB | torch {p['torch']}: {passed} of {len(p['checks'])} checks, "
            f"python/tests {t['passed']} passed, {t['failed']} failed (both import orders, DDP stop/resume bit-identical) | "
            f"`make wheel`, `{p['command']}` → [`results/wheel.json`](results/wheel.json), "
            f"[`results/python-pytorch2.json`](results/python-pytorch2.json) |")


def classmap_row():
    d = load("results/class-map-grouping.json")
    kd, lab = d["offline_kd"], d["labels_only"]
    return (f"| a 10-class teacher's store read by a 5-class student through `--class-map` (Fashion-MNIST in 5 groups), "
            f"`{d['student']}`, {d['schedule']['epochs']} epochs of {d['schedule']['max_steps_per_epoch']} batches, grouped test top-1, "
            f"mean of {kd['runs']} seeds | **{100 * kd['mean']:.2f} %** ({100 * kd['min']:.2f}–{100 * kd['max']:.2f}) | "
            f"grouped labels only: {100 * lab['mean']:.2f} % ({100 * lab['min']:.2f}–{100 * lab['max']:.2f}) | "
            f"`Benchmarks/scripts/class-map-grouping.sh --record` → [`results/class-map-grouping.json`](results/class-map-grouping.json) |")


def sampled_row():
    d = load("results/sampled-synthetic.json")
    t = d["c1000"]["targets"]
    pairs = sorted(((n, r, t[r["matches_bytes_of"]]) for n, r in t.items() if r.get("matches_bytes_of")),
                   key=lambda x: int(x[1]["matches_bytes_of"].split(":")[1]))
    gains = [k["kl"]["mean"] / r["kl"]["mean"] for _, r, k in pairs]
    s = d["c21841_summary"]
    return (f"| issue-27 sampled targets, synthetic teacher over 1,000 classes with a heavy tail: the student's KL to its teacher "
            f"at equal stored bytes | sampled **{min(gains):.1f}–{max(gains):.1f}× lower** than top-K (K = "
            + ", ".join(r["matches_bytes_of"].split(":")[1] for _, r, _ in pairs)
            + f") | at C = 21,841: {s['sampled_matching_top100']} matches top-100's KL at {s['sampled_matching_bytes']:.0f} payload "
            f"bytes/record, {s['sampled_matching_ratio']:.3f}× the reference's {s['reference_top100_bytes']} B (goal ≤ 0.3×) | "
            f"`{d['command']}` → [`results/sampled-synthetic.json`](results/sampled-synthetic.json) |")


rows = {**demo_rows(), "| issue-27 sampled targets": sampled_row(), "| a 10-class teacher's store": classmap_row(), "| the Python package: ": wheel_row(), "| store bytes/record, C = 1000": store_sizes_row(), "| finding flipped labels": label_noise_row(),
        "| issue-19 full schedule": full_row(), "| loader, ": loader_row(), "| issue-19 K ablation": ablation_row(), "| student epoch cost": cost_row()}
path = os.path.join(ROOT, "README.md")
lines = open(path).read().split("\n")
out = [next((row for prefix, row in rows.items() if line.startswith(prefix)), line) for line in lines]
missing = [p for p in rows if not any(l.startswith(p) for l in lines)]
if missing:
    sys.exit(f"render-readme: README.md has no row starting {missing}")
if "--check" in sys.argv:
    sys.exit(0 if out == lines else "render-readme: README.md differs from the results files; run scripts/render-readme.py")
open(path, "w").write("\n".join(out))
