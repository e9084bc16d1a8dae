"""PNG baking (Open Badges 3.0 §5.3): one ``iTXt`` chunk with keyword ``openbadgecredential``,
compression flag 0, empty language tag and translated keyword, inserted directly before ``IEND``; every
other chunk is copied byte for byte. Reading also accepts the Open Badges 2.0 ``openbadges`` chunk."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from ..errors import BakingError
from .payload import (
    MAX_CHUNK_LENGTH,
    MAX_CREDENTIAL_BYTES,
    PNG_KEYWORD,
    PNG_KEYWORD_OB2,
    PNG_SIGNATURE,
    TEXT_CHUNKS,
    Unbaked,
    interpret,
)


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
        if length > MAX_CHUNK_LENGTH:
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
    if chunk.type not in TEXT_CHUNKS:
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


def png_unbake(data: bytes) -> Unbaked:
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
        return interpret(_itxt_text(ob3[0]), version="3.0", kind="png", where=f"iTXt '{PNG_KEYWORD}' chunk")
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
        return interpret(
            text, version="2.0", kind="png", where=f"{chunk.type.decode()} '{PNG_KEYWORD_OB2}' chunk"
        )
    raise BakingError("no Open Badges credential is baked into this PNG", path="image")


def _png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def png_bake(data: bytes, text: str) -> bytes:
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
