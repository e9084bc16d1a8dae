"""A clean default badge image (SVG) for achievements without one, so every learner has something to show.

The badge is a scalloped rosette with a gradient disc, a star, the wrapped title, an optional subtitle above
it and the issuer's name below. Text is XML-escaped; lines are wrapped by estimated glyph widths (CJK and
emoji count as wide, combining marks as nothing, and no grapheme cluster is split); a title too long for
the disc ends in an ellipsis. A line whose first strong character is right-to-left gets ``direction="rtl"``.
Fonts come from the viewer's system (``sans-serif`` last), so any script the viewer can show is shown.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
import unicodedata
from typing import Any

from .. import _json
from ..errors import DefinitionError

#: Colours picked (by a hash of the title) when none is given: deep, calm, white text reads well on all.
PALETTE = ("#1f4e8c", "#0f766e", "#6d28d9", "#b45309", "#be123c", "#166534", "#334155", "#9d174d")
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Helvetica Neue', Arial, sans-serif"
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
# Characters XML 1.0 does not allow, and other controls that should never reach a picture.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_TITLE_WIDTH = 320.0  # px available for the title lines
_TITLE_BAND = 150.0  # px of height for the title block
_SIZES = (46, 40, 34, 30, 27)  # title font sizes tried, largest first
_ELLIPSIS = "…"
_MAX_TEXT = 1000  # characters kept of any text (the <title> element holds the title up to this)
_MAX_LAYOUT = 400  # characters of the title laid out: far more than four lines can show


def default_badge_svg(
    title: str,
    *,
    issuer_name: str | None = None,
    subtitle: str | None = None,
    color: str | None = None,
) -> str:
    """Return a 512×512 SVG badge showing ``title`` (and ``issuer_name``, ``subtitle`` when given).

    ``color`` is ``#rgb`` or ``#rrggbb``; without it a colour is chosen from the title (stable per title).
    """
    clean_title = _clean(title, "title")[:_MAX_TEXT]
    if not clean_title:
        raise DefinitionError("a badge needs a non-empty title", path="title")
    issuer = _clean(issuer_name, "issuer_name")[:_MAX_TEXT] if issuer_name is not None else ""
    sub = _clean(subtitle, "subtitle")[:_MAX_TEXT] if subtitle is not None else ""
    if color is None:
        digest = hashlib.sha256(clean_title.encode("utf-8")).digest()
        base = PALETTE[digest[0] % len(PALETTE)]
    elif isinstance(color, str) and _COLOR.fullmatch(color):
        base = color.lower()
    else:
        raise DefinitionError(f"color must be #rgb or #rrggbb, not {color!r}", path="color")
    rgb = _parse_color(base)
    light_bg = _luminance(rgb) > 0.45
    ink = "#1b1b1b" if light_bg else "#ffffff"
    uid = "mc" + hashlib.sha256(f"{clean_title}\0{issuer}\0{sub}\0{base}".encode()).hexdigest()[:10]

    size, lines = _fit_title(clean_title[:_MAX_LAYOUT])
    line_height = size * 1.18
    top = 268 - (len(lines) - 1) * line_height / 2 + size * 0.36
    title_tspans = "".join(
        f'<text x="256" y="{top + i * line_height:.1f}"{_dir(line)}>{_esc(line)}</text>'
        for i, line in enumerate(lines)
    )
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512" '
        f'role="img" aria-labelledby="{uid}-t">',
        f'<title id="{uid}-t">{_esc(clean_title + (" — " + issuer if issuer else ""))}</title>',
        "<defs>",
        f'<linearGradient id="{uid}-g" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{_mix(rgb, 1.0, 0.18)}"/>'
        f'<stop offset="1" stop-color="{_mix(rgb, 0.0, 0.22)}"/></linearGradient>',
        "</defs>",
        f'<polygon points="{_rosette(256, 256, 250, 233, 18)}" fill="{_mix(rgb, 0.0, 0.38)}"/>',
        f'<circle cx="256" cy="256" r="222" fill="url(#{uid}-g)"/>',
        f'<circle cx="256" cy="256" r="204" fill="none" stroke="{ink}" stroke-opacity="0.5" '
        'stroke-width="3"/>',
        f'<circle cx="256" cy="256" r="196" fill="none" stroke="{ink}" stroke-opacity="0.18" '
        'stroke-width="1.5"/>',
        f'<polygon points="{_star(256, 112, 26, 11)}" fill="{ink}" fill-opacity="0.92"/>',
        f'<g fill="{ink}" font-family="{_FONT}" text-anchor="middle">',
    ]
    if sub:
        # Capitals and letter-spacing suit Latin script; spacing would break joined scripts (Arabic).
        spaced = sub.isascii()
        sub_line = _truncate(sub.upper() if spaced else sub, (200.0 if spaced else 250.0) / 15.0)
        spacing = ' letter-spacing="2.5"' if spaced else ""
        parts.append(
            f'<text x="256" y="176" font-size="15" font-weight="600"{spacing} '
            f'fill-opacity="0.85"{_dir(sub_line)}>{_esc(sub_line)}</text>'
        )
    parts.append(f'<g font-size="{size}" font-weight="700">{title_tspans}</g>')
    if issuer:
        issuer_line = _truncate(issuer, 290.0 / 19.0)
        parts.append(
            f'<line x1="206" y1="352" x2="306" y2="352" stroke="{ink}" stroke-opacity="0.45" '
            'stroke-width="2"/>'
        )
        parts.append(
            f'<text x="256" y="386" font-size="19" fill-opacity="0.92"{_dir(issuer_line)}>'
            f"{_esc(issuer_line)}</text>"
        )
    parts += ["</g>", "</svg>"]
    return "\n".join(parts) + "\n"


def default_badge_svg_for_credential(credential: dict[str, Any] | str, *, color: str | None = None) -> str:
    """Return :func:`default_badge_svg` for a credential (a JSON object or a compact JWT, read unverified).

    The title is the achievement's name (else the credential's), the issuer name its issuer's, the subtitle
    its achievement type (``MicroCredential`` → ``Micro-credential``).
    """
    doc = _payload(credential) if isinstance(credential, str) else credential
    if not isinstance(doc, dict):
        doc = {}
    subject = doc.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    achievement = achievement if isinstance(achievement, dict) else {}
    issuer = doc.get("issuer")
    title = _text(achievement.get("name")) or _text(doc.get("name")) or "Open Badge"
    issuer_name = _text(issuer.get("name")) if isinstance(issuer, dict) else None
    kind = achievement.get("achievementType")
    subtitle = _humanize(kind) if isinstance(kind, str) and kind else None
    return default_badge_svg(title, issuer_name=issuer_name, subtitle=subtitle, color=color)


# --------------------------------------------------------------------------------------------- helpers


def _payload(jwt: str) -> Any:
    """The JSON payload of a compact JWT (unverified; the VCDM 1.1 ``vc`` claim when present)."""
    parts = jwt.strip().split(".")
    if len(parts) != 3:
        return None
    try:
        payload = _json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    if isinstance(payload, dict) and isinstance(payload.get("vc"), dict):
        return payload["vc"]
    return payload


def _text(value: Any) -> str | None:
    """A display string from a plain string or a JSON-LD language map / value object."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("@value", "en", *value.keys()):
            if isinstance(value.get(key), str) and value[key].strip():
                return str(value[key]).strip()
    if isinstance(value, list):
        for item in value:
            found = _text(item)
            if found:
                return found
    return None


