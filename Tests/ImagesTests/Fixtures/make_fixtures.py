#!/usr/bin/env python3
"""Writes the small PNG fixtures of ImagesTests with nothing but zlib and struct (no imaging
library), so the expected pixel values are known exactly: run from this folder."""
import struct
import zlib


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width, height, bit_depth, color_type, rows, extra=b""):
    raw = b"".join(b"\x00" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


W, H = 5, 3
# 16-bit RGB: sample (x, y, c) = 4096*x + 256*y + 17*c + 3; the decoder keeps the high byte.
rows = []
for y in range(H):
    rows.append(b"".join(struct.pack(">HHH", *(4096 * x + 256 * y + 17 * c + 3 for c in range(3))) for x in range(W)))
open("rgb16.png", "wb").write(png(W, H, 16, 2, rows))
# 8-bit RGBA: RGB = (10x, 20y, 30), alpha varies; the decoder drops alpha.
rows = [bytes(v for x in range(W) for v in (10 * x, 20 * y, 30, 50 * x)) for y in range(H)]
open("rgba8.png", "wb").write(png(W, H, 8, 6, rows))
# Palette, 2 bits per pixel: index (x + y) % 4 into four colours.
palette = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9])
rows = []
for y in range(H):
    bits = 0
    out = bytearray()
    idx = [(x + y) % 4 for x in range(W)] + [0, 0, 0]
    for i in range(0, W + 3, 4):
        out.append(idx[i] << 6 | idx[i + 1] << 4 | idx[i + 2] << 2 | idx[i + 3])
    rows.append(bytes(out[: (W * 2 + 7) // 8]))
open("palette2.png", "wb").write(png(W, H, 2, 3, rows, chunk(b"PLTE", palette)))
# 16-bit gray + alpha: gray high byte = 40x + y.
rows = [b"".join(struct.pack(">HH", (40 * x + y) << 8 | 0xAB, 0xFFFF) for x in range(W)) for y in range(H)]
open("gray16alpha.png", "wb").write(png(W, H, 16, 4, rows))
