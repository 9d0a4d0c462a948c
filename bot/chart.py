"""A small PNG bar chart, drawn by hand (zlib and struct): questions per day, answered (green) under
not answered (grey). No text in the picture — the message beside it carries the figures — so no font
and no plotting library is needed for one chart."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

WIDTH, HEIGHT, MARGIN = 640, 320, 16
BACKGROUND, ANSWERED, UNANSWERED, AXIS = (255, 255, 255), (46, 160, 67), (175, 175, 175), (60, 60, 60)


def bars_png(days: Sequence[tuple[int, int]]) -> bytes:
    """A PNG of one stacked bar per day: (answered, not answered), oldest first."""
    pixels = [[BACKGROUND] * WIDTH for _ in range(HEIGHT)]
    top = max((a + u for a, u in days), default=0) or 1
    usable_h, usable_w = HEIGHT - 2 * MARGIN, WIDTH - 2 * MARGIN
    slot = usable_w / max(len(days), 1)
    bar = max(1, int(slot * 0.7))
    for i, (answered, unanswered) in enumerate(days):
        x0 = MARGIN + int(i * slot + (slot - bar) / 2)
        h_answered = round(usable_h * answered / top)
        h_unanswered = round(usable_h * unanswered / top)
        base = HEIGHT - MARGIN
        for y in range(base - h_answered, base):
            pixels[y][x0 : x0 + bar] = [ANSWERED] * bar
        for y in range(base - h_answered - h_unanswered, base - h_answered):
            pixels[y][x0 : x0 + bar] = [UNANSWERED] * bar
    pixels[HEIGHT - MARGIN] = [AXIS] * WIDTH  # the baseline
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