_KNOWN_TYPES = {"MicroCredential": "Micro-credential", "ext:MicroCredential": "Micro-credential"}


def _humanize(kind: str) -> str:
    if kind in _KNOWN_TYPES:
        return _KNOWN_TYPES[kind]
    kind = kind.rpartition(":")[2]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", kind).split()
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else kind


def _clean(value: str | None, path: str) -> str:
    if not isinstance(value, str):
        raise DefinitionError(f"{path} must be a string, not {type(value).__name__}", path=path)
    return " ".join(_BAD_CHARS.sub("", unicodedata.normalize("NFC", value)).split())


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _dir(text: str) -> str:
    """`` direction="rtl"`` when the first strong character is right-to-left."""
    for ch in text:
        bidi = unicodedata.bidirectional(ch)
        if bidi in ("R", "AL"):
            return ' direction="rtl"'
        if bidi == "L":
            return ""
    return ""


def _clusters(text: str) -> list[str]:
    """Split into user-perceived characters (roughly: marks, joiners, selectors, flags stay attached)."""
    out: list[str] = []
    join_next = False
    for ch in text:
        cp = ord(ch)
        attach = (
            unicodedata.category(ch) in ("Mn", "Me", "Mc")
            or 0xFE00 <= cp <= 0xFE0F
            or 0xE0100 <= cp <= 0xE01EF
            or 0x1F3FB <= cp <= 0x1F3FF
            or 0xE0020 <= cp <= 0xE007F
            or cp == 0x200D
            or (0x1F1E6 <= cp <= 0x1F1FF and out and len(out[-1]) == 1 and 0x1F1E6 <= ord(out[-1]) <= 0x1F1FF)
        )
        if out and (attach or join_next):
            out[-1] += ch
        else:
            out.append(ch)
        join_next = cp == 0x200D
    return out


