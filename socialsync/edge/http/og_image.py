"""The default image of an unfurled invite link (Open Graph ``og:image``) when the party's
media has no poster: 1200 x 630 (the size messengers show large), a play button on the
demo page's dark background. Drawn here, row by row, into a PNG once per process, so the
server ships it without a build step or a binary file."""

from __future__ import annotations

import functools
import math
import struct
import zlib

WIDTH, HEIGHT = 1200, 630
_BACKGROUND = bytes((0x14, 0x18, 0x21))
_ACCENT = bytes((0x4F, 0x8C, 0xFF))
_WHITE = bytes((0xFF, 0xFF, 0xFF))
_CENTRE_X, _CENTRE_Y, _RADIUS = WIDTH // 2, HEIGHT // 2, 160
# The play triangle: its left edge at _LEFT, from _TOP to _BOTTOM, its tip at _TIP.
_LEFT, _TIP, _HALF = _CENTRE_X - 55, _CENTRE_X + 85, 85


def _row(y: int) -> bytes:
    """One row of pixels: background, the disc, the triangle inside it."""
    spans: list[tuple[int, int, bytes]] = []
    dy = y - _CENTRE_Y
    if abs(dy) <= _RADIUS:
        dx = int(math.sqrt(_RADIUS * _RADIUS - dy * dy))
        spans.append((_CENTRE_X - dx, _CENTRE_X + dx, _ACCENT))
    if abs(dy) <= _HALF:
        tip = _TIP - (_TIP - _LEFT) * abs(dy) // _HALF
        spans.append((_LEFT, tip, _WHITE))
    pixels = bytearray(_BACKGROUND * WIDTH)
    for start, end, colour in spans:
        pixels[start * 3 : end * 3] = colour * (end - start)
    return b"\x00" + bytes(pixels)  # filter type 0 (none)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def default_image() -> bytes:
    """The PNG's bytes (the same every time)."""
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)  # 8-bit RGB
    raw = b"".join(_row(y) for y in range(HEIGHT))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )
