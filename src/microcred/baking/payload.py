"""What is baked: the names Open Badges gives a baked credential, the limits, the credential as text
going in (:func:`credential_text`) and the :class:`Unbaked` result coming out (:func:`interpret`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from .. import _json, limits
from ..errors import BakingError

#: Largest image accepted by :func:`bake` and :func:`unbake` (badge images are small).
MAX_IMAGE_BYTES = limits.MAX_IMAGE_BYTES
#: Largest credential text accepted, baked or (after any decompression) unbaked.
MAX_CREDENTIAL_BYTES = limits.MAX_BAKED_CREDENTIAL_BYTES

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: ``iTXt`` keyword of an Open Badges 3.0 credential.
PNG_KEYWORD = "openbadgecredential"
#: ``iTXt`` (or legacy ``tEXt``) keyword of an Open Badges 2.0 assertion.
PNG_KEYWORD_OB2 = "openbadges"
#: Namespace of ``<openbadges:credential>`` (Open Badges 3.0).
OB3_SVG_NS = "https://purl.imsglobal.org/ob/v3p0"
#: Namespace of ``<openbadges:assertion>`` (Open Badges 2.0).
OB2_SVG_NS = "http://openbadges.org"

# Read leniently: a namespace seen in the wild for OB 3.0, and OB 2.0 with a trailing slash.
OB3_READ_NS = (OB3_SVG_NS, "https://purl.imsglobal.org/spec/ob/v3p0")
OB2_READ_NS = (OB2_SVG_NS, "http://openbadges.org/")
SVG_NS = "http://www.w3.org/2000/svg"
TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
MAX_CHUNK_LENGTH = 2**31 - 1  # PNG: a chunk length is at most 2^31 - 1
JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
SVG_ROOT_HINT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?svg[\s/>]")

ImageKind = Literal["png", "svg"]


@dataclass(frozen=True)
class Unbaked:
    """What :func:`unbake` found in an image.

    ``version`` is ``"3.0"`` for an Open Badges 3.0 credential and ``"2.0"`` for an Open Badges 2.0 (or
    older, pre-specification) assertion, which is not an OB 3.0 credential. Exactly one of ``credential``
    (the JSON object), ``jwt`` (a compact JWS) and ``url`` (an OB 2.0 hosted assertion; OB 2.0 only) is set,
    except that an OB 2.0 SVG may carry both the assertion JSON and its ``verify`` URL. ``raw`` is the text
    exactly as baked (JSON text, JWS or URL), stripped of surrounding whitespace.
    """

    kind: ImageKind
    version: Literal["3.0", "2.0"]
    credential: dict[str, Any] | None
    jwt: str | None
    raw: str
    url: str | None = None

    @property
    def format(self) -> Literal["json", "jwt", "url"]:
        """``"json"``, ``"jwt"`` or ``"url"``: what the baked text is."""
        if self.credential is not None:
            return "json"
        return "jwt" if self.jwt is not None else "url"


def detect_image_kind(data: bytes) -> ImageKind:
    """Return ``"png"`` or ``"svg"`` for image bytes; raise :class:`BakingError` for anything else."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BakingError(f"an image must be bytes, not {type(data).__name__}", path="image")
    head = bytes(data[:4096])
    if head.startswith(PNG_SIGNATURE):
        return "png"
    if head.startswith(b"\x1f\x8b"):
        raise BakingError(
            "this is gzip-compressed (an .svgz file?); decompress it to a plain .svg first", path="image"
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BakingError("this looks like a UTF-16 SVG; only UTF-8 SVG images are supported", path="image")
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<") and SVG_ROOT_HINT.search(head):
        return "svg"
    if head[:4] == b"\x89PNG" or head[1:4] == b"PNG":
        raise BakingError("the PNG signature is damaged (not \\x89PNG\\r\\n\\x1a\\n)", path="image")
    raise BakingError("not a PNG or SVG image (only PNG and SVG badges can be baked)", path="image")


# --------------------------------------------------------------------------------------------- shared


def check_image(image: bytes, limit: int) -> bytes:
    if not isinstance(image, bytes | bytearray | memoryview):
        raise BakingError(f"an image must be bytes, not {type(image).__name__}", path="image")
    data = bytes(image)
    if len(data) > limit:
        raise BakingError(f"the image is {len(data):,} bytes; the limit is {limit:,}", path="image")
    if not data:
        raise BakingError("the image is empty", path="image")
    return data


def credential_text(credential: dict[str, Any] | str) -> tuple[str, bool]:
    """Serialise a credential for baking: (text, is_jwt)."""
    if isinstance(credential, dict):
        try:
            text = json.dumps(credential, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise BakingError(f"the credential cannot be written as JSON: {exc}", path="credential") from None
        is_jwt = False
    elif isinstance(credential, str):
        text = credential.strip()
        if text.startswith("{"):
            raise BakingError(
                "a str credential must be a compact JWT; pass a JSON credential as a dict", path="credential"
            )
        if not JWS.fullmatch(text):
            raise BakingError(
                "the credential string is not a compact JWS (three base64url parts joined by dots)",
                path="credential",
            )
        is_jwt = True
    else:
        raise BakingError(
            f"a credential must be a dict or a compact JWT string, not {type(credential).__name__}",
            path="credential",
        )
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise BakingError(
            "the credential contains a lone surrogate and is not valid UTF-8", path="credential"
        ) from None
    if size > MAX_CREDENTIAL_BYTES:
        raise BakingError(
            f"the credential is {size:,} bytes; the limit is {MAX_CREDENTIAL_BYTES:,}", path="credential"
        )
    return text, is_jwt


def interpret(text: str, *, version: Literal["3.0", "2.0"], kind: ImageKind, where: str) -> Unbaked:
    """Turn baked text into an :class:`Unbaked` (JSON object, compact JWS, or for OB 2.0 a URL)."""
    raw = text.strip()
    if not raw:
        raise BakingError(f"the {where} is empty", path="image")
    if raw.startswith(("{", "[")):
        try:
            value = _json.loads(raw)
        except ValueError as exc:
            raise BakingError(f"the {where} holds invalid JSON: {exc}", path="image") from None
        if not isinstance(value, dict):
            raise BakingError(f"the {where} holds JSON that is not an object", path="image")
        return Unbaked(kind=kind, version=version, credential=value, jwt=None, raw=raw)
    if JWS.fullmatch(raw):
        return Unbaked(kind=kind, version=version, credential=None, jwt=raw, raw=raw)
    if version == "2.0" and re.fullmatch(r"https?://\S+", raw):
        return Unbaked(kind=kind, version=version, credential=None, jwt=None, raw=raw, url=raw)
    shown = raw[:40] + ("…" if len(raw) > 40 else "")
    raise BakingError(f"the {where} is neither JSON nor a compact JWS: {shown!r}", path="image")
