#!/usr/bin/env python3
"""Folds Benchmarks/scripts/loader-limit.sh's raw JSON lines (one per run and round) into
results/loader-limit.json: per run the median, min and max images/s and peak RSS, and the ratios the
issue's goals are about, each a ratio of medians from the same rounds.

    scripts/render-loader-limit.py RAW.jsonl WORK N ROUNDS > results/loader-limit.json
    scripts/render-loader-limit.py --markdown results/loader-limit.json   (the table in docs/)
"""
import json
import os
import platform
import statistics
import subprocess
import sys


def markdown(path):
    d = json.load(open(path))
    runs = d["runs"]
    print(f"{d['images']} JPEGs of 500×375 (q90), {d['rounds']} alternating rounds, 2 threads each, batch 128; "
          f"stores hold K = 100 of C = 21,841. `{d['command']}`\n")
    print("| run | images/s (median) | range | peak RSS MB |")
    print("|---|---:|---:|---:|")
    for label, r in runs.items():
        print(f"| {label} | {r['images_per_s']['median']:.0f} | {r['images_per_s']['min']:.0f}–{r['images_per_s']['max']:.0f} "
              f"| {r['peak_rss_mb']:.0f} |")
    print("\n| ratio (medians) | value | goal |")
    print("|---|---:|---|")
    for name, r in d["ratios"].items():
        print(f"| {name} | {r['value']:.2f}x | {r['goal']} |")
    if d.get("packs"):
        print("\n| pack | bytes | images/s packing |")
        print("|---|---:|---:|")
        for side, p in d["packs"].items():
            print(f"| max-side {side} | {p['bytes']:,} | {p['written'] / p['seconds']:.0f} |")


def main():
    if sys.argv[1] == "--markdown":
        return markdown(sys.argv[2])
    raw, work, n, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    lines = [json.loads(l) for l in open(raw) if l.strip()]
    runs = {}
    for label in dict.fromkeys(l["label"] for l in lines):
        rs = [l for l in lines if l["label"] == label]
        ips = [l["images_per_s"] for l in rs]
        runs[label] = {"images_per_s": {"median": statistics.median(ips), "min": min(ips), "max": max(ips), "all": ips},
                       "peak_rss_mb": max(l["peak_rss_mb"] for l in rs), "rounds": len(rs),
                       "extra": {k: v for k, v in rs[-1].items() if k not in ("images_per_s", "label", "round", "peak_rss_mb")}}

    def med(label):
        return runs[label]["images_per_s"]["median"] if label in runs else None

    def ratio(a, b, goal):
        return {"value": med(a) / med(b), "a": a, "b": b, "goal": goal} if med(a) and med(b) else None

    ratios = {
        "stream (full policy, JPEGs) / decode-only limit": ratio("stream-jpegs-full", "decode-only", "≥ 0.8"),
        "stream (RRC+flip, JPEGs) / decode-only limit": ratio("stream-jpegs-rrc", "decode-only", ""),
        "stream (full policy, JPEGs) / PyTorch + timm": ratio("stream-jpegs-full", "pytorch-timm", "≥ 2.5"),
        "stream (RRC+flip, JPEGs) / FFCV (original sizes)": ratio("stream-jpegs-rrc", "ffcv-original", "≥ 1"),
        "stream (RRC+flip, 256-px pack) / FFCV (256 px)": ratio("stream-p256-rrc", "ffcv-256", "≥ 1"),
        "stream (full policy, 256-px pack) / stream (full policy, JPEGs)": ratio("stream-p256-full", "stream-jpegs-full", ""),
    }
    packs = {}
    for side in (256, 320):
        p = os.path.join(work, f"pack{side}.json")
        if os.path.exists(p) and os.path.getsize(p):
            packs[str(side)] = json.load(open(p))
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(json.dumps({"command": f"Benchmarks/scripts/loader-limit.sh {n} {rounds}", "commit": commit, "images": n,
                      "rounds": rounds, "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
                      "runs": runs, "ratios": {k: v for k, v in ratios.items() if v}, "packs": packs}, indent=1, sort_keys=False))


main()
