#!/usr/bin/python3
"""Reference outputs of Pillow (Debian bookworm's python3-pil) for PixelOpsParityTests: each
operation timm's RandAugment and torchvision's RandomResizedCrop apply, run by Pillow on a fixed
source image. Run from this folder with Debian's python3 (apt-get install python3-pil); it writes
raw uint8 files and manifest.json. The Swift tests never run Python: they read these files."""
import json
import random

from PIL import Image, ImageEnhance, ImageOps

W, H = 61, 47
rng = random.Random(20261129)
# A source with smooth regions, edges and noise.
src = bytearray()
for y in range(H):
    for x in range(W):
        base = (3 * x + 2 * y) % 256
        for c in range(3):
            v = base + 40 * c + (60 if (x // 8 + y // 8) % 2 else 0) + rng.randint(-12, 12)
            src.append(max(0, min(255, v)))
rgb = Image.frombytes("RGB", (W, H), bytes(src))
gray = rgb.convert("L")
open("src-rgb.raw", "wb").write(rgb.tobytes())
open("src-gray.raw", "wb").write(gray.tobytes())

FILL = (124, 116, 104)
BIC, BIL = Image.BICUBIC, Image.BILINEAR
manifest = []


def emit(name, mode, img, op, arg=0.0, interpolation="bicubic", extra=None):
    fname = f"{name}-{mode}.raw"
    open(fname, "wb").write(img.tobytes())
    entry = {"name": name, "channels": 3 if mode == "rgb" else 1, "op": op, "arg": arg,
             "interpolation": interpolation, "width": img.size[0], "height": img.size[1], "file": fname}
    if extra:
        entry.update(extra)
    manifest.append(entry)


for mode, im in (("rgb", rgb), ("gray", gray)):
    fill = FILL if mode == "rgb" else FILL[0]
    # Crop then resize, as torchvision's resized_crop does on PIL images.
    for name, box, size, interp, filt in (
        ("resize-down-bicubic", (5, 3, 50, 40), (32, 32), "bicubic", BIC),
        ("resize-down-bilinear", (5, 3, 50, 40), (32, 32), "bilinear", BIL),
        ("resize-up-bicubic", (10, 10, 30, 25), (32, 32), "bicubic", BIC),
        ("resize-wide-bicubic", (0, 0, 61, 47), (24, 40), "bicubic", BIC),
    ):
        emit(name, mode, im.crop(box).resize(size, filt), "resize", 0.0, interp,
             {"box": list(box), "out": list(size)})
    emit("autocontrast", mode, ImageOps.autocontrast(im), "AutoContrast")
    emit("equalize", mode, ImageOps.equalize(im), "Equalize")
    emit("invert", mode, ImageOps.invert(im), "Invert")
    for bits in (1, 3):
        emit(f"posterize{bits}", mode, ImageOps.posterize(im, bits), "PosterizeIncreasing", bits)
    for t in (26, 128):
        emit(f"solarize{t}", mode, ImageOps.solarize(im, t), "SolarizeIncreasing", t)
    lut = [min(255, i + 99) if i < 128 else i for i in range(256)]
    emit("solarizeadd99", mode, im.point(lut * (3 if mode == "rgb" else 1)), "SolarizeAdd", 99)
    for op, cls in (("ColorIncreasing", ImageEnhance.Color), ("ContrastIncreasing", ImageEnhance.Contrast),
                    ("BrightnessIncreasing", ImageEnhance.Brightness), ("SharpnessIncreasing", ImageEnhance.Sharpness)):
        for f in (0.19, 0.55, 1.81):
            emit(f"{op}-{f}", mode, cls(im).enhance(f), op, f)
    for deg, filt, interp in ((27.0, BIC, "bicubic"), (-13.5, BIC, "bicubic"), (8.1, BIL, "bilinear")):
        emit(f"rotate{deg}-{interp}", mode, im.rotate(deg, resample=filt, fillcolor=fill), "Rotate", deg, interp)
    for f in (0.27, -0.2):
        emit(f"shearx{f}", mode, im.transform(im.size, Image.AFFINE, (1, f, 0, 0, 1, 0), resample=BIC, fillcolor=fill), "ShearX", f)
        emit(f"sheary{f}", mode, im.transform(im.size, Image.AFFINE, (1, 0, 0, f, 1, 0), resample=BIC, fillcolor=fill), "ShearY", f)
    for pct in (0.3, -0.1):
        px = pct * im.size[0]
        emit(f"translatex{pct}", mode, im.transform(im.size, Image.AFFINE, (1, 0, px, 0, 1, 0), resample=BIC, fillcolor=fill), "TranslateXRel", pct)
        py = pct * im.size[1]
        emit(f"translatey{pct}", mode, im.transform(im.size, Image.AFFINE, (1, 0, 0, 0, 1, py), resample=BIC, fillcolor=fill), "TranslateYRel", pct)

json.dump({"pillow": Image.__version__, "width": W, "height": H, "cases": manifest}, open("manifest.json", "w"), indent=1)
print(len(manifest), "cases")
