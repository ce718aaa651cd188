#!/usr/bin/python3
"""Writes an ImageFolder of photo-like JPEGs for benchmarks (Debian's python3-pil):
    Benchmarks/scripts/make-jpeg-folder.py OUT_DIR [count] [width] [height]
Smooth gradients + shapes + noise at quality 90, like natural photos in entropy; 4 classes."""
import os
import random
import sys

from PIL import Image, ImageDraw, ImageFilter

out = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 256
w = int(sys.argv[3]) if len(sys.argv) > 3 else 500
h = int(sys.argv[4]) if len(sys.argv) > 4 else 375
rng = random.Random(7)
for i in range(count):
    cls = f"c{i % 4}"
    os.makedirs(os.path.join(out, cls), exist_ok=True)
    img = Image.new("RGB", (w, h), tuple(rng.randrange(256) for _ in range(3)))
    d = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        d.ellipse([x0, y0, x0 + rng.randrange(20, 200), y0 + rng.randrange(20, 200)], fill=tuple(rng.randrange(256) for _ in range(3)))
    img = img.filter(ImageFilter.GaussianBlur(2))
    noise = Image.effect_noise((w, h), 24).convert("RGB")
    img = Image.blend(img, noise, 0.25)
    img.save(os.path.join(out, cls, f"{i:05d}.jpg"), quality=90)
print(f"wrote {count} JPEGs of {w}x{h} to {out}")
