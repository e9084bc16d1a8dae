"""Bake an Open Badges credential into a PNG or SVG image, and read it back (bytes and text only, no crypto).

Open Badges 3.0 §5.3 ("Baked Badge"):

* PNG: one ``iTXt`` chunk with keyword ``openbadgecredential``, compression flag 0, empty language tag and
  translated keyword; the text is the credential's JSON or the compact JWS (VC-JWT). The spec does not say
  where the chunk goes; PNG allows ``iTXt`` anywhere between ``IHDR`` and ``IEND``, and this module inserts
  it directly before ``IEND``. Every other chunk is copied byte for byte.
* SVG: the root ``<svg>`` declares ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` and its
  first child is ``<openbadges:credential>``: for a JWT an empty element with ``verify="<compact JWS>"``,
  for JSON the JSON inside ``<![CDATA[...]]>``. The edit is made at the string level (located with expat
  byte offsets), so the rest of the SVG stays byte for byte as it was.

A second bake replaces the first credential (and removes an Open Badges 2.0 ``openbadges`` chunk or
``<openbadges:assertion>``), so an image never carries two. :func:`unbake` also reads Open Badges 2.0 baked
images and says so with ``version="2.0"``.
"""

from __future__ import annotations

import json
import re
import struct
import xml.parsers.expat
import zlib
from dataclasses import dataclass
from typing import Any, Literal

from .errors import BakingError

__all__ = [
    "MAX_CREDENTIAL_BYTES",
    "MAX_IMAGE_BYTES",
    "OB2_SVG_NS",
    "OB3_SVG_NS",
    "PNG_KEYWORD",
    "PNG_KEYWORD_OB2",
    "Unbaked",
    "bake",
    "detect_image_kind",
    "unbake",
]

#: Largest image accepted by :func:`bake` and :func:`unbake` (badge images are small).
MAX_IMAGE_BYTES = 16 * 1024 * 1024
#: Largest credential text accepted, baked or (after any decompression) unbaked.
MAX_CREDENTIAL_BYTES = 4 * 1024 * 1024

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
_OB3_READ_NS = (OB3_SVG_NS, "https://purl.imsglobal.org/spec/ob/v3p0")
_OB2_READ_NS = (OB2_SVG_NS, "http://openbadges.org/")
_SVG_NS = "http://www.w3.org/2000/svg"
_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
_MAX_CHUNK_LENGTH = 2**31 - 1  # PNG: a chunk length is at most 2^31 - 1
_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_SVG_ROOT_HINT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?svg[\s/>]")

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


# --------------------------------------------------------------------------------------------- public API


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
    if text.startswith(b"<") and _SVG_ROOT_HINT.search(head):
        return "svg"
    if head[:4] == b"\x89PNG" or head[1:4] == b"PNG":
        raise BakingError("the PNG signature is damaged (not \\x89PNG\\r\\n\\x1a\\n)", path="image")
    raise BakingError("not a PNG or SVG image (only PNG and SVG badges can be baked)", path="image")


def bake(
    image: bytes,
    credential: dict[str, Any] | str,
    *,
    kind: ImageKind | None = None,
    max_image_bytes: int = MAX_IMAGE_BYTES,
) -> bytes:
    """Return ``image`` with ``credential`` baked in (Open Badges 3.0), replacing any baked credential.

    ``credential`` is a credential object (embedded as JSON) or a compact JWS string (VC-JWT). ``kind`` is
    detected from the bytes when ``None``; when given, it must match them.
    """
    data = _check_image(image, max_image_bytes)
    found = detect_image_kind(data)
    if kind is not None and kind != found:
        raise BakingError(f"kind={kind!r} was asked for, but the image is {found.upper()}", path="image")
    text, is_jwt = _credential_text(credential)
    out = _png_bake(data, text) if found == "png" else _svg_bake(data, text, is_jwt)
    # Self-check: what we wrote must read back as exactly what we were given.
    back = unbake(out, max_image_bytes=max(max_image_bytes, len(out)))
    if back.version != "3.0" or (back.jwt if is_jwt else back.credential) != (
        text if is_jwt else json.loads(text)
    ):
        raise BakingError("internal error: the baked image does not read back the same credential")
    return out


def unbake(image: bytes, *, max_image_bytes: int = MAX_IMAGE_BYTES) -> Unbaked:
    """Read the credential baked into a PNG or SVG image.

    Raises :class:`BakingError` when the image is malformed, carries no credential, or carries two.
    """
    data = _check_image(image, max_image_bytes)
    if detect_image_kind(data) == "png":
        return _png_unbake(data)
    return _svg_unbake(data)


