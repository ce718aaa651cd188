#!/usr/bin/python3
"""Renders the issue-19 results from results/runs/*.json (written by scripts/record-run) as markdown
tables (printed) and the curves of every run on one plot, so no number in the README is typed by hand.

    scripts/render-results.py [--curves results/full-curves.png]   # print the tables
    scripts/render-results.py --write [--curves results/full-curves.png]
        # rewrite docs/results.md's generated blocks (between <!-- render:NAME --> and <!-- /render:NAME -->):
        # `full` (these tables and the issue-19 goals) and `demo` (results/demo.json, from scripts/demo --record)
    scripts/render-results.py --check   # exit 1 if those blocks are not what the files give (make test runs it)

Runs are grouped by name: `teacher-*`, `full-*` (the full schedule from one store), `kablation-k*` (the K
ablation at a shorter budget), `precompute-*` (store builds). Missing groups are skipped.
"""
import contextlib
import glob
import io
import json
import os
import statistics
import subprocess
import sys
from datetime import datetime

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
runs = {}
for path in sorted(glob.glob(os.path.join(ROOT, "results", "runs", "*.json"))):
    r = json.load(open(path))
    if "name" in r:  # runs and precomputes; NAME.evaluate.json and NAME.reference.json sit beside them
        runs[r["name"]] = r


def pct(v):
    return "–" if v is None else f"{100 * v:.2f} %"


def family(r):
    return json.loads(r["architecture"])["arch"] if r.get("architecture", "").startswith("{") else r.get("architecture", "?")


def k_of(r):
    opts = r.get("options", {})
    if opts.get("labelsOnly"):
        return "–"
    return (r.get("store") or {}).get("top_k", "?")


def mode(r):
    o = r.get("options", {})
    if o.get("labelsOnly"):
        return f"labels only (LS {o.get('labelSmoothing', 0)})"
    if o.get("onlineTeacher"):
        return "online KD"
    return "offline KD"


