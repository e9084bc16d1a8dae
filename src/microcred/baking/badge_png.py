"""A default PNG badge for issuers without artwork: the default SVG badge's rosette, disc and star,
rasterised in pure Python (no imaging library), so a wallet that imports baked PNGs only (the Learner
Credential Wallet) gets one. The title is not drawn (text needs a font renderer); the baked credential
carries it, and the image's ``tEXt`` ``Title`` chunk names it.
"""

from __future__ import annotations

import hashlib
import math
import struct
import zlib
from functools import lru_cache
from typing import Any

from ..errors import DefinitionError
from .badge import _BAD_CHARS, _COLOR, PALETTE, _luminance, _parse_color, _payload, _text

_SIZE = 256


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _coverage(distance: float) -> float:
    """Anti-aliased coverage of a pixel whose centre is ``distance`` px inside an edge (negative: outside)."""
    return 0.0 if distance <= -0.5 else 1.0 if distance >= 0.5 else distance + 0.5


def _star_radius(angle: float, outer: float, inner: float) -> float:
    """The radius of a five-pointed star's edge in direction ``angle`` (0 = up, clockwise)."""
    sector = math.pi / 5
    a = angle % (2 * sector)
    # the edge runs from the tip (outer, angle 0) to the notch (inner, angle sector) of this half-sector
    if a > sector:
        a = 2 * sector - a
    x1, y1 = 0.0, outer
    x2, y2 = inner * math.sin(sector), inner * math.cos(sector)
    dx, dy = math.sin(a), math.cos(a)
    ex, ey = x2 - x1, y2 - y1
    denom = dx * ey - dy * ex
    t = (x1 * ey - y1 * ex) / denom if denom else outer
    return t


def _blend(base: tuple[float, ...], top: tuple[float, ...], alpha: float) -> tuple[float, ...]:
    return tuple(b + (t - b) * alpha for b, t in zip(base, top, strict=True))


@lru_cache(maxsize=32)
def _render(color: str, title: str) -> bytes:
    rgb = _parse_color(color)
    ink: tuple[float, ...] = (27.0, 27.0, 27.0) if _luminance(rgb) > 0.45 else (255.0, 255.0, 255.0)
    rim = tuple(c * 0.62 for c in rgb)
    top = tuple(c + (255 - c) * 0.18 for c in rgb)
    bottom = tuple(c * 0.78 for c in rgb)
    scale = _SIZE / 512
    cx = cy = _SIZE / 2
    rows = bytearray()
    for y in range(_SIZE):
        rows.append(0)  # filter: none
        py = y + 0.5
        shade = _blend(top, bottom, (py - 34 * scale) / (444 * scale))
        for x in range(_SIZE):
            px = x + 0.5
            dx, dy = px - cx, py - cy
            r = math.hypot(dx, dy)
            angle = math.atan2(dx, -dy)
            rosette = (233 + 17 * (0.5 + 0.5 * math.cos(18 * angle))) * scale
            alpha = _coverage(rosette - r)
            if alpha == 0.0:
                rows += b"\x00\x00\x00\x00"
                continue
            pixel: tuple[float, ...] = rim
            pixel = _blend(pixel, shade, _coverage(222 * scale - r))
            ring = 1.5 - abs(r - 204 * scale) / scale
            pixel = _blend(pixel, ink, 0.5 * _coverage(ring * scale))
            sx, sy = px - cx, py - 112 * scale
            sr = math.hypot(sx, sy)
            if sr < 27 * scale:
                edge = _star_radius(math.atan2(sx, -sy), 26 * scale, 11 * scale)
                pixel = _blend(pixel, ink, 0.92 * _coverage(edge - sr))
            big = _star_radius(math.atan2(dx, -dy + 8 * scale), 120 * scale, 50 * scale)
            pixel = _blend(pixel, ink, 0.22 * _coverage(big - math.hypot(dx, dy - 8 * scale)))
            rows += bytes(round(c) for c in pixel) + bytes([round(alpha * 255)])
    header = struct.pack(">IIBBBBB", _SIZE, _SIZE, 8, 6, 0, 0, 0)
    text = b"Title\x00" + title.encode("latin-1", errors="replace")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"tEXt", text)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


def default_badge_png(title: str, *, color: str | None = None) -> bytes:
    """A 256×256 RGBA PNG badge for ``title``; ``color`` as for :func:`.badge.default_badge_svg`."""
    if not isinstance(title, str) or not _BAD_CHARS.sub("", title).strip():
        raise DefinitionError("a badge needs a non-empty title", path="title")
    clean = " ".join(_BAD_CHARS.sub("", title).split())[:200]
    if color is None:
        digest = hashlib.sha256(clean.encode("utf-8")).digest()
        base = PALETTE[digest[0] % len(PALETTE)]
    elif isinstance(color, str) and _COLOR.fullmatch(color):
        base = color.lower()
    else:
        raise DefinitionError(f"color must be #rgb or #rrggbb, not {color!r}", path="color")
    return _render(base, clean)


def default_badge_png_for_credential(credential: dict[str, Any] | str, *, color: str | None = None) -> bytes:
    """:func:`default_badge_png` for a credential (a JSON object or a compact JWT, read unverified)."""
    doc = _payload(credential) if isinstance(credential, str) else credential
    subject = doc.get("credentialSubject") if isinstance(doc, dict) else None
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    name = achievement.get("name") if isinstance(achievement, dict) else None
    fallback = doc.get("name") if isinstance(doc, dict) else None
    return default_badge_png(_text(name) or _text(fallback) or "Open Badge", color=color)