# --------------------------------------------------------------------------------------------- shared


def _check_image(image: bytes, limit: int) -> bytes:
    if not isinstance(image, bytes | bytearray | memoryview):
        raise BakingError(f"an image must be bytes, not {type(image).__name__}", path="image")
    data = bytes(image)
    if len(data) > limit:
        raise BakingError(f"the image is {len(data):,} bytes; the limit is {limit:,}", path="image")
    if not data:
        raise BakingError("the image is empty", path="image")
    return data


def _credential_text(credential: dict[str, Any] | str) -> tuple[str, bool]:
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
        if not _JWS.fullmatch(text):
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


def _interpret(text: str, *, version: Literal["3.0", "2.0"], kind: ImageKind, where: str) -> Unbaked:
    """Turn baked text into an :class:`Unbaked` (JSON object, compact JWS, or for OB 2.0 a URL)."""
    raw = text.strip()
    if not raw:
        raise BakingError(f"the {where} is empty", path="image")
    if raw.startswith(("{", "[")):
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise BakingError(f"the {where} holds invalid JSON: {exc}", path="image") from None
        if not isinstance(value, dict):
            raise BakingError(f"the {where} holds JSON that is not an object", path="image")
        return Unbaked(kind=kind, version=version, credential=value, jwt=None, raw=raw)
    if _JWS.fullmatch(raw):
        return Unbaked(kind=kind, version=version, credential=None, jwt=raw, raw=raw)
    if version == "2.0" and re.fullmatch(r"https?://\S+", raw):
        return Unbaked(kind=kind, version=version, credential=None, jwt=None, raw=raw, url=raw)
    shown = raw[:40] + ("…" if len(raw) > 40 else "")
    raise BakingError(f"the {where} is neither JSON nor a compact JWS: {shown!r}", path="image")


# --------------------------------------------------------------------------------------------- PNG


@dataclass(frozen=True)
class _Chunk:
    type: bytes
    data: bytes
    start: int  # offset of the length field
    end: int  # offset just after the CRC


def _png_chunks(data: bytes) -> list[_Chunk]:
    """Split a PNG into chunks, checking the signature, every length and CRC, IHDR first and IEND last."""
    if not data.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG: the 8-byte PNG signature is missing", path="image")
    chunks: list[_Chunk] = []
    pos = len(PNG_SIGNATURE)
    while True:
        n = len(chunks)
        if pos == len(data):
            raise BakingError(
                f"the PNG is truncated: it ends after chunk {n} without an IEND chunk", path="image"
            )
        if pos + 8 > len(data):
            raise BakingError(
                f"the PNG is truncated inside the header of chunk {n} (offset {pos})", path="image"
            )
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        ctype = data[pos + 4 : pos + 8]
        if not all(65 <= b <= 90 or 97 <= b <= 122 for b in ctype):
            raise BakingError(f"chunk {n} at offset {pos} has an invalid type {ctype!r}", path="image")
        name = ctype.decode("ascii")
        if length > _MAX_CHUNK_LENGTH:
            raise BakingError(
                f"{name} chunk at offset {pos} declares length {length}, over the PNG maximum", path="image"
            )
        end = pos + 12 + length
        if end > len(data):
            raise BakingError(
                f"the PNG is truncated: {name} chunk at offset {pos} declares {length} bytes but only "
                f"{max(0, len(data) - pos - 12)} remain",
                path="image",
            )
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(ctype + body) != crc:
            raise BakingError(f"{name} chunk at offset {pos} has a bad CRC (damaged file)", path="image")
        if n == 0 and (ctype != b"IHDR" or length != 13):
            raise BakingError("the PNG does not start with a 13-byte IHDR chunk", path="image")
        if n > 0 and ctype == b"IHDR":
            raise BakingError(f"the PNG has a second IHDR chunk at offset {pos}", path="image")
        chunks.append(_Chunk(ctype, body, pos, end))
        pos = end
        if ctype == b"IEND":
            if length != 0:
                raise BakingError("the IEND chunk is not empty", path="image")
            if pos != len(data):
                raise BakingError(f"{len(data) - pos} unexpected bytes after the IEND chunk", path="image")
            return chunks


def _text_keyword(chunk: _Chunk) -> str | None:
    """The keyword of a tEXt/zTXt/iTXt chunk (None for other chunks, or a text chunk without a keyword)."""
    if chunk.type not in _TEXT_CHUNKS:
        return None
    nul = chunk.data.find(b"\0", 0, 80)
    # A malformed text chunk is not ours to judge (another tool wrote it); it is simply not a badge chunk.
    return chunk.data[:nul].decode("latin-1") if nul >= 1 else None


