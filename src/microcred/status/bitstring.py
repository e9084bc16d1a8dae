"""Bitstring Status List bitstrings and entries: the data, no network and no crypto.

A status list is a bitstring: index 0 is the most significant bit of byte 0. ``encodedList`` is the
bitstring GZIP-compressed, then multibase base64url (``u`` prefix, no padding). Lists hold at least
:data:`MIN_LIST_BITS` entries, and the ledger allocates exactly that many per list.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from typing import TYPE_CHECKING, Any, Literal

from ..errors import StatusListError
from ..limits import MAX_STATUS_LIST_BYTES

if TYPE_CHECKING:
    from collections.abc import Iterable

#: The smallest bitstring the Bitstring Status List spec allows (16 KiB), for herd privacy; also the
#: number of entries of every list the ledger allocates (the one home of the status-list size).
MIN_LIST_BITS = 131_072
#: The largest decompressed list :func:`decode_list` accepts (a guard against GZIP bombs): 128 Mi entries.
MAX_LIST_BYTES = MAX_STATUS_LIST_BYTES

BITSTRING_ENTRY = "BitstringStatusListEntry"
STATUS_LIST_2021_ENTRY = "StatusList2021Entry"
ONEEDTECH_REVOCATION_LIST = "1EdTechRevocationList"

Purpose = Literal["revocation", "suspension"]
PURPOSES = ("revocation", "suspension")


def get_bit(bits: bytes, index: int) -> bool:
    """The bit at ``index`` (0 = most significant bit of byte 0)."""
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(
            f"index {index} is outside a list of {len(bits) * 8} entries", code="status.range"
        )
    return bool(bits[index >> 3] & (0x80 >> (index & 7)))


def set_bit(bits: bytearray, index: int, value: bool = True) -> None:
    """Set (or clear) the bit at ``index`` in place."""
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(
            f"index {index} is outside a list of {len(bits) * 8} entries", code="status.range"
        )
    mask = 0x80 >> (index & 7)
    if value:
        bits[index >> 3] |= mask
    else:
        bits[index >> 3] &= ~mask & 0xFF


def bits_from_indexes(indexes: Iterable[int], size: int) -> bytes:
    """A bitstring of ``size`` entries (a multiple of 8) with the given indexes set."""
    if size <= 0 or size % 8:
        raise StatusListError(f"a list size must be a positive multiple of 8, not {size}", code="status.size")
    bits = bytearray(size // 8)
    for index in indexes:
        set_bit(bits, index)
    return bytes(bits)


def set_indexes(bits: bytes) -> list[int]:
    """Every index whose bit is set, in ascending order."""
    out: list[int] = []
    for byte_no, byte in enumerate(bits):
        if byte:
            out.extend(byte_no * 8 + bit for bit in range(8) if byte & (0x80 >> bit))
    return out


def encode_list(bits: bytes) -> str:
    """``encodedList`` for a bitstring: GZIP, then multibase base64url without padding (``u…``)."""
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_list(encoded: str, *, legacy: bool = False, max_bytes: int = MAX_LIST_BYTES) -> bytes:
    """The bitstring an ``encodedList`` holds.

    The value must carry the multibase ``u`` prefix (base64url), as Bitstring Status List requires;
    with ``legacy=True`` a bare base64/base64url value (StatusList2021, RevocationList2020) is read too.
    Raises :class:`StatusListError` for anything that is not GZIP-compressed base64url.
    """
    if not isinstance(encoded, str) or not encoded:
        raise StatusListError(
            "encodedList is missing or not a string",
            code="status.encoding",
            path="credentialSubject.encodedList",
        )
    if encoded.startswith("u"):
        text = encoded[1:]
    elif legacy:
        text = encoded
    else:
        raise StatusListError(
            f"encodedList must start with the multibase prefix 'u' (base64url), found {encoded[:1]!r}",
            code="status.encoding",
            path="credentialSubject.encodedList",
        )
    text = text.replace("+", "-").replace("/", "_").rstrip("=") if legacy else text
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise StatusListError(
            f"encodedList is not base64url: {exc}",
            code="status.encoding",
            path="credentialSubject.encodedList",
        ) from exc
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip container only
    try:
        bits = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise StatusListError(
            f"encodedList is not GZIP-compressed: {exc}",
            code="status.encoding",
            path="credentialSubject.encodedList",
        ) from exc
    if len(bits) > max_bytes or inflater.unconsumed_tail:
        raise StatusListError(
            f"encodedList expands to more than {max_bytes} bytes",
            code="status.too_large",
            path="credentialSubject.encodedList",
        )
    if not inflater.eof:
        raise StatusListError(
            "encodedList is a truncated GZIP stream",
            code="status.encoding",
            path="credentialSubject.encodedList",
        )
    return bits


# --------------------------------------------------------------------------------------------
# writing


def status_entry(list_url: str, index: int, purpose: Purpose) -> dict[str, Any]:
    """A ``BitstringStatusListEntry`` pointing at ``index`` of the list credential at ``list_url``."""
    if purpose not in PURPOSES:
        raise StatusListError(
            f"status purpose must be revocation or suspension, not {purpose!r}", code="status.purpose"
        )
    return {
        "id": f"{list_url}#{index}",
        "type": BITSTRING_ENTRY,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
