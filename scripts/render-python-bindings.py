#!/usr/bin/python3
"""Renders results/python-bindings.json (Benchmarks/scripts/python-bindings.sh) as the markdown table in
docs/python.md: medians over rounds with their range, and each Python path against its CLI anchor.
Usage: scripts/render-python-bindings.py results/python-bindings.json"""
import json
import statistics
import sys

data = json.load(open(sys.argv[1]))
rounds = data["rounds"]


def of(kind, key):
    return [r[key] for r in rounds if r["kind"] == kind]


def rate(kind):
    return of(kind, "images_per_s") if kind in ("stream", "python-loader", "python-loader-torch", "python-forward", "python-forward-frozen") else \
        of(kind, "recordsPerSecond" if kind == "precompute" else "records_per_s")


def ratios(kind, anchor):  # per round, this kind against the anchor of the same round
    a = {r["round"]: r for r in rounds if r["kind"] == anchor}
    out = []
    for r in rounds:
        if r["kind"] == kind:
            x = rate_of(r)
            # The plain forward loop is held to the CLI's teacher alone (its images/s inside precompute).
            base = a[r["round"]]["teacherImagesPerSecond"] if kind.startswith("python-forward") else rate_of(a[r["round"]])
            out.append(x / base)
    return out


def rate_of(r):
    for key in ("images_per_s", "records_per_s", "recordsPerSecond"):
        if key in r:
            return r[key]


rows = [("loader", "stream", "`tinydistill stream --format none`", None),
        ("loader", "python-loader", "`tinydistill.Loader` (numpy views)", "stream"),
        ("loader", "python-loader-torch", "`tinydistill.Loader` + `.torch()`", "stream"),
        ("teacher stage", "precompute", "`tinydistill precompute` (libtorch in Swift)", None),
        ("teacher stage", "python-stage", "`TeacherStage` + the same TorchScript in PyTorch", "precompute"),
        ("teacher stage", "python-stage-eager", "`TeacherStage` + the same network as an eager `nn.Module`", "precompute"),
        ("teacher stage", "python-stage-frozen", "`TeacherStage` + the same TorchScript, `torch.jit.freeze`d", "precompute"),
        ("teacher alone", "python-forward", "a plain loop of the TorchScript file's forward in PyTorch (against precompute's teacher time)", "precompute"),
        ("teacher alone", "python-forward-frozen", "the same loop, `torch.jit.freeze`d", "precompute")]
rows = [r for r in rows if of(r[1], "round")]
n = len(of("stream", "round"))
torch = f"; PyTorch {data['torch']} ({data['package']})" if "torch" in data else ""
print(f"Commit {data['commit']}, {n} alternating rounds (`{data['command']}`); "
      f"teacher {data['teacher_parameters']:,} parameters{torch}.\n")
print("| stage | path | per second (median, range) | against the CLI (median, range) | outside the teacher, s (median) | peak RSS MB (median) |")
print("|---|---|---|---|---|---|")
for stage, kind, label, anchor in rows:
    r = rate(kind)
    rss = statistics.median(of(kind, "max_rss_kb")) / 1024
    against = "anchor"
    if anchor:
        q = ratios(kind, anchor)
        against = f"{statistics.median(q):.3f}x ({min(q):.3f}–{max(q):.3f})"
    outside = "–"
    if kind == "precompute":
        outside = f"{statistics.median([x['seconds'] - x['teacherSeconds'] for x in rounds if x['kind'] == kind]):.2f}"
    elif kind.startswith("python-stage"):
        outside = f"{statistics.median([x['seconds'] - x['teacher_s'] for x in rounds if x['kind'] == kind]):.2f}"
    print(f"| {stage} | {label} | {statistics.median(r):,.0f} ({min(r):,.0f}–{max(r):,.0f}) | {against} | {outside} | {rss:,.0f} |")
