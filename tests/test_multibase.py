"""Base58btc, base64url, multibase and multicodec varints (hand-written encoding)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microcred.errors import KeyFormatError
from microcred.keys import multibase as mb


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"", ""),
        (b"\0", "1"),
        (b"\0\0\x01", "112"),
        (b"hello world", "StV1DL6CwTryKyV"),
        (bytes.fromhex("61"), "2g"),
        (bytes.fromhex("626262"), "a3gV"),
        (bytes.fromhex("00000000000000000000"), "1111111111"),
    ],
)
def test_base58btc_known_values(raw: bytes, text: str) -> None:
    assert mb.b58encode(raw) == text
    assert mb.b58decode(text) == raw


@given(st.binary(max_size=80))
def test_base58btc_round_trip(raw: bytes) -> None:
    assert mb.b58decode(mb.b58encode(raw)) == raw


@given(st.binary(max_size=80))
def test_multibase_round_trip_both_bases(raw: bytes) -> None:
    z = mb.multibase_encode(raw)
    u = mb.multibase_encode(raw, "base64url")
    assert z.startswith("z") and u.startswith("u") and "=" not in u
    assert mb.multibase_decode(z) == raw == mb.multibase_decode(u)


@pytest.mark.parametrize("bad", ["0OIl", "abc+", "z!"])
def test_base58btc_rejects_characters_outside_the_alphabet(bad: str) -> None:
    with pytest.raises(KeyFormatError):
        mb.b58decode(bad)


@pytest.mark.parametrize("bad", ["", "m" + "AAAA", "f00", "xabc"])
def test_multibase_rejects_unknown_prefixes(bad: str) -> None:
    with pytest.raises(KeyFormatError, match="multibase"):
        mb.multibase_decode(bad)


def test_base64url_rejects_standard_alphabet_and_bad_lengths() -> None:
    with pytest.raises(KeyFormatError):
        mb.b64url_decode("ab+/")
    with pytest.raises(KeyFormatError):
        mb.b64url_decode("abcde")
    assert mb.b64url_decode("_-8") == b"\xff\xef"


@pytest.mark.parametrize(
    ("codec", "header"),
    [
        (mb.ED25519_PUB, "ed01"),
        (mb.P256_PUB, "8024"),
        (mb.P384_PUB, "8124"),
        (mb.ED25519_PRIV, "8026"),
        (mb.P256_PRIV, "8626"),
        (mb.P384_PRIV, "8726"),
    ],
)
def test_multicodec_headers(codec: int, header: str) -> None:
    assert mb.varint_encode(codec).hex() == header
    assert mb.multicodec_unwrap(bytes.fromhex(header) + b"key") == (codec, b"key")


@given(st.integers(min_value=0, max_value=2**62))
def test_varint_round_trip(n: int) -> None:
    data = mb.varint_encode(n)
    assert mb.varint_decode(data + b"\xff") == (n, len(data))


def test_varint_rejects_truncated_and_non_minimal() -> None:
    with pytest.raises(KeyFormatError):
        mb.varint_decode(b"\x80")
    with pytest.raises(KeyFormatError, match="minimal"):
        mb.varint_decode(b"\x81\x00")
