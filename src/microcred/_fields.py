"""Reading the fields every credential shares, whatever its shape (the issuer's id, the subject's id,
the achievement's id, the recipient), and copying JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    """The issuer's id: ``issuer`` itself when it is a string, else ``issuer.id``; None when neither."""
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def _subject(credential: Mapping[str, Any]) -> Mapping[str, Any] | None:
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    return subject if isinstance(subject, Mapping) else None


def subject_id(credential: Mapping[str, Any]) -> str | None:
    """``credentialSubject.id`` when the credential has exactly one subject with a string id, else None."""
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if isinstance(subject, Mapping) and isinstance(subject.get("id"), str):
        return str(subject["id"])
    return None


def achievement_id_of(credential: Mapping[str, Any]) -> str | None:
    """``credentialSubject.achievement.id`` (of the first subject), or None."""
    subject = _subject(credential)
    achievement = subject.get("achievement") if subject is not None else None
    value = achievement.get("id") if isinstance(achievement, Mapping) else None
    return value if isinstance(value, str) else None


def recipient_of(credential: Mapping[str, Any]) -> str | None:
    """Who the credential names as its recipient: the first subject's ``id``, else the
    ``identityHash`` of its first identifier that has one; None when neither."""
    subject = _subject(credential)
    if subject is None:
        return None
    if isinstance(subject.get("id"), str):
        return str(subject["id"])
    identifiers = subject.get("identifier")
    for item in identifiers if isinstance(identifiers, list) else [identifiers]:
        if isinstance(item, Mapping) and isinstance(item.get("identityHash"), str):
            return str(item["identityHash"])
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
