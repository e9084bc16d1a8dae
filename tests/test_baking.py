"""Baking and unbaking Open Badges credentials in PNG and SVG images, and the default badge image."""

from __future__ import annotations

import base64
import json
import struct
import xml.etree.ElementTree as ET
import zlib

import png
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.baking.badge import default_badge_svg, default_badge_svg_for_credential
from microcred.baking.bake import bake, unbake
from microcred.baking.payload import (
    MAX_CREDENTIAL_BYTES,
    MAX_IMAGE_BYTES,
    OB3_SVG_NS,
    PNG_KEYWORD,
    Unbaked,
    detect_image_kind,
)
from microcred.errors import BakingError, DefinitionError, MicrocredError

SVG_NS = "http://www.w3.org/2000/svg"
SIG = b"\x89PNG\r\n\x1a\n"

# ------------------------------------------------------------------------------------------------ helpers


def chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def make_png(width: int = 5, height: int = 4, *, extra: bytes = b"") -> bytes:
    """A small valid 8-bit RGB PNG with a gradient, written by hand (zlib + struct)."""
    rows = b"".join(
        b"\0"
        + bytes(
            ((x * 50 + y * 20) % 256, (x * 7) % 256, (y * 60) % 256)[c]
            for x in range(width)
            for c in range(3)
        )
        for y in range(height)
    )
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return SIG + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def itxt(keyword: str, text: str, *, compressed: bool = False, lang: bytes = b"", tkw: bytes = b"") -> bytes:
    data = text.encode("utf-8")
    if compressed:
        data = zlib.compress(data)
    body = keyword.encode("latin-1") + b"\0" + bytes([int(compressed), 0]) + lang + b"\0" + tkw + b"\0" + data
    return chunk(b"iTXt", body)


def insert_before_iend(image: bytes, *chunks: bytes) -> bytes:
    assert image.endswith(chunk(b"IEND", b""))
    return image[:-12] + b"".join(chunks) + image[-12:]


def parse_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == SIG
    pos, out = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        ctype, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(ctype + body)
        out.append((ctype, body))
        pos += 12 + length
    return out


def credential_chunks(data: bytes) -> list[bytes]:
    return [
        b
        for t, b in parse_chunks(data)
        if t in (b"iTXt", b"tEXt", b"zTXt") and b.split(b"\0")[0] in (b"openbadgecredential", b"openbadges")
    ]


def pixels(data: bytes) -> tuple[int, int, list[list[int]]]:
    width, height, rows, _info = png.Reader(bytes=data).asDirect()
    return width, height, [list(r) for r in rows]


def jwt_like(payload: dict) -> str:
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{enc({'alg': 'EdDSA', 'typ': 'vc+jwt'})}.{enc(payload)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk"


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64">\n'
    b"  <!-- a comment & stuff -->\n"
    b'  <circle cx="32" cy="32" r="30" fill="#1f4e8c"/>\n'
    b'  <text x="32" y="36" text-anchor="middle">Zo\xc3\xab &amp; \xe5\xad\xa6</text>\n'
    b"</svg>\n"
)

CREDENTIALS = {
    "simple": {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:0b4c4b1e-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://example.edu/issuer", "type": ["Profile"], "name": "Example University"},
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": {"name": "Teamwork"}},
        "proof": [{"type": "DataIntegrityProof", "proofValue": "z3FXQ"}],
    },
    "unicode": {"name": "Zoë 学位 مقدمة 👩‍🎓", "credits": 7.5, "n": 1, "flag": True, "none": None},
    "xml-hostile": {"narrative": "a ]]> b <!DOCTYPE x> <![CDATA[ & \" ' </openbadges:credential> \u2028"},
    "control-chars": {"text": "tab\tnew\nline\rcr\x01\x1f end", "bom": "\ufeff", "max": "\uffff"},
    "nested": {"a": [{"b": [[], {}, [1, [2, [3]]]]}], "e": ""},
}
JWT = jwt_like({"iss": "did:example:issuer", "vc": {"name": "Teamwork"}})


