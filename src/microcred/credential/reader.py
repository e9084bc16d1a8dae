"""Read what an employer hands in: a JSON credential, a compact JWT, a baked PNG or SVG, a file or a URL."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from .. import _json
from ..errors import BakingError, InputError
from ..fetch import Fetcher
from ..limits import MAX_INPUT_BYTES

Kind = Literal["json", "jwt", "png", "svg"]
#: What can be read as a credential: a parsed JSON object, bytes (a file's content), a path, or a
#: ``str`` that is an https URL, JSON text, a compact JWT or a file path.
Source = Mapping[str, Any] | str | bytes | os.PathLike[str]


@dataclass(frozen=True)
class ReadCredential:
    """What was read: its kind, the credential (JSON-LD) or the compact JWT, and a name for reports."""

    kind: Kind
    credential: dict[str, Any] | None
    jwt: str | None
    name: str


#: A compact JWS: two non-empty base64url parts and a third that may be empty, ASCII only. The parts'
#: class excludes the dot, so the match is one linear pass (no backtracking).
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def _looks_like_jwt(text: str) -> bool:
    return _COMPACT_JWS.fullmatch(text) is not None


def _from_bytes(data: bytes, name: str) -> ReadCredential:
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"input is larger than {MAX_INPUT_BYTES} bytes", source=name)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _from_image(data, name, "png")
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return _from_image(data, name, "svg")
    try:
        text = data.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text, a PNG or an SVG", source=name) from None
    if text.startswith("{"):
        try:
            doc = _json.loads(text)
        except ValueError as exc:
            raise InputError(f"not valid JSON ({exc})", source=name) from None
        if not isinstance(doc, dict):
            raise InputError("a credential must be a JSON object", source=name)
        return ReadCredential("json", doc, None, name)
    if text.startswith('"') and text.endswith('"'):  # a JWT stored as a JSON string
        try:
            text = _json.loads(text)
        except ValueError:
            pass
    if isinstance(text, str) and _looks_like_jwt(text):
        return ReadCredential("jwt", None, text, name)
    raise InputError("neither a JSON credential, a compact JWT, a PNG nor an SVG", source=name)


def _from_image(data: bytes, name: str, kind: Literal["png", "svg"]) -> ReadCredential:
    from ..baking.bake import unbake  # only images need it: JSON and JWT input start without it

    try:
        baked = unbake(data)
    except BakingError as exc:
        raise InputError(exc.message, source=name, code=exc.code) from None
    if baked.version != "3.0":
        raise InputError(
            "this image holds an Open Badges 2.0 assertion, not an Open Badges 3.0 credential; "
            "microcred verifies Open Badges 3.0 only (see `microcred unbake` to read it)",
            source=name,
            code="input.ob2_assertion",
        )
    if baked.jwt is not None:
        return ReadCredential(kind, None, baked.jwt, name)
    return ReadCredential(kind, dict(baked.credential or {}), None, name)


#: The media types an ``EnvelopedVerifiableCredential``'s ``data:`` URL may carry a VC-JWT in.
ENVELOPE_MEDIA_TYPES = ("application/vc+jwt", "application/vc-ld+jwt", "application/jwt")


def enveloped_jwt(document: Mapping[str, Any], what: str = "EnvelopedVerifiableCredential") -> str:
    """The compact JWT of an enveloped credential or presentation (its ``id`` is a ``data:`` URL)."""
    url = document.get("id")
    if not isinstance(url, str) or not url.startswith("data:"):
        raise InputError(f"the {what}'s id must be a data: URL holding the credential", path="id")
    media, _, payload = url[5:].partition(",")
    if media.split(";")[0] not in (*ENVELOPE_MEDIA_TYPES, "application/vp+jwt", "application/vp-ld+jwt"):
        raise InputError(f"the {what} holds {media!r}; only a VC-JWT is read", path="id")
    if not _looks_like_jwt(payload):
        raise InputError(f"the {what}'s data: URL does not hold a compact JWT", path="id")
    return payload


def read_credential(
    source: Source,
    *,
    fetch: Callable[[str], bytes] | None = None,
    name: str | None = None,
    json_value: bool = False,
) -> ReadCredential:
    """Read ``source`` as a credential.

    A mapping is a JSON-LD credential (an ``EnvelopedVerifiableCredential`` gives its VC-JWT); bytes are
    a file's content; a ``str`` is an ``https://`` URL (fetched with ``fetch``), JSON text, a compact
    JWT, or a file path. With ``json_value`` the source is a value taken from a JSON request, where a
    credential is an object: a string is refused (code ``input.json_string``). Raises InputError when
    it is none.
    """
    if json_value and not isinstance(source, Mapping):
        kind = "a JSON string" if isinstance(source, str) else f"JSON {type(source).__name__}"
        raise InputError(
            f"{kind} was sent where a credential object belongs (send the credential itself, not its "
            "text; a VC-JWT goes in an EnvelopedVerifiableCredential)",
            code="input.json_string" if isinstance(source, str) else "input.not_object",
        )
    if isinstance(source, Mapping):
        types = source.get("type")
        if types == "EnvelopedVerifiableCredential" or (
            isinstance(types, list) and "EnvelopedVerifiableCredential" in types
        ):
            return ReadCredential("jwt", None, enveloped_jwt(source), name or "enveloped credential")
        return ReadCredential("json", dict(source), None, name or "credential")
    if isinstance(source, bytes):
        return _from_bytes(source, name or "input")
    if isinstance(source, os.PathLike):
        path = Path(source)
        return _from_bytes(_read_file(path), name or str(path))
    if isinstance(source, str):
        text = source.strip()
        if text.startswith(("https://", "http://")):
            if fetch is None:
                fetch = Fetcher(max_bytes=MAX_INPUT_BYTES)
            return _from_bytes(fetch(text), name or text)
        if text.startswith("{") or _looks_like_jwt(text):
            return _from_bytes(text.encode("utf-8"), name or "input")
        return _from_bytes(_read_file(Path(source)), name or source)
    raise InputError(f"cannot read a credential from a {type(source).__name__}")


def read_capped(stream: BinaryIO, name: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """At most ``limit`` bytes of ``stream`` (stdin, a pipe, a file): never more is read, and an
    :class:`~microcred.errors.InputError` says so when there was more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"input is larger than {limit} bytes", source=name, code="input.too_large")
    return data


def _read_file(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise InputError(f"file is larger than {MAX_INPUT_BYTES} bytes", source=str(path))
        with path.open("rb") as handle:  # a FIFO or a device reports no size: read with the cap
            return read_capped(handle, str(path))
    except FileNotFoundError:
        raise InputError("no such file", source=str(path), code="input.not_found") from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", source=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", source=str(path)) from None
