"""Reading the fields every credential shares, whatever its shape: the issuer's id; copying JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["issuer_id", "json_copy"]


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    """The issuer's id: ``issuer`` itself when it is a string, else ``issuer.id``; None when neither."""
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return issuer["id"]
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