@pytest.fixture
def png_image() -> bytes:
    return make_png()


# ------------------------------------------------------------------------------------------------ PNG


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
def test_png_round_trips_json(png_image, name):
    baked = bake(png_image, CREDENTIALS[name])
    found = unbake(baked)
    assert found == Unbaked(kind="png", version="3.0", credential=CREDENTIALS[name], jwt=None, raw=found.raw)
    assert json.loads(found.raw) == CREDENTIALS[name]
    assert found.format == "json"


def test_png_round_trips_jwt(png_image):
    found = unbake(bake(png_image, JWT + "\n"))
    assert (found.kind, found.version, found.jwt, found.credential, found.raw) == (
        "png",
        "3.0",
        JWT,
        None,
        JWT,
    )
    assert found.format == "jwt"


def test_baked_png_opens_with_a_real_decoder_and_pixels_are_unchanged(png_image):
    baked = bake(png_image, CREDENTIALS["unicode"])
    assert pixels(baked) == pixels(png_image)
    assert pixels(bake(baked, JWT)) == pixels(png_image)
    reader = png.Reader(bytes=baked)
    kinds = [ctype for ctype, _ in reader.chunks()]  # pypng checks every CRC as it reads
    assert kinds.count(b"iTXt") == 1 and kinds[-1] == b"IEND"


def test_png_chunk_is_uncompressed_itxt_before_iend_and_other_chunks_are_untouched(png_image):
    baked = bake(png_image, JWT)
    original, after = parse_chunks(png_image), parse_chunks(baked)
    assert after[-2][0] == b"iTXt" and after[-1] == (b"IEND", b"")
    assert after[:-2] + after[-1:] == original
    body = after[-2][1]
    assert body == PNG_KEYWORD.encode() + b"\0" + b"\0" + b"\0" + b"" + b"\0" + b"" + b"\0" + JWT.encode()


def test_png_rebake_replaces_the_credential(png_image):
    first = bake(png_image, CREDENTIALS["simple"])
    second = bake(first, JWT)
    third = bake(second, CREDENTIALS["unicode"])
    assert len(credential_chunks(second)) == 1 and unbake(second).jwt == JWT
    assert len(credential_chunks(third)) == 1 and unbake(third).credential == CREDENTIALS["unicode"]
    assert bake(third, CREDENTIALS["simple"]) == first


def test_png_with_two_credential_chunks_is_rejected(png_image):
    doubled = insert_before_iend(png_image, itxt(PNG_KEYWORD, JWT), itxt(PNG_KEYWORD, "{}"))
    with pytest.raises(BakingError, match="two credential chunks") as exc:
        unbake(doubled)
    assert exc.value.code == "baking.invalid" and exc.value.path == "image"


