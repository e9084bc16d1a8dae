"""Multibase (base58btc ``z``, base64url ``u``) and multicodec varint headers, written out by hand.

This is encoding, not cryptography: base58btc is the Bitcoin alphabet, big-endian, with one ``1`` per
leading zero byte; base64url is RFC 4648 §5 without padding; multicodec headers are unsigned LEB128
varints of the codec number (``0xed`` → bytes ``ed 01``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Final, Literal

from ..errors import KeyFormatError

#: Multicodec codes (https://github.com/multiformats/multicodec/blob/master/table.csv).
ED25519_PUB: Final = 0xED  # header bytes ed 01
P256_PUB: Final = 0x1200  # header bytes 80 24
P384_PUB: Final = 0x1201  # header bytes 81 24
ED25519_PRIV: Final = 0x1300  # header bytes 80 26
P256_PRIV: Final = 0x1306  # header bytes 86 26
P384_PRIV: Final = 0x1307  # header bytes 87 26

_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX: Final = {c: i for i, c in enumerate(_ALPHABET)}
#: Longest base58 text we decode (keys and signatures are far shorter; this bounds the bignum work).
_MAX_B58: Final = 10_000


def b58encode(data: bytes) -> str:
    """Base58btc encoding of ``data`` (no multibase prefix)."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_ALPHABET[r])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Bytes of base58btc ``text`` (no multibase prefix); :class:`KeyFormatError` if it is not base58btc."""
    if not isinstance(text, str):
        raise KeyFormatError("base58btc value must be a string", code="multibase.invalid")
    if len(text) > _MAX_B58:
        raise KeyFormatError(
            f"base58btc value is too long ({len(text)} characters)", code="multibase.invalid"
        )
    n = 0
    for ch in text:
        digit = _INDEX.get(ch)
        if digit is None:
            raise KeyFormatError(f"{ch!r} is not a base58btc character", code="multibase.invalid")
        n = n * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def b64url_encode(data: bytes) -> str:
    """RFC 4648 base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Bytes of unpadded (or padded) base64url ``text``; :class:`KeyFormatError` on anything else."""
    if not isinstance(text, str) or any(c in text for c in "+/ \n\r\t"):
        raise KeyFormatError("not base64url text", code="multibase.invalid")
    stripped = text.rstrip("=")
    if len(stripped) % 4 == 1:
        raise KeyFormatError("base64url text has an impossible length", code="multibase.invalid")
    try:
        return base64.b64decode(stripped + "=" * (-len(stripped) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError(f"not base64url text: {exc}", code="multibase.invalid") from None


def multibase_encode(data: bytes, base: Literal["base58btc", "base64url"] = "base58btc") -> str:
    """Multibase text: ``z`` + base58btc, or ``u`` + unpadded base64url."""
    if base == "base58btc":
        return "z" + b58encode(data)
    if base == "base64url":
        return "u" + b64url_encode(data)
    raise ValueError(f"unsupported multibase base {base!r}")


def multibase_decode(text: str) -> bytes:
    """Bytes of a ``z`` (base58btc) or ``u`` (base64url) multibase string."""
    if not isinstance(text, str) or not text:
        raise KeyFormatError("multibase value must be a non-empty string", code="multibase.invalid")
    prefix, body = text[0], text[1:]
    if prefix == "z":
        return b58decode(body)
    if prefix == "u":
        return b64url_decode(body)
    raise KeyFormatError(
        f"unsupported multibase prefix {prefix!r} (only 'z' base58btc and 'u' base64url)",
        code="multibase.invalid",
    )


def varint_encode(number: int) -> bytes:
    """Unsigned LEB128 varint of ``number``."""
    if number < 0:
        raise ValueError("varint must be non-negative")
    out = bytearray()
    while True:
        byte = number & 0x7F
        number >>= 7
        if number:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def varint_decode(data: bytes) -> tuple[int, int]:
    """(value, bytes used) of the varint at the start of ``data`` (at most 9 bytes, minimal form)."""
    value = shift = 0
    for i, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if i > 0 and byte == 0:
                raise KeyFormatError("multicodec varint is not minimally encoded", code="multibase.invalid")
            return value, i + 1
        shift += 7
    raise KeyFormatError("truncated or overlong multicodec varint", code="multibase.invalid")


def multicodec_wrap(codec: int, data: bytes) -> bytes:
    """``data`` with the varint header of ``codec`` in front."""
    return varint_encode(codec) + data


def multicodec_unwrap(data: bytes) -> tuple[int, bytes]:
    """(codec, payload) of multicodec-prefixed ``data``."""
    codec, used = varint_decode(data)
    return codec, data[used:]
