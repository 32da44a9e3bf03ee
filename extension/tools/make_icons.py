"""Draw icons/icon{16,32,48,128}.png: a page of text with one line highlighted.

Pure Python (zlib + struct), supersampled for smooth edges; rerun after changing the drawing.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

BG = (30, 58, 138)        # deep blue tile
PAPER = (255, 255, 255)
INK = (148, 163, 184)     # grey lines of text
MARK = (250, 204, 21)     # the highlighted clause
MARK_INK = (185, 28, 28)


def rounded(x, y, x0, y0, x1, y1, r):
    """Is (x, y) inside the rounded rectangle?"""
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def colour_at(u, v):
    """The colour (or None) at unit coordinates u, v in [0, 1)."""
    if not rounded(u, v, 0.0, 0.0, 1.0, 1.0, 0.22):
        return None
    colour = BG
    if rounded(u, v, 0.2, 0.14, 0.8, 0.86, 0.06):
        colour = PAPER
        lines = [(0.26, 0.70), (0.40, 0.72), (0.54, 0.72), (0.68, 0.56)]
        for i, (y, x1) in enumerate(lines):
            if i == 2 and rounded(u, v, 0.24, y - 0.075, 0.76, y + 0.075, 0.03):
                colour = MARK
            if rounded(u, v, 0.3, y - 0.03, x1, y + 0.03, 0.03):
                colour = MARK_INK if i == 2 else INK
    return colour


def render(size, ss=4):
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    c = colour_at((x + (sx + 0.5) / ss) / size, (y + (sy + 0.5) / ss) / size)
                    if c:
                        acc[0] += c[0]; acc[1] += c[1]; acc[2] += c[2]; acc[3] += 255
            n = acc[3] // 255
            row += bytes([acc[0] // n, acc[1] // n, acc[2] // n] if n else [0, 0, 0]) + bytes([acc[3] // (ss * ss)])
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(w, h, raw):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "icons"
    out.mkdir(exist_ok=True)
    for size in (16, 32, 48, 128):
        (out / f"icon{size}.png").write_bytes(render(size))
        print(out / f"icon{size}.png")