def test_bake_over_two_credential_chunks_leaves_one(png_image):
    doubled = insert_before_iend(png_image, itxt(PNG_KEYWORD, JWT), itxt(PNG_KEYWORD, "{}"))
    fixed = bake(doubled, CREDENTIALS["simple"])
    assert len(credential_chunks(fixed)) == 1 and unbake(fixed).credential == CREDENTIALS["simple"]


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        pytest.param(
            lambda d: _flip(d, 8 + 8 + 2), "IHDR chunk at offset 8 has a bad CRC", id="bad-crc-ihdr"
        ),
        pytest.param(lambda d: _flip(d, len(d) - 20), "bad CRC", id="bad-crc-credential"),
        pytest.param(lambda d: d[:-12], "without an IEND chunk", id="truncated-no-iend"),
        pytest.param(lambda d: d[:-5], "truncated inside the header", id="truncated-header"),
        pytest.param(lambda d: d[:50], "truncated: IDAT chunk", id="truncated-data"),
        pytest.param(
            lambda d: d[:8] + b"\x7f\xff\xff\xff" + d[12:], "declares 2147483647 bytes", id="bad-length"
        ),
        pytest.param(
            lambda d: d[:8] + b"\xff\xff\xff\xff" + d[12:], "over the PNG maximum", id="length-over-max"
        ),
        pytest.param(lambda d: d + b"junk", "4 unexpected bytes after the IEND chunk", id="after-iend"),
        pytest.param(lambda d: d[:12] + b"IH1R" + d[16:], "invalid type", id="bad-type"),
        pytest.param(lambda d: SIG + d[33:], "does not start with a 13-byte IHDR", id="no-ihdr"),
        pytest.param(lambda d: d[:7] + b"\0" + d[8:], "PNG signature is damaged", id="bad-signature"),
    ],
)
def test_malformed_png_is_rejected(png_image, damage, message):
    baked = bake(png_image, CREDENTIALS["simple"])
    broken = damage(baked)
    with pytest.raises(BakingError, match=message):
        unbake(broken)
    with pytest.raises(BakingError):
        bake(broken, JWT)


def test_compressed_itxt_is_read(png_image):
    text = json.dumps(CREDENTIALS["unicode"], ensure_ascii=False)
    image = insert_before_iend(
        png_image, itxt(PNG_KEYWORD, text, compressed=True, lang=b"en", tkw="Zoë".encode())
    )
    assert unbake(image).credential == CREDENTIALS["unicode"]


def test_decompression_bomb_is_refused(png_image):
    bomb = zlib.compress(b" " * (MAX_CREDENTIAL_BYTES + 10), 9)
    assert len(bomb) < 10_000
    body = PNG_KEYWORD.encode() + b"\0\x01\x00\0\0" + bomb
    with pytest.raises(BakingError, match="inflates to more than"):
        unbake(insert_before_iend(png_image, chunk(b"iTXt", body)))


@pytest.mark.parametrize(
    ("body_tail", "message"),
    [
        pytest.param(b"\x01\x00\0\0" + b"not zlib", "invalid compressed data", id="bad-zlib"),
        pytest.param(
            b"\x01\x00\0\0" + zlib.compress(b"{}" * 100)[:-6], "truncated compressed stream", id="cut-zlib"
        ),
        pytest.param(b"\x01\x05\0\0" + zlib.compress(b"{}"), "unknown compression method 5", id="bad-method"),
        pytest.param(b"\x02\x00\0\0{}", "invalid compression flag 2", id="bad-flag"),
        pytest.param(b"\x00\x00\0", "missing language tag", id="no-translated-keyword"),
        pytest.param(b"\x00\x00\0\0\xff\xfe", "not valid UTF-8", id="bad-utf8"),
        pytest.param(b"\x00\x00\0\0[1, 2]", "JSON that is not an object", id="json-array"),
        pytest.param(b"\x00\x00\0\0{oops", "invalid JSON", id="bad-json"),
        pytest.param(
            b"\x00\x00\0\0https://example.org/a/1", "neither JSON nor a compact JWS", id="url-in-ob3"
        ),
        pytest.param(b"\x00\x00\0\0   ", "is empty", id="empty"),
    ],
)
def test_bad_credential_chunk_is_rejected(png_image, body_tail, message):
    image = insert_before_iend(png_image, chunk(b"iTXt", PNG_KEYWORD.encode() + b"\0" + body_tail))
    with pytest.raises(BakingError, match=message):
        unbake(image)


def test_ob3_keyword_in_a_text_chunk_is_rejected(png_image):
    image = insert_before_iend(png_image, chunk(b"tEXt", PNG_KEYWORD.encode() + b"\0" + JWT.encode()))
    with pytest.raises(BakingError, match="requires an iTXt chunk"):
        unbake(image)


def test_png_without_a_credential_is_rejected(png_image):
    with pytest.raises(BakingError, match="no Open Badges credential is baked into this PNG"):
        unbake(png_image)


