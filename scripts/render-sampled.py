#!/usr/bin/python3
"""Renders issue 27's results (sampled targets against top-K) from their committed files into
docs/results.md, so that no number there is typed by hand:

- `sampled-synthetic`: results/sampled-synthetic.json (Benchmarks/scripts/sampled-targets-synthetic.py),
  the synthetic C = 1,000 and C = 21,841 teachers, and its picture results/sampled-synthetic.png;
- `sampled-grid`: the Fashion-MNIST grid, results/runs/grid-*.json and kablation-k{1,2,10}.json with their
  NAME.evaluate.json (scripts/full-schedule sample grid), and the reliability diagram
  results/sampled-reliability.png;
- `teacher-choice`: the same student from three teachers' stores (scripts/teacher-choice).

    scripts/render-sampled.py            # print the blocks
    scripts/render-sampled.py --write    # rewrite the blocks in docs/results.md and the pictures
    scripts/render-sampled.py --check    # exit 1 if docs/results.md is not what the files give (make test-docs)
"""
import contextlib
import io
import json
import math
import os
import statistics
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
COLORS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14), (140, 86, 75)]


def load(rel):
    path = os.path.join(ROOT, rel)
    return json.load(open(path)) if os.path.exists(path) else None


def ms(s, scale=1.0, digits=4):
    """mean ± sd of a summary {"mean", "sd"}."""
    return f"{scale * s['mean']:.{digits}f} ± {scale * s['sd']:.{digits}f}"


# ---- the synthetic teacher ---------------------------------------------------------------------------

