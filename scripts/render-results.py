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
for n in (x for x in runs if x.startswith("precompute-")):
    r = runs[n]
    s, i = r["summary"], r["inspect"]
    print(f"\n`{n}`: {s['recordsWritten']:,} records in {s['seconds']:.0f} s ({s['recordsPerSecond']:.0f} records/s), "
          f"{r['store_bytes'] / max(1, s['recordsWritten'] + s['recordsSkipped']):.2f} file bytes/record.")

if "--curves" in sys.argv:
    out = sys.argv[sys.argv.index("--curves") + 1]
    pairs = [f"{n}={os.path.join(ROOT, 'results', 'runs', n + '.json')}" for n in teachers + full]
    if pairs:
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "plot_curves.py"), out, *pairs], check=True)