OB2_ASSERTION = {
    "@context": "https://w3id.org/openbadges/v2",
    "id": "https://example.org/assertions/123",
    "type": "Assertion",
    "recipient": {"type": "email", "identity": "alice@example.org", "hashed": False},
    "verification": {"type": "hosted"},
}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(
            itxt("openbadges", json.dumps(OB2_ASSERTION)), ("json", OB2_ASSERTION, None, None), id="json"
        ),
        pytest.param(itxt("openbadges", JWT), ("jwt", None, JWT, None), id="jws"),
        pytest.param(
            chunk(b"tEXt", b"openbadges\0https://example.org/assertions/123"),
            ("url", None, None, "https://example.org/assertions/123"),
            id="legacy-text-url",
        ),
    ],
)
def test_ob2_png_reads_as_ob2(png_image, extra, expected):
    found = unbake(insert_before_iend(png_image, extra))
    assert found.version == "2.0" and found.kind == "png"
    assert (found.format, found.credential, found.jwt, found.url) == expected


def test_ob2_png_with_two_assertions_is_rejected(png_image):
    image = insert_before_iend(png_image, itxt("openbadges", JWT), itxt("openbadges", JWT))
    with pytest.raises(BakingError, match=r"two Open Badges 2\.0 chunks"):
        unbake(image)


def test_baking_over_an_ob2_png_replaces_the_assertion(png_image):
    ob2 = insert_before_iend(png_image, itxt("openbadges", json.dumps(OB2_ASSERTION)))
    baked = bake(ob2, JWT)
    assert [b.split(b"\0")[0] for b in credential_chunks(baked)] == [b"openbadgecredential"]
    assert unbake(baked).version == "3.0"


def test_ob3_wins_over_an_ob2_chunk_in_the_same_png(png_image):
    image = insert_before_iend(png_image, itxt("openbadges", JWT), itxt(PNG_KEYWORD, json.dumps({"a": 1})))
    assert unbake(image).credential == {"a": 1}


# ------------------------------------------------------------------------------------------------ SVG


def svg_root(data: bytes) -> ET.Element:
    return ET.fromstring(data)


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
def test_svg_round_trips_json(name):
    baked = bake(SVG, CREDENTIALS[name])
    found = unbake(baked)
    assert (found.kind, found.version, found.credential, found.jwt) == ("svg", "3.0", CREDENTIALS[name], None)
    root = svg_root(baked)
    first = root[0]
    assert first.tag == f"{{{OB3_SVG_NS}}}credential" and "verify" not in first.attrib
    assert json.loads(first.text or "") == CREDENTIALS[name]
    assert b"<openbadges:credential><![CDATA[" in baked


def test_svg_round_trips_jwt():
    baked = bake(SVG, JWT)
    found = unbake(baked)
    assert (found.kind, found.version, found.credential, found.jwt, found.raw) == (
        "svg",
        "3.0",
        None,
        JWT,
        JWT,
    )
    first = svg_root(baked)[0]
    assert first.tag == f"{{{OB3_SVG_NS}}}credential" and first.attrib == {"verify": JWT} and not first.text


def test_svg_declares_the_ob3_namespace_on_the_root_and_keeps_the_rest():
    baked = bake(SVG, JWT)
    text = baked.decode()
    assert '<svg xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" xmlns=' in text
    restored = text.replace(' xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"', "").replace(
        f'<openbadges:credential verify="{JWT}"></openbadges:credential>', ""
    )
    assert restored.encode() == SVG


def test_svg_rebake_replaces_the_credential():
    first = bake(SVG, CREDENTIALS["simple"])
    second = bake(first, JWT)
    third = bake(second, CREDENTIALS["nested"])
    for baked in (second, third):
        assert len(svg_root(baked).findall(f".//{{{OB3_SVG_NS}}}credential")) == 1
        assert baked.count(b"xmlns:openbadges") == 1
    assert unbake(second).jwt == JWT and unbake(third).credential == CREDENTIALS["nested"]
    assert bake(third, CREDENTIALS["simple"]) == first


