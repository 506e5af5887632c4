#!/usr/bin/env python3
"""Draws Handover's icons (an NHS-blue rounded tile with a white "H" and a handover arrow)
as RGBA PNGs, with only the standard library. Run from the repository root."""
import struct, zlib, os

BLUE = (0, 94, 184, 255)     # NHS blue #005eb8
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)

def pixel(x, y, n):
    u, v = x / n, y / n
    r = 0.18  # corner radius, as a fraction
    cx = min(max(u, r), 1 - r); cy = min(max(v, r), 1 - r)
    if (u - cx) ** 2 + (v - cy) ** 2 > r * r:
        return CLEAR
    # the H
    if 0.22 <= v <= 0.62 and (0.24 <= u <= 0.34 or 0.56 <= u <= 0.66): return WHITE
    if 0.38 <= v <= 0.46 and 0.24 <= u <= 0.66: return WHITE
    # the arrow underneath: a bar and a head pointing right
    if 0.72 <= v <= 0.78 and 0.24 <= u <= 0.68: return WHITE
    if 0.64 <= v <= 0.86 and 0.66 <= u <= 0.80 and abs(v - 0.75) <= (0.80 - u) * 0.8: return WHITE
    return BLUE

def png(n, path):
    rows = b"".join(b"\0" + b"".join(bytes(pixel(x + 0.5, y + 0.5, n)) for x in range(n)) for y in range(n))
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", n, n, 8, 6, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f: f.write(data)

os.makedirs("src-tauri/icons", exist_ok=True)
for n, name in [(32, "32x32.png"), (128, "128x128.png"), (256, "128x128@2x.png"), (512, "icon.png")]:
    png(n, f"src-tauri/icons/{name}")
png(256, "assets/icon.png")