def _itxt_text(chunk: _Chunk) -> str:
    """Decode an iTXt chunk's text (inflating it, with a size cap, when the compression flag is set)."""
    d = chunk.data
    where = f"iTXt chunk at offset {chunk.start}"
    k = d.find(b"\0")
    if k < 0 or len(d) < k + 3:
        raise BakingError(f"{where} is malformed (too short)", path="image")
    flag, method = d[k + 1], d[k + 2]
    lang_end = d.find(b"\0", k + 3)
    tkw_end = d.find(b"\0", lang_end + 1) if lang_end >= 0 else -1
    if tkw_end < 0:
        raise BakingError(f"{where} is malformed (missing language tag or translated keyword)", path="image")
    body = d[tkw_end + 1 :]
    if flag == 1:
        if method != 0:
            raise BakingError(f"{where} uses unknown compression method {method}", path="image")
        inflater = zlib.decompressobj()
        try:
            body = inflater.decompress(body, MAX_CREDENTIAL_BYTES + 1)
        except zlib.error as exc:
            raise BakingError(f"{where} holds invalid compressed data: {exc}", path="image") from None
        if len(body) > MAX_CREDENTIAL_BYTES:
            raise BakingError(
                f"{where} inflates to more than {MAX_CREDENTIAL_BYTES:,} bytes (refused)", path="image"
            )
        if not inflater.eof:
            raise BakingError(f"{where} holds a truncated compressed stream", path="image")
    elif flag != 0:
        raise BakingError(f"{where} has an invalid compression flag {flag}", path="image")
    if len(body) > MAX_CREDENTIAL_BYTES:
        raise BakingError(
            f"{where} holds {len(body):,} bytes; the limit is {MAX_CREDENTIAL_BYTES:,}", path="image"
        )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BakingError(f"{where} text is not valid UTF-8", path="image") from None


def _png_unbake(data: bytes) -> Unbaked:
    ob3: list[_Chunk] = []
    ob2: list[_Chunk] = []
    for chunk in _png_chunks(data):
        keyword = _text_keyword(chunk)
        if keyword == PNG_KEYWORD:
            if chunk.type != b"iTXt":
                raise BakingError(
                    f"the credential is in a {chunk.type.decode()} chunk at offset {chunk.start}; "
                    "Open Badges 3.0 requires an iTXt chunk",
                    path="image",
                )
            ob3.append(chunk)
        elif keyword == PNG_KEYWORD_OB2 and chunk.type in (b"iTXt", b"tEXt"):
            ob2.append(chunk)
    if len(ob3) > 1:
        offsets = ", ".join(str(c.start) for c in ob3)
        raise BakingError(
            f"two credential chunks: the PNG holds {len(ob3)} iTXt '{PNG_KEYWORD}' chunks "
            f"(offsets {offsets}); Open Badges 3.0 allows exactly one",
            path="image",
        )
    if ob3:
        return _interpret(_itxt_text(ob3[0]), version="3.0", kind="png", where=f"iTXt '{PNG_KEYWORD}' chunk")
    if len(ob2) > 1:
        raise BakingError(
            f"two Open Badges 2.0 chunks: the PNG holds {len(ob2)} '{PNG_KEYWORD_OB2}' chunks", path="image"
        )
    if ob2:
        chunk = ob2[0]
        if chunk.type == b"iTXt":
            text = _itxt_text(chunk)
        else:  # legacy (pre-2.0) bakes: a tEXt chunk with the hosted assertion URL
            text = chunk.data[chunk.data.index(b"\0") + 1 :].decode("latin-1")
        return _interpret(
            text, version="2.0", kind="png", where=f"{chunk.type.decode()} '{PNG_KEYWORD_OB2}' chunk"
        )
    raise BakingError("no Open Badges credential is baked into this PNG", path="image")


def _png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def _png_bake(data: bytes, text: str) -> bytes:
    chunks = _png_chunks(data)
    body = PNG_KEYWORD.encode("latin-1") + b"\0" + b"\0\0" + b"\0" + b"\0" + text.encode("utf-8")
    out = [PNG_SIGNATURE]
    for chunk in chunks:
        if _text_keyword(chunk) in (PNG_KEYWORD, PNG_KEYWORD_OB2):
            continue  # replaced, never duplicated
        if chunk.type == b"IEND":
            out.append(_png_chunk(b"iTXt", body))
        out.append(data[chunk.start : chunk.end])
    return b"".join(out)


# --------------------------------------------------------------------------------------------- SVG