def test_svg_with_two_credential_elements_is_rejected():
    two = SVG.replace(
        b'width="64">',
        b'width="64" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
        b'<openbadges:credential verify="a.b.c"/><g><openbadges:credential verify="d.e.f"/></g>',
    )
    with pytest.raises(BakingError, match="two credential elements"):
        unbake(two)
    once = bake(two, JWT)
    assert len(svg_root(once).findall(f".//{{{OB3_SVG_NS}}}credential")) == 1


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
            b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&nbsp;</text></svg>',
            "undefined entity",
            id="doctype-with-undefined-entity",
        ),
        pytest.param(
            b'<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
            "DOCTYPE",
            id="billion-laughs",
        ),
        pytest.param(
            b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
            "DOCTYPE",
            id="external-entity",
        ),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
            "not well-formed",
            id="undefined-entity",
        ),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg"><g></svg>', "not well-formed", id="mismatched"
        ),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'", "not well-formed", id="truncated"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg"/><svg/>', "not well-formed", id="two-roots"),
        pytest.param(
            b'<html><svg xmlns="http://www.w3.org/2000/svg"/></html>',
            "root element is <html>",
            id="not-svg-root",
        ),
        pytest.param(
            b'<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            "only UTF-8",
            id="latin1",
        ),
    ],
)
def test_unsafe_or_malformed_svg_is_rejected(svg, message):
    with pytest.raises(BakingError, match=message):
        unbake(svg)
    with pytest.raises(BakingError, match=message):
        bake(svg, JWT)


def test_svg_without_a_credential_is_rejected():
    with pytest.raises(BakingError, match="no Open Badges credential is baked into this SVG"):
        unbake(SVG)


@pytest.mark.parametrize(
    ("element", "message"),
    [
        pytest.param(
            b'<openbadges:credential verify="a.b.c">{"a": 1}</openbadges:credential>',
            "both a verify",
            id="verify-and-body",
        ),
        pytest.param(
            b'<openbadges:credential verify="https://x.org/1"/>',
            "neither JSON nor a compact JWS",
            id="url-verify",
        ),
        pytest.param(b"<openbadges:credential><g/></openbadges:credential>", "child elements", id="child"),
        pytest.param(b"<openbadges:credential>  </openbadges:credential>", "is empty", id="empty"),
    ],
)
def test_bad_svg_credential_element_is_rejected(element, message):
    svg = SVG.replace(
        b'width="64">', b'width="64" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">' + element
    )
    with pytest.raises(BakingError, match=message):
        unbake(svg)


OB2_SVG_BODY = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org" viewBox="0 0 9 9">\n'
    b'  <openbadges:assertion verify="https://example.org/assertions/123">\n    <![CDATA['
    + json.dumps(OB2_ASSERTION).encode()
    + b"]]>\n  </openbadges:assertion>\n  <circle r='4'/>\n</svg>\n"
)


@pytest.mark.parametrize(
    ("svg", "expected"),
    [
        pytest.param(
            OB2_SVG_BODY, ("json", OB2_ASSERTION, None, "https://example.org/assertions/123"), id="json"
        ),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
            b'<openbadges:assertion verify="' + JWT.encode() + b'"/></svg>',
            ("jwt", None, JWT, None),
            id="signed",
        ),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
            b'<openbadges:assertion verify="https://example.org/a/9"></openbadges:assertion></svg>',
            ("url", None, None, "https://example.org/a/9"),
            id="hosted",
        ),
    ],
)
def test_ob2_svg_reads_as_ob2(svg, expected):
    found = unbake(svg)
    assert (found.kind, found.version) == ("svg", "2.0")
    assert (found.format, found.credential, found.jwt, found.url) == expected


