#!/usr/bin/python3
"""Writes the JPEG fixtures of the region-decoding test (run from this folder; Debian's python3-pil):
one 203x157 image (sizes that are no multiple of an MCU) with detail at every scale, saved as baseline
4:2:0, 4:2:2 and 4:4:4, progressive 4:2:0 and 4:4:4, baseline and progressive gray."""
import numpy as np
from PIL import Image

rng = np.random.default_rng(5)
h, w = 157, 203
y, x = np.mgrid[0:h, 0:w]
rgb = np.stack([(x * 255 // w), (y * 255 // h), ((x * y) % 251)], -1).astype(np.float64)
rgb += rng.normal(0, 24, rgb.shape)
rgb[40:90, 60:140] = [250, 20, 30]  # a hard-edged block for chroma edges
img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
for name, kw in [("420", dict(subsampling=2)), ("422", dict(subsampling=1)), ("444", dict(subsampling=0)),
                 ("420-progressive", dict(subsampling=2, progressive=True)),
                 ("444-progressive", dict(subsampling=0, progressive=True))]:
    img.save(f"region-{name}.jpg", quality=90, **kw)
img.convert("L").save("region-gray.jpg", quality=90)
img.convert("L").save("region-gray-progressive.jpg", quality=90, progressive=True)