def synthetic_block():
    d = load("results/sampled-synthetic.json")
    if d is None:
        print("Not filed yet: run `Benchmarks/scripts/sampled-targets-synthetic.py`.")
        return
    c1 = d["c1000"]
    t = d["teacher"]
    print(f"`{d['command']}` at {d['commit'][:7]} (torch {d['torch']}, {d['seconds'] / 60:.0f} min) → "
          "[`results/sampled-synthetic.json`](../results/sampled-synthetic.json). A synthetic teacher "
          f"p(x) = softmax({t['scale']:g}·Wx + b) over C classes with a Zipf prior b (exponent {t['zipf']:g}), "
          f"{t['features']} input features, each record an augmented view x + {t['view_noise']:g}·e with e drawn from "
          f"the record's seed; a linear student of the teacher's own family learns from each store's targets as "
          f"the loader reads them ({c1['samples']:,} samples × {c1['stored_epochs']} stored epochs, "
          f"{c1['student_passes']} passes, {len(c1['seeds'])} student seeds: mean ± sd). At C = 1,000 the teacher's "
          f"top-1 holds {c1['teacher_mass_in_top']['1']:.2f} of the mass on average, its top-10 "
          f"{c1['teacher_mass_in_top']['10']:.2f} and its top-30 {c1['teacher_mass_in_top']['30']:.2f}.\n")
    print("| target (C = 1,000) | payload bytes/record | student KL(teacher ‖ student), nats | student ECE | "
          "top-1 agreement with the teacher | gradient cosine to dense, per record (untrained) | batch gradient cosine (untrained / trained) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    order = ["dense"]
    for n in c1["targets"]:
        if n.startswith("topk:"):
            order.append(n)
            order += [m for m, r in c1["targets"].items() if r.get("matches_bytes_of") == n]
    for name in order:
        r = c1["targets"][name]
        b = r.get("payload_bytes_per_record")
        gi, gt = r.get("grad_cosine_init"), r.get("grad_cosine_trained")
        print(f"| {name} | {'–' if b is None else f'{b:.2f}'} | {ms(r['kl'])} | {ms(r['ece'])} | "
              f"{ms(r['top1_agreement'], 100, 2)} % | {gi['per_record_logits']:.4f} | "
              f"{gi['batch_weights']:.4f} / {gt['batch_weights']:.4f} |" if gt else
              f"| {name} | {'–' if b is None else f'{b:.2f}'} | {ms(r['kl'])} | {ms(r['ece'])} | "
              f"{ms(r['top1_agreement'], 100, 2)} % | 1 | 1 / 1 |")
    pairs = [(n, r) for n, r in c1["targets"].items() if r.get("matches_bytes_of")]
    lines = []
    for n, r in pairs:
        k = c1["targets"][r["matches_bytes_of"]]
        lines.append(f"at the bytes of {r['matches_bytes_of']} ({k['payload_bytes_per_record']:.2f} B), {n.split(' ')[0]} "
                     f"({r['payload_bytes_per_record']:.2f} B) gives the student a KL of {r['kl']['mean']:.4f} against "
                     f"{k['kl']['mean']:.4f} ({k['kl']['mean'] / max(r['kl']['mean'], 1e-12):.1f}× lower)")
    dense = c1["targets"]["dense"]["kl"]["mean"]
    lines.append(f"the dense target gives {dense:.4f}: what remains of any stored target's KL above it is the cost of "
                 "keeping less than the whole distribution")
    tried = ", ".join(x["targets"].split(":")[1] for x in c1["sampled_bytes"])
    lines.append(f"each sampled row is the largest N of those tried ({tried}) whose payload fits the top-K's; the batch "
                 "gradient cosine at the trained student is that of one batch, where a sampled target's error is noise "
                 "that later batches and epochs average out and a top-K target's is a bias they repeat")
    print("\n" + "\n".join(f"- {x}." for x in lines))

    c2, s = d["c21841"], d["c21841_summary"]
    print(f"\nAt C = 21,841 (ImageNet-21k's class count; {c2['samples']:,} samples × {c2['stored_epochs']} epochs, "
          f"{len(c2['seeds'])} student seed; top-100 holds {c2['teacher_mass_in_top']['100']:.2f} of the mass):\n")
    print("| target (C = 21,841) | payload bytes/record | × the reference's 404 B | student KL, nats | student ECE | top-1 agreement |")
    print("|---|---:|---:|---:|---:|---:|")
    ref = s["reference_top100_bytes"]
    for name, r in sorted(c2["targets"].items(), key=lambda x: x[1].get("payload_bytes_per_record") or 0):
        b = r.get("payload_bytes_per_record")
        print(f"| {name} | {'–' if b is None else f'{b:.1f}'} | {'–' if b is None else f'{b / ref:.3f}'} | "
              f"{r['kl']['mean']:.4f} | {r['ece']['mean']:.4f} | {100 * r['top1_agreement']['mean']:.2f} % |")
    if s["sampled_matching_top100"]:
        ok = s["sampled_matching_ratio"] <= 0.3
        tried = ", ".join(str(x) for x in sorted(int(n.split(":")[1]) for n in c2["targets"] if n.startswith("sample:")))
        m, t = c2["targets"][s["sampled_matching_top100"]], c2["targets"]["topk:100"]
        print(f"\nOf the sampled settings tried (N = {tried}), the smallest whose student is at least as close to the "
              "teacher as top-100's (fp16) is "
              f"**{s['sampled_matching_top100']}** at {s['sampled_matching_bytes']:.1f} payload bytes/record: "
              f"{s['sampled_matching_ratio']:.3f}× the reference's 404 B (goal ≤ 0.3×: {'met' if ok else '**missed**'}); "
              f"top-100 itself takes {s['topk100_fp16_bytes']:.1f} B in fp16 and {s['topk100_q8_bytes']:.1f} B in q8. Its "
              f"student's top-1 agreement with the teacher is {100 * m['top1_agreement']['mean']:.2f} % against top-100's "
              f"{100 * t['top1_agreement']['mean']:.2f} %: matching the whole distribution is not matching the argmax.")
    else:
        print("\nNo sampled setting tried matched top-100's student KL (goal ≤ 0.3× the reference: **missed**).")
    print("\n![Student KL against stored bytes/record, C = 1,000](../results/sampled-synthetic.png)")


def synthetic_picture(path):
    d = load("results/sampled-synthetic.json")
    if d is None:
        return
    from PIL import Image, ImageDraw
    c1 = d["c1000"]["targets"]
    topk = sorted(((r["payload_bytes_per_record"], r["kl"]["mean"], n) for n, r in c1.items() if n.startswith("topk:")))
    samp = sorted(((r["payload_bytes_per_record"], r["kl"]["mean"], n.split(" ")[0]) for n, r in c1.items() if n.startswith("sample:")))
    dense = c1["dense"]["kl"]["mean"]
    W, H, P = 640, 400, 60
    img = Image.new("RGB", (W, H), (255, 255, 255))
    g = ImageDraw.Draw(img)
    xs = [b for b, _, _ in topk + samp]
    ys = [k for _, k, _ in topk + samp] + [dense]
    lx0, lx1 = math.log10(min(xs) * 0.8), math.log10(max(xs) * 1.25)
    ly0, ly1 = math.log10(min(ys) * 0.8), math.log10(max(ys) * 1.25)
    X = lambda b: P + (W - P - 20) * (math.log10(b) - lx0) / (lx1 - lx0)
    Y = lambda k: H - P - (H - P - 30) * (math.log10(k) - ly0) / (ly1 - ly0)
    g.line([P, H - P, W - 20, H - P], fill=(0, 0, 0))
    g.line([P, H - P, P, 30], fill=(0, 0, 0))
    g.text((P, 10), "C = 1,000: student KL(teacher || student) vs stored payload bytes/record (log-log)", fill=(0, 0, 0))
    for e in range(math.floor(lx0), math.ceil(lx1) + 1):
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lx0 <= math.log10(v) <= lx1:
                g.line([X(v), H - P, X(v), H - P + 4], fill=(0, 0, 0))
                g.text((X(v) - 8, H - P + 8), f"{v:g}", fill=(0, 0, 0))
    for e in range(math.floor(ly0), math.ceil(ly1) + 1):
        for m in (1, 2, 5):
            v = m * 10 ** e
            if ly0 <= math.log10(v) <= ly1:
                g.line([P - 4, Y(v), P, Y(v)], fill=(0, 0, 0))
                g.text((4, Y(v) - 6), f"{v:g}", fill=(0, 0, 0))
    g.line([P, Y(dense), W - 20, Y(dense)], fill=(127, 127, 127))
    g.text((W - 120, Y(dense) + 4), "dense target", fill=(127, 127, 127))
    for pts, color, label, ly in ((topk, COLORS[1], "top-K (even remainder)", 40), (samp, COLORS[0], "sampled (counts / N)", 56)):
        for (b0, k0, _), (b1, k1, _) in zip(pts, pts[1:]):
            g.line([X(b0), Y(k0), X(b1), Y(k1)], fill=color, width=2)
        for b, k, n in pts:
            g.ellipse([X(b) - 3, Y(k) - 3, X(b) + 3, Y(k) + 3], fill=color)
            g.text((X(b) + 5, Y(k) - 12), n, fill=color)
        g.text((W - 190, ly), label, fill=color)
    g.text((W // 2 - 60, H - 20), "payload bytes/record", fill=(0, 0, 0))
    img.save(path)


# ---- the Fashion-MNIST grid --------------------------------------------------------------------------

GRID = [("K = 1 (top-1)", "k1", "kablation-k1"), ("K = 2 (top-2)", "k2", "kablation-k2"),
        ("sampled at K = 1's bytes", "sample4", "grid-sample4"), ("sampled at K = 2's bytes", "sample24", "grid-sample24"),
        ("dense (K = 10)", "k10", "kablation-k10"), ("online KD (the whole distribution)", "online", "grid-online")]


def grid_runs(first):
    """The filed runs of one grid row: (name, run, evaluation) for seeds 1, 2, 3."""
    out = []
    for seed in (1, 2, 3):
        name = first if seed == 1 else (first.replace("kablation-", "grid-") + f"-seed{seed}")
        r, e = load(f"results/runs/{name}.json"), load(f"results/runs/{name}.evaluate.json")
        if r and e and "calibration" in e:
            out.append((name, r, e))
    return out


def mean_sd(xs):
    return (statistics.mean(xs), statistics.stdev(xs) if len(xs) > 1 else 0.0)


def grid_block():
    rows = [(label, key, grid_runs(first)) for label, key, first in GRID]
    if not any(runs for _, _, runs in rows):
        print("Not filed yet: run `scripts/full-schedule truncate sample grid`.")
        return
    ks = load("results/k-stores.json") or {"stores": {}}
    print("The TinyViT student (`models/student-tinyvit-0.8m.json`) from teacher-w56's stores, on the 5-epoch ablation "
          "schedule, each target with seeds 1, 2 and 3 (`scripts/full-schedule sample grid`; seed 1 of top-K is the "
          "K ablation's run). Test top-1, NLL and ECE (15 bins) from `tinydistill evaluate --json` on the 10,000 test "
          "images (`results/runs/NAME.evaluate.json`); mean ± sd over the seeds filed. Bytes/record: the store "
          "file's per record (`inspect`; 600,000 records), as in the K-stores table.\n")
    sb = load("results/sampled-bytes.json") or {"sampled_at_bytes_of": {}, "payload_bytes_per_record": {}}
    pb = sb["payload_bytes_per_record"]
    for k in ("topk:1", "topk:2"):
        m = sb["sampled_at_bytes_of"].get(k)
        if m:
            print(f"- at the bytes of {k} ({pb[k]:.2f} payload B/record on epoch 0): **{m}** ({pb[m]:.2f} B)")
    print()
    print("| target | seeds | store file bytes/record | test top-1 | NLL (nats) | ECE |")
    print("|---|---:|---:|---:|---:|---:|")
    stats = {}
    for label, key, runs in rows:
        if not runs:
            print(f"| {label} | 0 | – | not filed yet | – | – |")
            continue
        top1 = mean_sd([100 * e["top1"] for _, _, e in runs])
        nll = mean_sd([e["calibration"]["nll"] for _, _, e in runs])
        ece = mean_sd([e["calibration"]["ece"] for _, _, e in runs])
        store = runs[0][1].get("store") or {}
        bpr = store.get("bytes_per_record")
        stats[key] = {"top1": top1, "nll": nll, "ece": ece, "n": len(runs)}
        print(f"| {label} | {len(runs)} | {'–' if bpr is None or key == 'online' else f'{bpr:.2f}'} | "
              f"{top1[0]:.2f} ± {top1[1]:.2f} % | {nll[0]:.4f} ± {nll[1]:.4f} | {ece[0]:.4f} ± {ece[1]:.4f} |")
    goals = []
    s24, dense, online = stats.get("sample24"), stats.get("k10"), stats.get("online")
    if s24 and dense:
        d = s24["top1"][0] - dense["top1"][0]
        goals.append(f"sampled at K = 2's bytes − dense: {d:+.2f} points (goal within ±0.1: {'met' if abs(d) <= 0.1 else '**missed**'})")
        goals.append(f"ECE, sampled at K = 2's bytes vs dense: {s24['ece'][0]:.4f} vs {dense['ece'][0]:.4f} (goal no worse: "
                     f"{'met' if s24['ece'][0] <= dense['ece'][0] else '**missed**'})")
    if s24 and online:
        d = s24["top1"][0] - online["top1"][0]
        goals.append(f"sampled at K = 2's bytes − online KD: {d:+.2f} points (goal within ±0.1: {'met' if abs(d) <= 0.1 else '**missed**'})")
    if online:
        for key, label in (("k10", "dense"), ("k2", "top-2")):
            o = stats.get(key)
            if o and o["n"] > 1 and online["n"] > 1:
                d = o["top1"][0] - online["top1"][0]
                spread = max(o["top1"][1], online["top1"][1])
                goals.append(f"offline {label} − online KD: {d:+.2f} points against a seed-to-seed sd of up to {spread:.2f}: "
                             + ("larger than the spread" if abs(d) > spread else "within the spread"))
    if any(v["n"] < 3 for v in stats.values()) or len(stats) < len(GRID):
        goals.append("the grid is not complete: rows with fewer than 3 seeds are partial")
    print("\n" + "\n".join(f"- {x}." for x in goals))
    print("\n![Reliability diagram of the grid's students, seed 1](../results/sampled-reliability.png)")


# ---- the choice of teacher ---------------------------------------------------------------------------

TEACHERS = [("demo ResNet-18, width 16", "teacher-demo", "choice-store-demo", "choice-student-demo"),
            ("teacher-w56 (ResNet-18, width 56)", "teacher-w56", "precompute-k10", "choice-student-w56"),
            ("EfficientFormer", "teacher-efficientformer", "choice-store-efficientformer", "choice-student-efficientformer")]


def teacher_block():
    rows = []
    for label, teacher, store, student in TEACHERS:
        te, st = load(f"results/runs/{teacher}.evaluate.json"), load(f"results/runs/{store}.json")
        se = load(f"results/runs/{student}.evaluate.json")
        rows.append((label, te, st, se))
    if not any(se for *_, se in rows):
        print("Not filed yet: run `scripts/teacher-choice` (each teacher's K = 10 store made the same way, the student "
              "from each on the 5-epoch ablation schedule).")
        return
    print("The TinyViT student from each teacher's K = 10 store (the same policy, seed and batch; `scripts/teacher-choice`), "
          "on the 5-epoch ablation schedule. Teacher images/s and records/s are the precompute's (`results/runs/STORE.json`; the "
          "wall time is that of 5 epochs of 60,000 records at its records/s, as teacher-w56's store was written in more than one session); "
          "agreement and class correlation from `evaluate --agreement-with TEACHER --class-correlation --teacher-store`.\n")
    print("| teacher | parameters | teacher test top-1 | precompute teacher images/s | store wall time, 5 epochs | student test top-1 | "
          "student–teacher top-1 agreement | class-correlation r |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, te, st, se in rows:
        f = lambda v, spec="{:.2f}", scale=1: "–" if v is None else spec.format(scale * v)
        summ = (st or {}).get("summary", {})
        print(f"| {label} | {f(te and te.get('parameters'), '{:,}')} | {f(te and te.get('top1'), '{:.2f} %', 100)} | "
              f"{f(summ.get('teacherImagesPerSecond'), '{:.0f}')} | "
              f"{f(300_000 / summ['recordsPerSecond'] if summ else None, '{:.0f} s')} | "
              f"{f(se and se.get('top1'), '{:.2f} %', 100)} | {f(se and se.get('top1_agreement'), '{:.2f} %', 100)} | "
              f"{f(se and se.get('teacher_student_correlation'), '{:.3f}')} |")


def reliability_picture(path):
    rows = [(label, grid_runs(first)) for label, _, first in GRID]
    rows = [(label, runs[0][2]) for label, runs in rows if runs]
    if not rows:
        return
    from PIL import Image, ImageDraw
    S, P = 360, 50
    img = Image.new("RGB", (S + P + 260, S + P + 30), (255, 255, 255))
    g = ImageDraw.Draw(img)
    X = lambda v: P + S * v
    Y = lambda v: 20 + S * (1 - v)
    g.rectangle([X(0), Y(1), X(1), Y(0)], outline=(0, 0, 0))
    g.line([X(0), Y(0), X(1), Y(1)], fill=(160, 160, 160))
    for t in range(6):
        v = t / 5
        g.text((X(v) - 8, Y(0) + 6), f"{v:.1f}", fill=(0, 0, 0))
        g.text((P - 28, Y(v) - 6), f"{v:.1f}", fill=(0, 0, 0))
    g.text((X(0.3), Y(0) + 22), "confidence (15 bins)", fill=(0, 0, 0))
    g.text((X(0), 4), "accuracy per confidence bin, test set", fill=(0, 0, 0))
    for i, (label, e) in enumerate(rows):
        color = COLORS[i % len(COLORS)]
        pts = [(b["confidence"], b["accuracy"]) for b in e["calibration"]["bins"] if b["count"] >= 20]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            g.line([X(x0), Y(y0), X(x1), Y(y1)], fill=color, width=2)
        for x, y in pts:
            g.ellipse([X(x) - 2, Y(y) - 2, X(x) + 2, Y(y) + 2], fill=color)
        g.text((S + P + 14, 30 + 18 * i), f"{label}: ECE {e['calibration']['ece']:.4f}", fill=color)
    g.text((S + P + 14, 30 + 18 * len(rows) + 8), "bins with >= 20 images", fill=(100, 100, 100))
    img.save(path)


check = "--check" in sys.argv
write = "--write" in sys.argv or check
blocks = {}
for name, fn in (("sampled-synthetic", synthetic_block), ("sampled-grid", grid_block), ("teacher-choice", teacher_block)):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn()
    blocks[name] = buf.getvalue()
    if not write:
        print(buf.getvalue())
if write:
    path = os.path.join(ROOT, "docs", "results.md")
    text = open(path).read()
    for name, block in blocks.items():
        begin, end = f"<!-- render:{name} -->", f"<!-- /render:{name} -->"
        if begin not in text or end not in text:
            sys.exit(f"render-sampled: docs/results.md has no {begin} … {end} block")
        head, rest = text.split(begin, 1)
        text = head + begin + "\n" + block.strip("\n") + "\n" + end + rest.split(end, 1)[1]
    if check:
        if text != open(path).read():
            sys.exit("render-sampled: docs/results.md differs from the results files; run scripts/render-sampled.py --write")
        sys.exit(0)
    open(path, "w").write(text)
    synthetic_picture(os.path.join(ROOT, "results", "sampled-synthetic.png"))
    reliability_picture(os.path.join(ROOT, "results", "sampled-reliability.png"))
    print("render-sampled: docs/results.md and the pictures rewritten")