def test_baking_over_an_ob2_svg_replaces_assertion_and_namespace():
    baked = bake(OB2_SVG_BODY, CREDENTIALS["simple"])
    root = svg_root(baked)
    assert root[0].tag == f"{{{OB3_SVG_NS}}}credential"
    assert b"openbadges.org" not in baked and b"openbadges:assertion" not in baked
    assert unbake(baked).credential == CREDENTIALS["simple"]


def test_svg_foreign_openbadges_prefix_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="urn:other"/>'
    with pytest.raises(BakingError, match="already binds the prefix"):
        bake(svg, JWT)


@pytest.mark.parametrize(
    "svg",
    [
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg"/>', id="self-closing"),
        pytest.param(
            b"\xef\xbb\xbf<svg xmlns='http://www.w3.org/2000/svg' data-x='a>b'><g/></svg>", id="bom-quoted-gt"
        ),
        pytest.param(b"<svg><rect/></svg>", id="no-namespace"),
        pytest.param(b'<s:svg xmlns:s="http://www.w3.org/2000/svg"><s:g/></s:svg>', id="prefixed-root"),
    ],
)
def test_svg_shapes_round_trip(svg):
    for credential in (JWT, CREDENTIALS["xml-hostile"]):
        baked = bake(svg, credential)
        found = unbake(baked)
        assert (found.jwt if isinstance(credential, str) else found.credential) == credential
        ET.fromstring(baked.removeprefix(b"\xef\xbb\xbf"))  # still well-formed XML


def test_svg_credential_with_other_ob3_namespace_is_read():
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="https://purl.imsglobal.org/spec/ob/v3p0">'
        b'<ob:credential verify="' + JWT.encode() + b'"/></svg>'
    )
    assert unbake(svg).jwt == JWT


# ------------------------------------------------------------------------------------------------ shared


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (make_png(), "png"),
        (SVG, "svg"),
        (b"  \n<svg/>", "svg"),
        (b"\xef\xbb\xbf<?xml version='1.0'?><svg>", "svg"),
    ],
    ids=["png", "svg", "svg-space", "svg-bom"],
)
def test_detect_image_kind(data, kind):
    assert detect_image_kind(data) == kind


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a....", "not a PNG or SVG"),
        (b"\x1f\x8b\x08\x00", "svgz"),
        ("<svg/>".encode("utf-16"), "UTF-16"),
        (b"<html><body>no</body></html>", "not a PNG or SVG"),
    ],
    ids=["gif", "svgz", "utf16", "html"],
)
def test_detect_image_kind_rejects_other_files(data, message):
    with pytest.raises(BakingError, match=message):
        detect_image_kind(data)
    with pytest.raises(BakingError, match=message):
        unbake(data)


def test_kind_must_match_the_image(png_image):
    assert unbake(bake(png_image, JWT, kind="png")).jwt == JWT
    with pytest.raises(BakingError, match="kind='svg' was asked for, but the image is PNG"):
        bake(png_image, JWT, kind="svg")


def test_huge_images_are_refused(png_image):
    huge = png_image + b"\0" * (MAX_IMAGE_BYTES + 1 - len(png_image))
    with pytest.raises(BakingError, match="the limit is 16,777,216"):
        unbake(huge)
    with pytest.raises(BakingError, match="the limit is"):
        bake(huge, JWT)
    with pytest.raises(BakingError, match="the limit is 100"):
        unbake(png_image + b"\0" * 100, max_image_bytes=100)


def test_huge_credentials_are_refused(png_image):
    with pytest.raises(BakingError, match=r"the credential is .* bytes; the limit is") as exc:
        bake(png_image, {"blob": "x" * MAX_CREDENTIAL_BYTES})
    assert exc.value.path == "credential"
    svg = SVG.replace(
        b'width="64">',
        b'width="64" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
        b"<openbadges:credential>" + b"{" + b" " * MAX_CREDENTIAL_BYTES + b"}</openbadges:credential>",
    )
    with pytest.raises(BakingError, match="holds more than"):
        unbake(svg)


