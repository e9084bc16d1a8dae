"""SVG baking (Open Badges 3.0 §5.3): the root ``<svg>`` declares the ``openbadges`` namespace and its
first child is ``<openbadges:credential>`` (a JWT in ``verify="…"``, JSON in ``<![CDATA[…]]>``). The edit
is made at the string level, located with expat byte offsets, so the rest of the SVG stays byte for
byte as it was. Reading also accepts the Open Badges 2.0 ``<openbadges:assertion>``."""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass
from typing import Literal

from ..errors import BakingError
from .payload import (
    MAX_CREDENTIAL_BYTES,
    OB2_READ_NS,
    OB3_READ_NS,
    OB3_SVG_NS,
    SVG_NS,
    XML_ENCODING,
    Unbaked,
    interpret,
)


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
    """Parse an SVG safely with expat (a plain DOCTYPE only, never a DTD; no entities); find the root and
    the badge elements."""
    m = XML_ENCODING.match(data.removeprefix(b"\xef\xbb\xbf"))
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

    def doctype(_name: str, _system: str | None, _public: str | None, internal_subset: int) -> None:
        # A plain <!DOCTYPE svg PUBLIC …> (as Illustrator and Inkscape write) is harmless: expat never
        # loads the external DTD. An internal subset (where entities are declared) is refused.
        if internal_subset:
            raise _Refused("the SVG has a <!DOCTYPE> with an internal subset (DTDs and entities are refused)")

    def refuse_skipped(name: str, _is_parameter: int) -> None:
        raise _Refused(f"the SVG uses the undefined entity &{name}; (entities are refused for safety)")

    def refuse_entity(*_: object) -> None:
        raise _Refused("the SVG declares an <!ENTITY> (refused for safety)")

    def refuse_external(*_: object) -> int:
        raise _Refused("the SVG references an external entity (refused for safety)")

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        at = parser.CurrentByteIndex
        if depth == 0:
            ns, _, local = name.rpartition(" ")
            if local != "svg" or ns not in ("", SVG_NS):
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
        if local == "credential" and ns in OB3_READ_NS:
            element = _BadgeElement("3.0", at)
        elif local == "assertion" and ns in OB2_READ_NS:
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

    parser.StartDoctypeDeclHandler = doctype
    parser.SkippedEntityHandler = refuse_skipped
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
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


def svg_unbake(data: bytes) -> Unbaked:
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
            found = interpret(verify, version="3.0", kind="svg", where=f"verify attribute of {name}")
            if found.jwt is None:
                raise BakingError(f"the verify attribute of {name} is not a compact JWS", path="image")
            return found
        return interpret(body, version="3.0", kind="svg", where=f"body of {name}")
    # Open Badges 2.0: a body is the assertion JSON (verify may hold its URL); else verify is a JWS or URL.
    if body:
        found = interpret(body, version="2.0", kind="svg", where=f"body of {name}")
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
    return interpret(verify, version="2.0", kind="svg", where=f"verify attribute of {name}")


def _xml_attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def svg_bake(data: bytes, text: str, is_jwt: bool) -> bytes:
    scan = _svg_scan(data)
    if scan.root_ob_prefix is not None and scan.root_ob_prefix not in (*OB3_READ_NS, *OB2_READ_NS):
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