def _width(cluster: str) -> float:
    """Estimated advance of one cluster, in em."""
    ch = cluster[0]
    cp = ord(ch)
    if cp >= 0x1F000 or 0x2600 <= cp <= 0x27BF:
        return 1.15  # emoji and pictographs
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch == " ":
        return 0.28
    if ch.isupper():
        return 0.72
    if ch in "ilj.,:;'|!()[]{}`" or unicodedata.category(ch).startswith("P"):
        return 0.32
    if ch in "mwMW":
        return 0.86
    return 0.6


def _tokens(text: str) -> list[list[str]]:
    """Break opportunities: words (lists of clusters, a leading space); wide clusters stand alone."""
    tokens: list[list[str]] = []
    for w, word in enumerate(text.split(" ")):
        current: list[str] = [" "] if w else []
        for cluster in _clusters(word):
            if _width(cluster) >= 1.0:  # CJK, emoji: a line may break before and after each
                if [c for c in current if c != " "]:
                    tokens.append(current)
                    current = []
                tokens.append([*current, cluster])
                current = []
            else:
                current.append(cluster)
        if current:
            tokens.append(current)
    return tokens


def _wrap(text: str, max_em: float) -> list[str]:
    """Greedy wrap into lines of at most ``max_em``; a token wider than a line is cut between clusters."""
    lines: list[list[str]] = []
    line: list[str] = []
    for token in _tokens(text):
        body = token[1:] if token and token[0] == " " else token
        candidate = [*line, *token] if line else list(body)
        if line and sum(map(_width, candidate)) > max_em:
            lines.append(line)
            line = list(body)
        else:
            line = candidate
        while sum(map(_width, line)) > max_em and len(line) > 1:
            cut, used = 0, 0.0
            while cut < len(line) and (cut == 0 or used + _width(line[cut]) <= max_em):
                used += _width(line[cut])
                cut += 1
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    return ["".join(c).strip() for c in lines if "".join(c).strip()]


def _truncate(text: str, max_em: float) -> str:
    """``text`` if it fits in ``max_em``, else cut (at a space when one is near) and ending in an ellipsis."""
    if sum(map(_width, _clusters(text))) <= max_em:
        return text
    return _with_ellipsis(text, max_em)


def _with_ellipsis(text: str, max_em: float) -> str:
    clusters = _clusters(text.rstrip())
    while clusters and sum(map(_width, clusters)) + _width(_ELLIPSIS) > max_em:
        clusters.pop()
    cut = "".join(clusters)
    if " " in cut and len(cut) - cut.rindex(" ") <= 8:  # end on a word boundary when it costs little
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-–—") + _ELLIPSIS


def _fit_title(title: str) -> tuple[int, list[str]]:
    """The largest font size whose wrapped title fits the band; else the smallest, ending in an ellipsis."""
    for size in _SIZES:
        max_lines = _max_lines(size)
        lines = _wrap(title, _TITLE_WIDTH / size)
        if len(lines) <= max_lines:
            return size, lines
    size = _SIZES[-1]
    max_lines = _max_lines(size)
    lines = _wrap(title, _TITLE_WIDTH / size)[:max_lines]
    lines[-1] = _with_ellipsis(lines[-1], _TITLE_WIDTH / size)
    return size, lines


def _max_lines(size: int) -> int:
    return max(1, min(4, math.floor(_TITLE_BAND / (size * 1.18))))


def _parse_color(color: str) -> tuple[int, int, int]:
    h = color[1:]
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _mix(rgb: tuple[int, int, int], toward: float, amount: float) -> str:
    """Mix toward white (``toward=1``) or black (``toward=0``) by ``amount``."""
    target = 255 * toward
    r, g, b = (round(c + (target - c) * amount) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def _luminance(rgb: tuple[int, int, int]) -> float:
    def lin(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _rosette(cx: float, cy: float, outer: float, inner: float, points: int) -> str:
    """A scalloped edge: a smooth wave between ``inner`` and ``outer`` radius, ``points`` lobes."""
    steps = points * 8
    coords = []
    for i in range(steps):
        a = 2 * math.pi * i / steps
        r = inner + (outer - inner) * (0.5 + 0.5 * math.cos(points * a))
        coords.append(f"{cx + r * math.sin(a):.1f},{cy - r * math.cos(a):.1f}")
    return " ".join(coords)


def _star(cx: float, cy: float, outer: float, inner: float) -> str:
    coords = []
    for i in range(10):
        a = math.pi * i / 5
        r = outer if i % 2 == 0 else inner
        coords.append(f"{cx + r * math.sin(a):.1f},{cy - r * math.cos(a):.1f}")
    return " ".join(coords)