@pytest.mark.parametrize(
    ("credential", "message"),
    [
        ('{"a": 1}', "pass a JSON credential as a dict"),
        ("not a jwt", "not a compact JWS"),
        ("a.b", "not a compact JWS"),
        ("a..c", "not a compact JWS"),
        ({"x": float("nan")}, "cannot be written as JSON"),
        ({"x": object()}, "cannot be written as JSON"),
        ({"x": "\ud800"}, "lone surrogate"),
        (["a"], "must be a dict or a compact JWT string"),
    ],
    ids=["json-string", "words", "two-parts", "empty-part", "nan", "object", "surrogate", "list"],
)
def test_bad_credentials_are_refused(png_image, credential, message):
    with pytest.raises(BakingError, match=message) as exc:
        bake(png_image, credential)
    assert exc.value.path == "credential"
    assert isinstance(exc.value, MicrocredError)


def test_non_bytes_image_is_refused():
    with pytest.raises(BakingError, match="must be bytes, not str"):
        unbake("<svg/>")  # type: ignore[arg-type]
    with pytest.raises(BakingError, match="empty"):
        unbake(b"")


def test_unbaked_is_frozen(png_image):
    found = unbake(bake(png_image, JWT))
    with pytest.raises(AttributeError):
        found.jwt = "x"  # type: ignore[misc]


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    credential=st.dictionaries(st.text(max_size=10), _json, max_size=5), kind=st.sampled_from(["png", "svg"])
)
def test_any_json_credential_round_trips(credential, kind):
    image = make_png(2, 2) if kind == "png" else SVG
    baked = bake(image, credential)
    assert unbake(baked).credential == credential
    assert unbake(bake(baked, credential)).credential == credential


# ------------------------------------------------------------------------------------------- default badge


def badge_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(f"{{{SVG_NS}}}text")]


def test_default_badge_is_well_formed_and_shows_title_and_issuer():
    svg = default_badge_svg(
        "Data Analysis with Python", issuer_name="Example University", subtitle="Micro-credential"
    )
    root = ET.fromstring(svg)
    assert root.tag == f"{{{SVG_NS}}}svg" and root.get("viewBox") == "0 0 512 512"
    texts = badge_texts(svg)
    assert "MICRO-CREDENTIAL" in texts and "Example University" in texts
    assert " ".join(t for t in texts if t not in ("MICRO-CREDENTIAL", "Example University")) == (
        "Data Analysis with Python"
    )
    assert root.find(f"{{{SVG_NS}}}title").text == "Data Analysis with Python — Example University"
    assert (
        default_badge_svg(
            "Data Analysis with Python", issuer_name="Example University", subtitle="Micro-credential"
        )
        == svg
    )  # deterministic


def test_default_badge_escapes_markup():
    title = 'Teamwork & <Leadership> "Level 2" </svg><script>alert(1)</script>'
    svg = default_badge_svg(title, issuer_name="A & B <Ltd>", subtitle='x" onload="alert(1)')
    assert "<script>" not in svg and 'onload="' not in svg
    texts = badge_texts(svg)
    assert "A & B <Ltd>" in texts
    assert "Teamwork &" in " ".join(texts)


def test_default_badge_truncates_long_titles_with_an_ellipsis():
    title = " ".join(["Sustainable"] * 60)
    texts = badge_texts(default_badge_svg(title))
    assert 1 < len(texts) <= 4
    assert texts[-1].endswith("…")
    assert ET.fromstring(default_badge_svg(title)).find(f"{{{SVG_NS}}}title").text == title


