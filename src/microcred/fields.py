"""Reading the fields every credential shares, whatever its shape: the issuer's id and date-times."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["issuer_id", "json_copy", "parse_datetime"]


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    """The issuer's id: ``issuer`` itself when it is a string, else ``issuer.id``; None when neither."""
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return issuer["id"]
    return None


def parse_datetime(value: Any) -> datetime | None:
    """An XML Schema / ISO 8601 date-time string (``Z`` or an offset) as a datetime; None if it is not one.

    A value without a timezone comes back naive: callers decide whether that is an error or UTC.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists and scalars), several times faster than ``copy.deepcopy``.

    Anything else is shared, not copied: JSON documents hold only immutable scalars.
    """
    if type(value) is dict:
        return {k: json_copy(v) for k, v in value.items()}
    if type(value) is list:
        return [json_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_copy(v) for v in value]
    return value