def _tag_end(data: bytes, start: int) -> int:
    """Offset just after the ``>`` that closes the tag starting at ``data[start] == '<'`` (quote-aware)."""
    quote = 0
    for i in range(start + 1, len(data)):
        b = data[i]
        if quote:
            if b == quote:
                quote = 0
        elif b in (34, 39):  # " or '
            quote = b
        elif b == 62:  # >
            return i + 1
    raise BakingError("the SVG ends inside a tag", path="image")


@dataclass
class _BadgeElement:
    version: Literal["3.0", "2.0"]
    start: int
    end: int = -1
    verify: str | None = None
    text: list[str] | None = None
    has_child: bool = False


@dataclass
class _SvgScan:
    root_start: int = -1
    root_tag_end: int = -1
    root_self_closing: bool = False
    root_ob_prefix: str | None = None  # value of xmlns:openbadges on the root, if any
    elements: list[_BadgeElement] | None = None


def _svg_scan(data: bytes) -> _SvgScan:
    """Parse an SVG safely with expat (no DOCTYPE, no entities); find the root and the badge elements."""
    m = _XML_ENCODING.match(data.removeprefix(b"\xef\xbb\xbf"))
    if m and m.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        raise BakingError(
            f"the SVG declares encoding {m.group(1).decode()!r}; only UTF-8 SVG images are supported",
            path="image",
        )
    parser = xml.parsers.expat.ParserCreate(encoding="utf-8", namespace_separator=" ")
    scan = _SvgScan(elements=[])
    stack: list[_BadgeElement | None] = []  # one entry per open element: O(1) work per event
    open_badges: list[_BadgeElement] = []
    depth = 0

    class _Refused(Exception):
        pass

    def refuse_doctype(*_: object) -> None:
        raise _Refused("the SVG has a <!DOCTYPE> (DTDs and entities are refused for safety)")

    def refuse_entity(*_: object) -> None:
        raise _Refused("the SVG declares an <!ENTITY> (refused for safety)")

    def refuse_external(*_: object) -> int:
        raise _Refused("the SVG references an external entity (refused for safety)")

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        at = parser.CurrentByteIndex
        if depth == 0:
            ns, _, local = name.rpartition(" ")
            if local != "svg" or ns not in ("", _SVG_NS):
                raise _Refused(f"the root element is <{local}>, not <svg>")
            scan.root_start = at
            scan.root_tag_end = _tag_end(data, at)
            scan.root_self_closing = data[scan.root_tag_end - 2 : scan.root_tag_end] == b"/>"
            raw_tag = data[at : scan.root_tag_end].decode("utf-8")
            pm = re.search(r"""\sxmlns:openbadges\s*=\s*(?:"([^"]*)"|'([^']*)')""", raw_tag)
            if pm:
                scan.root_ob_prefix = pm.group(1) if pm.group(1) is not None else pm.group(2)
        depth += 1
        if open_badges:  # the innermost is enough: an inner badge element marks its own parent
            open_badges[-1].has_child = True
        ns, _, local = name.rpartition(" ")
        element: _BadgeElement | None = None
        if local == "credential" and ns in _OB3_READ_NS:
            element = _BadgeElement("3.0", at)
        elif local == "assertion" and ns in _OB2_READ_NS:
            element = _BadgeElement("2.0", at)
        if element is not None:
            element.verify = attrs.get("verify")
            element.text = []
            tag_end = _tag_end(data, at)
            if data[tag_end - 2 : tag_end] == b"/>":
                element.end = tag_end
            assert scan.elements is not None
            scan.elements.append(element)
            open_badges.append(element)
        stack.append(element)

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1
        element = stack.pop()
        if element is not None:
            open_badges.pop()
            if element.end < 0:
                element.end = _tag_end(data, parser.CurrentByteIndex)

    def chars(text: str) -> None:
        if open_badges and open_badges[-1].text is not None:
            open_badges[-1].text.append(text)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise BakingError(str(exc), path="image") from None
    except xml.parsers.expat.ExpatError as exc:
        raise BakingError(
            f"the SVG is not well-formed XML: {xml.parsers.expat.errors.messages.get(exc.code, exc)} "
            f"(line {exc.lineno}, column {exc.offset})",
            path="image",
        ) from None
    if scan.root_start < 0:
        raise BakingError("the SVG has no root element", path="image")
    return scan


