"""VC Data Model 2.0 conformance of a credential's shape: what ``sign()`` refuses and ``verify()`` fails.

These are the data model's own MUSTs (W3C VCDM 2.0 §4), independent of Open Badges: the base context
first, ``VerifiableCredential`` among the types, an issuer that is a URL, at least one subject claim,
date-times with a timezone and in order, a ``type`` on every status, terms-of-use, evidence, refresh
and schema entry, and well-formed ``relatedResource`` entries. Each problem names its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .. import _time

V2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
V1_CONTEXT: Final = "https://www.w3.org/2018/credentials/v1"
#: Properties whose every entry must carry a ``type`` (VCDM 2.0 §4.10–4.13, §5.4).
TYPED_ENTRIES: Final = ("credentialStatus", "termsOfUse", "evidence", "refreshService", "credentialSchema")
_URL: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_SRI: Final = re.compile(r"^(sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One departure from VCDM 2.0: the field's path and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def is_url(value: object) -> bool:
    """Whether ``value`` is a string that is an absolute URL (a scheme, then no spaces)."""
    return isinstance(value, str) and bool(_URL.match(value))


def _entries(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _types(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_type(node: Mapping[str, Any], path: str, out: list[Problem]) -> None:
    t = node.get("type")
    if t is None or t == [] or t == "":
        out.append(Problem(f"{path}.type", "missing: every such entry must say its type"))
    elif not all(isinstance(x, str) and x for x in _types(t)):
        out.append(Problem(f"{path}.type", "must be a string or an array of strings"))


def _check_dates(doc: Mapping[str, Any], out: list[Problem]) -> None:
    parsed = {}
    for name in ("validFrom", "validUntil"):
        if name not in doc:
            continue
        value = doc[name]
        if not isinstance(value, str) or not _time.is_datetime_stamp(value):
            out.append(
                Problem(name, f"{value!r} is not an XML Schema dateTimeStamp (e.g. 2026-01-01T00:00:00Z)")
            )
        else:
            parsed[name] = _time.parse(value)
    if len(parsed) == 2 and parsed["validFrom"] > parsed["validUntil"]:
        out.append(Problem("validUntil", f"{doc['validUntil']} is before validFrom {doc['validFrom']}"))


def _check_related(value: Any, out: list[Problem]) -> None:
    if value == [] or not isinstance(value, (list, Mapping)):
        out.append(Problem("relatedResource", "must be one or more objects"))
        return
    seen: set[str] = set()
    for i, item in enumerate(_entries(value)):
        path = "relatedResource" + (f"[{i}]" if isinstance(value, list) else "")
        if not isinstance(item, Mapping):
            out.append(Problem(path, "must be an object with id and digestSRI or digestMultibase"))
            continue
        rid = item.get("id")
        if not is_url(rid):
            out.append(Problem(f"{path}.id", f"{rid!r} is not a URL"))
        elif rid in seen:
            out.append(Problem(f"{path}.id", f"{rid} is listed twice"))
        else:
            seen.add(str(rid))
        sri, mb = item.get("digestSRI"), item.get("digestMultibase")
        if sri is None and mb is None:
            out.append(Problem(path, "has neither digestSRI nor digestMultibase"))
        if sri is not None and not (isinstance(sri, str) and _SRI.match(sri)):
            out.append(Problem(f"{path}.digestSRI", f"{sri!r} is not sha256-/sha384-/sha512-<base64>"))
        if mb is not None and not (isinstance(mb, str) and mb[:1] in ("u", "z") and len(mb) > 8):
            out.append(Problem(f"{path}.digestMultibase", f"{mb!r} is not a multibase multihash"))


def vcdm_problems(doc: object, *, allow_v1: bool = False, check_ids: bool = True) -> list[Problem]:
    """Every VCDM 2.0 departure of ``doc`` (a credential, proof aside); empty when it conforms.

    ``allow_v1`` accepts a VCDM 1.1 credential (base context v1, ``issuanceDate``) as verifiers must.
    ``check_ids=False`` leaves the ``id`` values of the credential, its subjects and its typed entries to
    JSON-LD safe mode, which refuses a relative IRI by path when a Data Integrity proof is made (the
    issuer and ``relatedResource`` ids are checked here always).
    """
    if not isinstance(doc, Mapping):
        return [Problem("(credential)", "a credential must be a JSON object")]
    out: list[Problem] = []
    ctx = doc.get("@context")
    first = ctx[0] if isinstance(ctx, list) and ctx else ctx
    v1 = allow_v1 and first == V1_CONTEXT
    if not isinstance(ctx, list) or not ctx:
        out.append(Problem("@context", "missing or not an array"))
    elif first != V2_CONTEXT and not v1:
        out.append(Problem("@context[0]", f"must be {V2_CONTEXT}, not {first!r}"))
    if check_ids and "id" in doc and not is_url(doc["id"]):
        out.append(Problem("id", f"{doc['id']!r} is not a URL"))
    types = _types(doc.get("type"))
    if "type" not in doc:
        out.append(Problem("type", "missing"))
    elif not all(isinstance(t, str) for t in types) or "VerifiableCredential" not in types:
        out.append(Problem("type", "must include VerifiableCredential"))
    issuer = doc.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if issuer is None:
        out.append(Problem("issuer", "missing"))
    elif not is_url(issuer_id):
        where = "issuer.id" if isinstance(issuer, Mapping) else "issuer"
        out.append(Problem(where, f"{issuer_id!r} is not a URL"))
    subject = doc.get("credentialSubject")
    subjects = _entries(subject)
    if subject is None:
        out.append(Problem("credentialSubject", "missing"))
    elif subject == [] or not all(isinstance(s, Mapping) and s for s in subjects):
        out.append(Problem("credentialSubject", "must be one or more non-empty objects (claims)"))
    else:
        for i, s in enumerate(subjects):
            if check_ids and "id" in s and not is_url(s["id"]):
                where = "credentialSubject" + (f"[{i}]" if isinstance(subject, list) else "")
                out.append(Problem(f"{where}.id", f"{s['id']!r} is not a URL"))
    if v1:
        if not isinstance(doc.get("issuanceDate"), str) or not _time.is_datetime_stamp(doc["issuanceDate"]):
            out.append(Problem("issuanceDate", "a VCDM 1.1 credential needs an issuanceDate date-time"))
    else:
        _check_dates(doc, out)
    for name in TYPED_ENTRIES:
        if name not in doc:
            continue
        value = doc[name]
        items = _entries(value)
        if value == [] or not all(isinstance(v, Mapping) for v in items):
            out.append(Problem(name, "must be an object or an array of objects"))
            continue
        for i, item in enumerate(items):
            path = name + (f"[{i}]" if isinstance(value, list) else "")
            _check_type(item, path, out)
            if check_ids and "id" in item and not is_url(item["id"]):
                out.append(Problem(f"{path}.id", f"{item['id']!r} is not a URL"))
            if name == "credentialSchema" and ("id" not in item or (check_ids and not is_url(item["id"]))):
                out.append(Problem(f"{path}.id", "missing or not a URL"))
    if "relatedResource" in doc:
        _check_related(doc["relatedResource"], out)
    return out