def table(names, title):
    if not names:
        return
    print(f"\n**{title}**\n")
    print("| run | student | parameters | mode | K | store bytes/record | epochs | test top-1 (last) | best | s/epoch |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in names:
        r = runs[n]
        bpr = (r.get("store") or {}).get("bytes_per_record")
        print(f"| {n} | {family(r)} | {r['parameters']:,} | {mode(r)} | {k_of(r)} | {'–' if bpr is None or mode(r).startswith('labels') else f'{bpr:.2f}'} | "
              f"{len(r['epochs'])} | {pct(r['final_top1'])} | "
              f"{pct(r['best_top1'])} | {r['seconds_per_epoch']:.0f} |")


def load(rel):
    path = os.path.join(ROOT, rel)
    return json.load(open(path)) if os.path.exists(path) else None


def evaluated(name):
    e = load(f"results/runs/{name}.evaluate.json")
    return e["top1"] if e else None


def forward_rates(rel="results/teacher-student-cost.txt"):
    """Median forward images/s per architecture file in the teacher/student cost benchmark."""
    rates = {}
    path = os.path.join(ROOT, rel)
    if not os.path.exists(path):
        return rates
    for line in open(path):
        if line.startswith("{"):
            r = json.loads(line)
            if r["mode"] == "forward":
                rates.setdefault(r["arch"], []).append(r["images_per_s"])
    return {a: statistics.median(v) for a, v in rates.items()}


def goals():
    """The issue-19 goals against the filed results: goal, measured, met."""
    print("\n**The goals** (each measured value from the file named; `scripts/render-results.py`)\n")
    print("| goal | measured | met | from |")
    print("|---|---|---|---|")
    yes = lambda ok: "yes" if ok else "**no**"
    t = evaluated("teacher-w56")
    if t is not None:
        print(f"| teacher ≥ 93.0 % top-1 | {pct(t)} | {yes(t >= 0.93)} | `results/runs/teacher-w56.evaluate.json` |")
    fr = forward_rates()
    tr, sr = fr.get("models/teacher-w56-arch.json"), fr.get("models/student-tinyvit-0.8m.json")
    if tr and sr:
        print(f"| teacher forward ≥ 3× the student's per-image cost | {sr / tr:.2f}× (forward images/s, median: "
              f"student {sr:.0f}, teacher {tr:.0f}) | {yes(sr / tr >= 3)} | `results/teacher-student-cost.txt` |")
    off, onl = evaluated("full-offline-k2"), evaluated("full-online")
    labels = [(evaluated(n), n) for n in ("full-labels-ls0", "full-labels-ls01") if evaluated(n) is not None]
    if off is not None:
        print(f"| offline-KD student ≥ 91.5 % | {pct(off)} | {yes(off >= 0.915)} | `results/runs/full-offline-k2.evaluate.json` |")
        if onl is None:
            print("| offline KD within ±0.3 points of online KD | online KD not filed yet | – | `results/runs/full-online.evaluate.json` |")
        else:
            d = 100 * (off - onl)
            last5 = lambda n: sum(x["eval_top1"] for x in runs[n]["epochs"][-5:]) / 5
            m = 100 * (last5("full-offline-k2") - last5("full-online"))
            print(f"| offline KD within ±0.3 points of online KD | {pct(off)} − {pct(onl)} = {d:+.2f} points (mean of the last 5 "
                  f"epochs: {pct(last5('full-offline-k2'))} − {pct(last5('full-online'))} = {m:+.2f}) | "
                  f"{yes(abs(d) <= 0.3 + 1e-9)} | `results/runs/full-online.evaluate.json`, `results/runs/full-*.json` |")
        if labels:
            best, name = max(labels)
            d = 100 * (off - best)
            print(f"| offline KD beats labels only by ≥ 1 point | {d:+.2f} points over the best, {name} ({pct(best)}) | "
                  f"{yes(d >= 1 - 1e-9)} | `results/runs/full-labels-ls0*.evaluate.json` |")
    c = load("results/epoch-cost.json")
    if c:
        r = c["ratios"]["offline / labels-only epoch cost"]
        print(f"| an offline epoch costs ≤ 1.05× a labels-only epoch | {r:.2f}× | {yes(r <= 1.05)} | `results/epoch-cost.json` |")
        print(f"| measured: online/offline epoch cost, precompute time, break-even | {c['ratios']['online / offline epoch cost']:.2f}×; "
              f"{c['precompute']['seconds']:.0f} s; {c['break_even']['runs']:.2f} student runs of {c['break_even']['epochs_per_student_run']} epochs "
              f"| yes | `results/epoch-cost.json` |")
    ks = load("results/k-stores.json")
    abl = {k: evaluated(f"kablation-k{k}") for k in (ks or {}).get("stores", {})}
    if ks and all(v is not None for v in abl.values()) and "10" in abl:
        within = [int(k) for k, v in abl.items() if 100 * (abl["10"] - v) <= 0.2 + 1e-9]
        k = min(within)
        used = int(k_of(runs["full-offline-k2"])) if "full-offline-k2" in runs else None
        print(f"| the full schedule uses the smallest K < C within 0.2 points of K = 10 | smallest: K = {k} ({pct(abl[str(k)])} vs "
              f"{pct(abl['10'])}; mean uniform remainder {ks['stores'][str(k)]['uniform_remainder_mean']:.4f}); used: K = {used} | "
              f"{yes(k < 10 and used == k)} | `results/runs/kablation-k*.evaluate.json`, `results/k-stores.json` |")


def demo_table():
    d = load("results/demo.json")
    if not d:
        return
    sch, st = d["schedule"], d["store"]
    print(f"`{d['command']}` at commit {d['commit'][:7]} ({d['tool_version']}): a store of {sch['store_epochs']} epochs, "
          f"students for {sch['student_epochs']} epochs" + (f" of {sch['max_steps_per_epoch']} batches of 128" if sch["max_steps_per_epoch"] else "")
          + " ([`results/demo.json`](../results/demo.json)):\n")
    print("| model | test top-1 | top-5 | parameters | seconds / epoch |")
    print("|---|---|---|---|---|")
    labels = {"teacher": "teacher (`models/fashion-mnist-teacher.safetensors`; seconds: the mean of its training log, `models/README.md`)", "student-offline-kd": "student `tinyvit-mini`, **offline KD from the store**",
              "student-labels": "same student, labels only", "student-online-kd": "same student, online KD (teacher run every step)"}
    for r in d["models"]:
        sec = f"{r['seconds_per_epoch']:.1f}" if r.get("seconds_per_epoch") else "–"
        print(f"| {labels.get(r['model'], r['model'])} | {pct(r['top1'])} | {pct(r['top5'])} | {r['parameters']:,} | {sec} |")
    m = {r["model"]: r for r in d["models"]}
    lines = []
    if "student-offline-kd" in m and "student-labels" in m:
        o, l = m["student-offline-kd"], m["student-labels"]
        lines.append(f"offline KD − labels only: {100 * (o['top1'] - l['top1']):+.2f} points; an offline epoch costs "
                     f"{o['seconds_per_epoch'] / l['seconds_per_epoch']:.2f}× a labels-only epoch")
        if "student-online-kd" in m:
            n = m["student-online-kd"]
            lines.append(f"offline − online KD: {100 * (o['top1'] - n['top1']):+.2f} points; online costs "
                         f"{n['seconds_per_epoch'] / o['seconds_per_epoch']:.2f}× offline per epoch")
    lines.append(f"store: {st['records']:,} records (K = {st['top_k']}, {st['value_codec']}) in {st['file_bytes'] / 1e6:.2f} MB, "
                 f"{st['payload_bytes_per_record']:.2f} payload bytes/record ({st['payload_bytes_per_record'] / st['reference_bytes_per_record']:.3f}× "
                 f"the reference's {st['reference_bytes_per_record']:.0f}), {st['bytes_per_record']:.2f} bytes/record for the whole file with "
                 f"the samples table ({st['bytes_per_record'] / st['reference_bytes_per_record']:.3f}×)")
    print("\n" + "\n".join(f"- {x}." for x in lines))


def session_seconds(inspect):
    f = "%Y-%m-%dT%H:%M:%SZ"
    return sum((datetime.strptime(x["endedAt"], f) - datetime.strptime(x["startedAt"], f)).total_seconds()
               for x in inspect.get("sessions", []) if x.get("endedAt"))


def full_tables():
    """The teacher, full-schedule and K-ablation tables, the K-stores, the epoch cost and the reference check."""
    teachers = [n for n in runs if n.startswith("teacher-")]
    table(teachers, "Teacher")
    full = [n for n in runs if n.startswith("full-")]
    table(full, "Full schedule, one store")
    abl = sorted((n for n in runs if n.startswith("kablation-")), key=lambda n: int(n.split("-k")[-1]))
    table(abl, "K ablation (shorter common budget)")


    for n in (x for x in runs if x.startswith("precompute-")):
        r = runs[n]
        i = r["inspect"]
        secs = session_seconds(i)
        print(f"\n`{n}`: {i['records']:,} records in {secs:.0f} s over {len(i['sessions'])} writer session(s) "
              f"({i['records'] / max(secs, 1):.0f} records/s), {r['store_bytes'] / max(1, i['records']):.2f} file bytes/record.")

    kstores = os.path.join(ROOT, "results", "k-stores.json")
    if os.path.exists(kstores):
        ks = json.load(open(kstores))["stores"]
        print("\n**The K-stores** (`scripts/k-store-stats.sh` → `results/k-stores.json`)\n")
        print("| K | file bytes/record | mean Σ top-K | mean uniform remainder 1 − Σ top-K | K ablation top-1 |")
        print("|---|---:|---:|---:|---:|")
        for k, v in ks.items():
            a = runs.get(f"kablation-k{k}")
            print(f"| {k} | {v['file_bytes_per_record']:.2f} | {v['topk_mass_mean']:.4f} | {v['uniform_remainder_mean']:.4f} | "
                  f"{pct(a['final_top1']) if a else '–'} |")

    cost = os.path.join(ROOT, "results", "epoch-cost.json")
    if os.path.exists(cost):
        c = json.load(open(cost))
        e, ra, b = c["epoch_seconds_60k_images"], c["ratios"], c["break_even"]
        print(f"\n**Epoch cost** (`{c['command']}` → `results/epoch-cost.json`, medians of {c['rounds']} alternating rounds)\n")
        print("| mode | images/s (median, range) | s per 60,000-image epoch |")
        print("|---|---:|---:|")
        for m, label in (("offline", "offline KD from the store"), ("labels", "labels only"), ("online", "online KD (teacher every step)")):
            v = c["modes"][m]["images_per_s"]
            print(f"| {label} | {v['median']:.0f} ({v['min']:.0f}–{v['max']:.0f}) | {e[m]:.0f} |")
        print(f"\nOffline/labels-only epoch cost {ra['offline / labels-only epoch cost']:.2f}x; online/offline "
              f"{ra['online / offline epoch cost']:.2f}x. The precompute took {c['precompute']['seconds']:.0f} s; a "
              f"{b['epochs_per_student_run']}-epoch student run saves {b['seconds_saved_per_run']:.0f} s against online KD, so the store "
              f"has paid for itself after {b['runs']:.2f} student runs.")

    refs = sorted(glob.glob(os.path.join(ROOT, "results", "runs", "*.reference.json")))
    if refs:
        print("\n**In the public reference TinyViT** (`Benchmarks/scripts/reference-tinyvit-accuracy.py` → "
              "`results/runs/NAME.reference.json`)\n")
        print("| checkpoint | strict load | reference top-1 | ours top-1 | top-1 disagreements | largest probability gap |")
        print("|---|---|---:|---:|---:|---:|")
        for path in refs:
            r = json.load(open(path))
            per = r.get("per_image", {})
            print(f"| {os.path.basename(r['weights'])} | {r['strict_load'].strip('<>')} | {pct(r['reference_top1'])} | "
                  f"{pct(r['ours_top1'])} | {per.get('top1_disagreements', '–')} of {per.get('images', '–')} | "
                  f"{per['max_probability_gap']:.1e} |" if per else "| – |")


def classmap_table():
    """Issue 28's 10 -> 5 class-map experiment (Benchmarks/scripts/class-map-grouping.sh --record)."""
    d = load("results/class-map-grouping.json")
    if d is None:
        print("Not filed yet: run `Benchmarks/scripts/class-map-grouping.sh --record`.")
        return
    sch = d["schedule"]
    print(f"`{d['command']}` at {d['commit'][:7]} ({d['tool_version']}) → "
          "[`results/class-map-grouping.json`](../results/class-map-grouping.json). "
          f"Teacher `{d['teacher']}`, {sch['store_epochs']} stored epochs, K = {sch['top_k']}; student "
          f"`{d['student']}`, {sch['epochs']} epochs of {sch['max_steps_per_epoch']} batches of {sch['batch']}, "
          "evaluated on the 10,000 test images in the same five groups.\n")
    print("| student | seed | grouped test top-1 |")
    print("|---|---:|---:|")
    for r in sorted(d["runs"], key=lambda r: (r["mode"] != "offline-kd", r["seed"])):
        label = "offline KD through the class map" if r["mode"] == "offline-kd" else "grouped labels only"
        print(f"| {label} | {r['seed']} | {pct(r['top1'])} |")
    kd, lab = d["offline_kd"], d["labels_only"]
    print(f"\nMean over {kd['runs']} seeds: {pct(kd['mean'])} through the map ({pct(kd['min'])}–{pct(kd['max'])}), "
          f"{pct(lab['mean'])} from labels ({pct(lab['min'])}–{pct(lab['max'])}): "
          f"{100 * (kd['mean'] - lab['mean']):+.2f} points. The teacher's top-1 through the map agrees with the "
          f"grouped labels on {pct(d['teacher_mapped_agreement'])} of the stored (augmented) training views "
          "(`inspect --class-map`).")
    seeds = sorted({r["seed"] for r in d["runs"]})
    by = {(r["mode"], r["seed"]): r["top1"] for r in d["runs"]}
    gaps = [100 * (by[("offline-kd", x)] - by[("labels-only", x)]) for x in seeds]
    print(f"\nPaired by seed (same images, seeds and steps), the mapped student is ahead in {sum(g > 0 for g in gaps)} of "
          f"{len(gaps)}: " + ", ".join(f"seed {x} {g:+.2f} points" for x, g in zip(seeds, gaps))
          + ". The spread between seeds is larger than the gap: at this short budget (under one pass over the data "
          "per run) a seed moves both students a lot, so two seeds show the direction, not its size.")


check = "--check" in sys.argv
write = "--write" in sys.argv or check
full_block = io.StringIO()
with contextlib.redirect_stdout(full_block) if write else contextlib.nullcontext():
    goals()
    full_tables()
if write:
    demo_block = io.StringIO()
    with contextlib.redirect_stdout(demo_block):
        demo_table()
    classmap_block = io.StringIO()
    with contextlib.redirect_stdout(classmap_block):
        classmap_table()
    path = os.path.join(ROOT, "docs", "results.md")
    text = open(path).read()
    for name, block in (("full", full_block.getvalue()), ("demo", demo_block.getvalue()),
                        ("classmap", classmap_block.getvalue())):
        begin, end = f"<!-- render:{name} -->", f"<!-- /render:{name} -->"
        if begin not in text or end not in text:
            sys.exit(f"render-results: docs/results.md has no {begin} … {end} block")
        head, rest = text.split(begin, 1)
        text = head + begin + "\n" + block.strip("\n") + "\n" + end + rest.split(end, 1)[1]
    if check:
        if text != open(path).read():
            sys.exit("render-results: docs/results.md differs from the results files; run scripts/render-results.py --write")
        sys.exit(0)
    open(path, "w").write(text)
    print("render-results: docs/results.md rewritten")

if "--curves" in sys.argv:
    out = sys.argv[sys.argv.index("--curves") + 1]
    pairs = [f"{n}={os.path.join(ROOT, 'results', 'runs', n + '.json')}" for prefix in ("teacher-", "full-") for n in runs if n.startswith(prefix)]
    if pairs:
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "plot_curves.py"), out, *pairs], check=True)
