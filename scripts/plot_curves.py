#!/usr/bin/python3
"""Draws accuracy and loss curves per epoch from `tinydistill train` logs (log.json) into one PNG.

    scripts/plot_curves.py OUT.png NAME=RUN_DIR [NAME=RUN_DIR ...]

RUN_DIR may also be a result file of scripts/record-run (results/runs/NAME.json), which holds the log's
epochs.

Left panel: eval top-1 (%) per epoch; right panel: mean training loss per epoch. Needs python3-pil.
"""
import json
import os
import sys

from PIL import Image, ImageDraw

COLORS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14), (140, 86, 75),
          (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
W, H, PAD = 520, 360, 48


def panel(draw, ox, title, series, fmt, legend_low):
    """One panel; the legend sits in the lower right (legend_low: rising curves) or the upper right."""
    draw.rectangle([ox, 0, ox + W - 1, H - 1], fill=(255, 255, 255))
    draw.text((ox + PAD, 10), title, fill=(0, 0, 0))
    points = [v for _, ys in series for v in ys if v is not None]
    if not points:
        return
    lo, hi = min(points), max(points)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    lo, hi = lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)
    n = max(len(ys) for _, ys in series)
    x0, x1, y0, y1 = ox + PAD, ox + W - 16, H - PAD, 32
    draw.line([x0, y0, x1, y0], fill=(0, 0, 0))
    draw.line([x0, y0, x0, y1], fill=(0, 0, 0))
    for t in range(5):
        v = lo + (hi - lo) * t / 4
        y = y0 + (y1 - y0) * t / 4
        draw.line([x0 - 4, y, x0, y], fill=(0, 0, 0))
        draw.text((ox + 4, y - 6), fmt(v), fill=(0, 0, 0))
    for e in range(n):
        x = x0 + (x1 - x0) * (e / max(n - 1, 1))
        draw.text((x - 3, y0 + 6), str(e), fill=(0, 0, 0))
    draw.text(((x0 + x1) // 2 - 15, H - 18), "epoch", fill=(0, 0, 0))
    for i, (name, ys) in enumerate(series):
        color = COLORS[i % len(COLORS)]
        pts = [(x0 + (x1 - x0) * (e / max(n - 1, 1)), y0 + (y1 - y0) * (v - lo) / (hi - lo)) for e, v in enumerate(ys) if v is not None]
        if len(pts) > 1:
            draw.line(pts, fill=color, width=2)
        for x, y in pts:
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=color)
    # The legend last, on a white box, so no curve runs through it.
    width = max(draw.textlength(name) for name, _ in series) + 12
    top = y0 - 14 * len(series) - 12 if legend_low else y1 + 4
    left = x1 - width - 4
    draw.rectangle([left, top, x1 - 2, top + 14 * len(series) + 6], fill=(255, 255, 255), outline=(160, 160, 160))
    for i, (name, _) in enumerate(series):
        draw.text((left + 6, top + 4 + 14 * i), name, fill=COLORS[i % len(COLORS)])


def main():
    out = sys.argv[1]
    runs = [a.split("=", 1) for a in sys.argv[2:]]
    acc, loss = [], []
    for name, path in runs:
        p = path if path.endswith(".json") else os.path.join(path, "log.json")
        if not os.path.exists(p):
            continue
        epochs = json.load(open(p))["epochs"]
        acc.append((name, [100 * e["eval_top1"] if e.get("eval_top1") is not None else None for e in epochs]))
        loss.append((name, [e["train_loss"] for e in epochs]))
    img = Image.new("RGB", (2 * W, H), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    panel(draw, 0, "eval top-1 (%)", acc, lambda v: f"{v:.1f}", legend_low=True)
    panel(draw, W, "training loss (KD runs: soft-target CE; labels-only: smoothed CE)", loss, lambda v: f"{v:.2f}", legend_low=False)
    img.save(out)
    print(f"curves: {out}")


if __name__ == "__main__":
    main()
