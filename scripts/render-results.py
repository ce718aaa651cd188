#!/usr/bin/python3
"""Renders the issue-19 results from results/runs/*.json (written by scripts/record-run) as markdown
tables (printed) and the curves of every run on one plot, so no number in the README is typed by hand.

    scripts/render-results.py [--curves examples/results-curves.png]

Runs are grouped by name: `teacher-*`, `full-*` (the full schedule from one store), `kablation-k*` (the K
ablation at a shorter budget), `precompute-*` (store builds). Missing groups are skipped.
"""
import glob
import json
import os
import subprocess
import sys

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


teachers = [n for n in runs if n.startswith("teacher-")]
table(teachers, "Teacher")
full = [n for n in runs if n.startswith("full-")]
table(full, "Full schedule, one store")
abl = sorted((n for n in runs if n.startswith("kablation-")), key=lambda n: int(n.split("-k")[-1]))
table(abl, "K ablation (shorter common budget)")
from datetime import datetime


def session_seconds(inspect):
    f = "%Y-%m-%dT%H:%M:%SZ"
    return sum((datetime.strptime(x["endedAt"], f) - datetime.strptime(x["startedAt"], f)).total_seconds()
               for x in inspect.get("sessions", []) if x.get("endedAt"))


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

if "--curves" in sys.argv:
    out = sys.argv[sys.argv.index("--curves") + 1]
    pairs = [f"{n}={os.path.join(ROOT, 'results', 'runs', n + '.json')}" for n in teachers + full]
    if pairs:
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "plot_curves.py"), out, *pairs], check=True)