def test_default_badge_breaks_an_overlong_word_and_cjk():
    texts = badge_texts(default_badge_svg("Supercalifragilisticexpialidocious" * 2))
    assert len(texts) >= 2 and "".join(texts).replace("…", "") in "Supercalifragilisticexpialidocious" * 2
    cjk = "数据分析与机器学习基础课程证书"
    texts = badge_texts(default_badge_svg(cjk))
    assert len(texts) >= 2 and "".join(texts) == cjk


def test_default_badge_keeps_emoji_clusters_and_marks_rtl():
    family = "👩\u200d👩\u200d👧\u200d👦"
    svg = default_badge_svg((family + " ") * 20 + "🇳🇱", issuer_name="جامعة القاهرة")
    texts = badge_texts(svg)
    for line in texts[:-1]:
        assert line.replace("…", "").replace(" ", "").replace(family, "") in ("", "🇳🇱")
    root = ET.fromstring(svg)
    rtl = [t for t in root.iter(f"{{{SVG_NS}}}text") if t.get("direction") == "rtl"]
    assert ["".join(t.itertext()) for t in rtl] == ["جامعة القاهرة"]


def test_default_badge_colour():
    svg = default_badge_svg("Teamwork", color="#ABC")
    assert "#aabbcc" in svg.lower() or "url(#" in svg
    light = ET.fromstring(default_badge_svg("Teamwork", color="#f5f5f5"))
    dark = ET.fromstring(default_badge_svg("Teamwork", color="#1f4e8c"))
    ink = lambda root: root.find(f"{{{SVG_NS}}}g").get("fill")  # noqa: E731
    assert (ink(light), ink(dark)) == ("#1b1b1b", "#ffffff")
    with pytest.raises(DefinitionError, match="color must be #rgb or #rrggbb") as exc:
        default_badge_svg("Teamwork", color='red" onload="x')
    assert exc.value.path == "color"


def test_default_badge_needs_a_title():
    with pytest.raises(DefinitionError, match="non-empty title"):
        default_badge_svg(" \x00\n ")


def test_default_badge_for_a_credential_json_and_jwt():
    cred = {
        "name": "Credential name",
        "issuer": {"id": "https://x.org", "name": "Example University"},
        "credentialSubject": {"achievement": {"name": "Teamwork", "achievementType": "MicroCredential"}},
    }
    texts = badge_texts(default_badge_svg_for_credential(cred))
    assert texts == ["MICRO-CREDENTIAL", "Teamwork", "Example University"]
    assert badge_texts(default_badge_svg_for_credential(jwt_like({"vc": cred}))) == texts
    assert badge_texts(default_badge_svg_for_credential(jwt_like(cred))) == texts
    assert badge_texts(default_badge_svg_for_credential("not.a.jwt")) == ["Open Badge"]


def test_default_badge_bakes_and_unbakes():
    svg = default_badge_svg("Teamwork", issuer_name="Example University").encode()
    baked = bake(svg, CREDENTIALS["simple"])
    assert unbake(baked).credential == CREDENTIALS["simple"]
    assert svg_root(baked)[0].tag == f"{{{OB3_SVG_NS}}}credential"


def test_unrelated_malformed_text_chunk_does_not_block_unbaking(png_image):
    image = insert_before_iend(png_image, chunk(b"tEXt", b"x" * 100), itxt(PNG_KEYWORD, JWT))
    assert unbake(image).jwt == JWT
    rebaked = bake(image, CREDENTIALS["simple"])
    assert chunk(b"tEXt", b"x" * 100) in rebaked and unbake(rebaked).credential == CREDENTIALS["simple"]


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">',
        b"<!DOCTYPE svg>",
    ],
    ids=["illustrator-public", "bare"],
)
def test_svg_with_a_plain_doctype_bakes_and_unbakes(doctype):
    """Illustrator and Inkscape write a plain DOCTYPE: accepted (the DTD is never loaded)."""
    head, _, rest = SVG.partition(b"\n")
    image = head + b"\n" + doctype + b"\n" + rest
    baked = bake(image, JWT)
    assert unbake(baked).jwt == JWT and doctype in baked