def _svg_unbake(data: bytes) -> Unbaked:
    scan = _svg_scan(data)
    elements = scan.elements or []
    ob3 = [e for e in elements if e.version == "3.0"]
    ob2 = [e for e in elements if e.version == "2.0"]
    if len(ob3) > 1:
        raise BakingError(
            f"two credential elements: the SVG holds {len(ob3)} <openbadges:credential> elements; "
            "Open Badges 3.0 allows exactly one",
            path="image",
        )
    if len(ob2) > 1 and not ob3:
        raise BakingError(
            f"the SVG holds {len(ob2)} <openbadges:assertion> elements; only one is allowed", path="image"
        )
    if not ob3 and not ob2:
        raise BakingError("no Open Badges credential is baked into this SVG", path="image")
    element = ob3[0] if ob3 else ob2[0]
    name = "<openbadges:credential>" if element.version == "3.0" else "<openbadges:assertion>"
    if element.has_child:
        raise BakingError(f"{name} must not contain child elements", path="image")
    body = "".join(element.text or []).strip()
    verify = (element.verify or "").strip()
    if len(body.encode("utf-8")) > MAX_CREDENTIAL_BYTES or len(verify.encode("utf-8")) > MAX_CREDENTIAL_BYTES:
        raise BakingError(f"{name} holds more than {MAX_CREDENTIAL_BYTES:,} bytes", path="image")
    if element.version == "3.0":
        if body and verify:
            raise BakingError(f"{name} has both a verify attribute and a body; expected one", path="image")
        if verify:
            found = _interpret(verify, version="3.0", kind="svg", where=f"verify attribute of {name}")
            if found.jwt is None:
                raise BakingError(f"the verify attribute of {name} is not a compact JWS", path="image")
            return found
        return _interpret(body, version="3.0", kind="svg", where=f"body of {name}")
    # Open Badges 2.0: a body is the assertion JSON (verify may hold its URL); else verify is a JWS or URL.
    if body:
        found = _interpret(body, version="2.0", kind="svg", where=f"body of {name}")
        if verify and re.fullmatch(r"https?://\S+", verify):
            found = Unbaked(
                kind="svg",
                version="2.0",
                credential=found.credential,
                jwt=found.jwt,
                raw=found.raw,
                url=verify,
            )
        return found
    return _interpret(verify, version="2.0", kind="svg", where=f"verify attribute of {name}")


def _xml_attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _svg_bake(data: bytes, text: str, is_jwt: bool) -> bytes:
    scan = _svg_scan(data)
    if scan.root_ob_prefix is not None and scan.root_ob_prefix not in (*_OB3_READ_NS, *_OB2_READ_NS):
        raise BakingError(
            f"the <svg> root already binds the prefix 'openbadges' to {scan.root_ob_prefix!r}", path="image"
        )
    if is_jwt:
        element = f'<openbadges:credential verify="{_xml_attr(text)}"></openbadges:credential>'
    else:
        # "]]>" can only occur inside a JSON string, where "\u003e" means the same character.
        # U+FFFE/U+FFFF are not allowed in XML; escaped, they mean the same in JSON.
        safe = text.replace("]]>", "]]\\u003e").replace("\ufffe", "\\ufffe").replace("\uffff", "\\uffff")
        element = f"<openbadges:credential><![CDATA[{safe}]]></openbadges:credential>"
    edits: list[tuple[int, int, bytes]] = []  # (start, end, replacement), non-overlapping
    root_tag = data[scan.root_start : scan.root_tag_end]
    # 1. the namespace declaration on the root start tag
    decl = f' xmlns:openbadges="{OB3_SVG_NS}"'.encode()
    pm = re.search(rb"""\sxmlns:openbadges\s*=\s*(?:"[^"]*"|'[^']*')""", root_tag)
    if pm:
        edits.append((scan.root_start + pm.start(), scan.root_start + pm.end(), decl))
    else:
        nm = re.match(rb"<[^\s/>]+", root_tag)
        assert nm is not None
        at = scan.root_start + nm.end()
        edits.append((at, at, decl))
    # 2. the credential element directly after the root start tag
    if scan.root_self_closing:
        qname = re.match(rb"<([^\s/>]+)", root_tag)
        assert qname is not None
        closing = b"></" + qname.group(1) + b">"
        edits.append((scan.root_tag_end - 2, scan.root_tag_end, b">" + element.encode() + closing[1:]))
    else:
        edits.append((scan.root_tag_end, scan.root_tag_end, element.encode("utf-8")))
    # 3. remove every credential or OB 2.0 assertion already baked in
    last_end = -1
    for old in sorted(scan.elements or [], key=lambda e: e.start):
        if old.start < last_end:
            raise BakingError("the SVG nests one Open Badges element inside another", path="image")
        edits.append((old.start, old.end, b""))
        last_end = old.end
    out = data
    for start, stop, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + replacement + out[stop:]
    return out
