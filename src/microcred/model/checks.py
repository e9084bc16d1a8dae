"""The checks every model value goes through: each raises :class:`~microcred.errors.DefinitionError`
naming the element's path and why."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from .. import _time
from ..errors import DefinitionError

EXT = re.compile(r"^ext:[A-Za-z0-9._-]+$")
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HASH = re.compile(r"^(sha256\$[0-9a-f]{64}|md5\$[0-9a-f]{32})$")

Number = int | float


def fail(path: str, message: str) -> DefinitionError:
    return DefinitionError(message, path=path)


def require_text(value: object, path: str, *, required: bool = True) -> None:
    if value is None:
        if required:
            raise fail(path, "is required")
        return
    if not isinstance(value, str):
        raise fail(path, f"must be a string, not {type(value).__name__}")
    if not value.strip():
        raise fail(path, "must not be empty")


def require_iri(value: object, path: str, *, required: bool = True) -> None:
    require_text(value, path, required=required)
    if value is not None and not IRI.match(str(value)):
        raise fail(path, f"{value!r} is not an absolute URI (e.g. https://… , urn:uuid:…, did:…)")


def require_url(value: object, path: str, *, required: bool = False) -> None:
    require_iri(value, path, required=required)
    if value is not None and not str(value).startswith(("https://", "http://")):
        raise fail(path, f"{value!r} is not an http(s) URL")


def require_number(value: object, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(path, f"must be a number, not {type(value).__name__}")
    if value != value or value in (float("inf"), float("-inf")):
        raise fail(path, "must be a finite number")
    if value <= 0:
        raise fail(path, f"must be positive, got {value}")


def require_aware(value: object, path: str) -> None:
    if not isinstance(value, datetime):
        raise fail(path, f"must be a date-time, not {type(value).__name__}")
    if not _time.is_aware(value):
        raise fail(path, f"{value.isoformat()} has no time zone; write it with Z or an offset such as +01:00")


def require_choice(value: object, allowed: tuple[str, ...], path: str) -> None:
    require_text(value, path)
    if value not in allowed:
        raise fail(path, f"unknown value {value!r}; allowed: {', '.join(repr(a) for a in allowed)}")


def require_vocab(value: object, allowed: tuple[str, ...], path: str) -> None:
    require_text(value, path)
    if value not in allowed and not EXT.match(str(value)):
        raise fail(path, f"unknown value {value!r}; use one of {', '.join(allowed)} or an ext:Name")


def require_tuple_of(value: object, kind: type, path: str) -> None:
    if not isinstance(value, tuple):
        raise fail(path, "must be a tuple")
    for i, item in enumerate(value):
        if not isinstance(item, kind):
            raise fail(f"{path}[{i}]", f"must be a {kind.__name__}, not {type(item).__name__}")


def drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != [] and v != {}}
