"""JSON Canonicalization Scheme (RFC 8785), through the ``rfc8785`` package (Trail of Bits)."""

from __future__ import annotations

from typing import Any

import rfc8785

from ..errors import CanonicalizationError


def jcs(value: Any) -> bytes:  # any JSON value (rfc8785 types it so)
    """The RFC 8785 canonical UTF-8 bytes of a JSON value."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CanonicalizationError(
            f"JSON cannot be canonicalized (RFC 8785): {exc}", code="canon.jcs"
        ) from None
