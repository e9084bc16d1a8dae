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
from typing import Any

from ..errors import BakingError
from .payload import MAX_IMAGE_BYTES, ImageKind, Unbaked, check_image, credential_text, detect_image_kind
from .png import png_bake, png_unbake
from .svg import svg_bake, svg_unbake


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
    data = check_image(image, max_image_bytes)
    found = detect_image_kind(data)
    if kind is not None and kind != found:
        raise BakingError(f"kind={kind!r} was asked for, but the image is {found.upper()}", path="image")
    text, is_jwt = credential_text(credential)
    out = png_bake(data, text) if found == "png" else svg_bake(data, text, is_jwt)
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
    data = check_image(image, max_image_bytes)
    if detect_image_kind(data) == "png":
        return png_unbake(data)
    return svg_unbake(data)
