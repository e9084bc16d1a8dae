"""The micro-credential elements of any Open Badges 3.0 credential, for people.

:func:`credential_elements` reads what a credential states under the element names of docs/mapping.md;
an element the credential does not state is ``None``, never guessed. It reads microcred's own terms, the
edubadges terms (``ECTS``, ``assessmentType`` …, ``ext:EQF`` / ``ext:QualityAssurance`` alignments), the
VC Data Model 1.1 shape (``issuanceDate`` / ``expirationDate``) and plain OB 3.0 credentials.
:func:`elements_text` renders them in plain language for an employer.

**What is shown is what was signed.** RDF canonicalization signs *sets*: reordering an array leaves a
Data Integrity proof valid, so nothing here depends on array order. Every list is shown sorted; where a
credential states several values for one element (two level alignments, two results, two subjects)
that element is the list of them all, never "the first"; a result's scale is the ``resultDescription``
it names by id. The one ordered array, ``allowedValue`` under the OB 3.0.2 and later contexts (an
``@list``, so its order is signed), keeps its order.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..model.vocabularies import LEVEL_URLS

#: Element names in report order, with their plain-language labels.
ELEMENT_LABELS: dict[str, str] = {
    "learner": "Learner",
    "title": "Title",
    "country": "Country of the awarding body",
    "awarding_body": "Awarding body",
    "issued": "Date of issue",
    "learning_outcomes": "Learning outcomes",
    "workload": "Notional workload",
    "level": "Level",
    "assessment": "Type of assessment",
    "participation": "Form of participation",
    "quality_assurance": "Quality assurance",
    "credit": "Credit",
    "prerequisites": "Prerequisites",
    "supervision": "Supervision and identity verification",
    "grade": "Grade",
    "stackability": "Stackability",
    "evidence": "Evidence",
    "expires": "Expires",
}
ELEMENT_NAMES: tuple[str, ...] = tuple(ELEMENT_LABELS)

_LEVEL_TYPES = {
    "ext:eqf": "EQF",
    "ext:nqf": "NQF",
    "ext:aqf": "AQF",
    "ext:rqf": "RQF",
    "ext:cqfw": "CQFW",
    "ext:scqf": "SCQF",
    "ext:fheq": "FHEQ",
}
_OUTCOME_TYPES = {"ext:learningoutcome", "ceasn:competency", "cfitem", "ext:skill", "ext:competency"}
_QA_TYPES = {"ext:qualityassurance"}
#: Contexts in which ``allowedValue`` is an ``@list`` (its order signed); under 3.0.0/3.0.1 it is a set.
_ORDERED_ALLOWED_VALUE = {
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
}


def _order_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _sorted(values: list[Any]) -> list[Any]:
    """``values`` in a canonical order: the order a signer gave is not signed, so it is not shown."""
    return sorted(values, key=_order_key)


def _every(values: list[Any]) -> Any:
    """The distinct non-empty ``values``: None, the one value, or all of them in canonical order."""
    distinct = {_order_key(v): v for v in values if v is not None}
    found = [distinct[k] for k in sorted(distinct)]
    return None if not found else found[0] if len(found) == 1 else found


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, dict):  # a language map or value object: take the value
        inner = value.get("@value")
        return inner if isinstance(inner, str) else None
    return None


def _num(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _id(value: Any) -> str | None:
    return _str(value) if isinstance(value, str) else _str(_obj(value).get("id"))


def _clean(data: dict[str, Any]) -> dict[str, Any] | None:
    out = {k: v for k, v in data.items() if v is not None and v != [] and v != {}}
    return out or None


def _subjects(credential: dict[str, Any]) -> list[dict[str, Any]]:
    subjects = [_obj(s) for s in _list(credential.get("credentialSubject"))]
    return subjects or [{}]


def _learner(subject: dict[str, Any]) -> dict[str, Any] | None:
    identities = []
    for ident in _list(subject.get("identifier")):
        ident = _obj(ident)
        identities.append(
            _clean(
                {
                    "identity_type": _str(ident.get("identityType")),
                    "identity_hash": _str(ident.get("identityHash")),
                    "hashed": ident.get("hashed") if isinstance(ident.get("hashed"), bool) else None,
                    "salt": _str(ident.get("salt")),
                }
            )
        )
    named = [i for i in identities if i and i.get("identity_type") == "name" and i.get("hashed") is not True]
    name = _str(subject.get("name")) or (named[0].get("identity_hash") if named else None)
    return _clean(
        {
            "id": _str(subject.get("id")),
            "name": name,  # OB 3.0: an IdentityObject of type name (earlier credentials: subject.name)
            "identities": _sorted([i for i in identities if i and i not in named]),
        }
    )


def _awarding_body(issuer: Any) -> dict[str, Any] | None:
    if isinstance(issuer, str):
        return {"id": issuer}
    issuer = _obj(issuer)
    others = []
    for o in _list(issuer.get("otherIdentifier")):
        o = _obj(o)
        if _str(o.get("identifier")):
            others.append(_clean({"identifier": o["identifier"], "type": _str(o.get("identifierType"))}))
    return _clean(
        {
            "id": _str(issuer.get("id")),
            "name": _str(issuer.get("name")),
            "url": _str(issuer.get("url")),
            "email": _str(issuer.get("email")),
            "other_identifiers": _sorted(others),
            "image": _id(issuer.get("image")),
            "description": _str(issuer.get("description")),
            "region": _str(_obj(issuer.get("address")).get("addressRegion")),
        }
    )


def _country(issuer: Any) -> str | None:
    address = _obj(_obj(issuer).get("address"))
    return _str(address.get("addressCountryCode")) or _str(address.get("addressCountry"))


def _alignments(achievement: dict[str, Any]) -> list[dict[str, Any]]:
    return [_obj(a) for a in _list(achievement.get("alignment")) if isinstance(a, dict)]


def _target_type(alignment: dict[str, Any]) -> str:
    return (_str(alignment.get("targetType")) or "").lower()


def _outcomes(achievement: dict[str, Any]) -> list[Any] | None:
    out: list[Any] = []
    own_id = _str(achievement.get("id"))
    for a in _alignments(achievement):
        url = _str(a.get("targetUrl"))
        esco = bool(url and "data.europa.eu/esco/skill" in url)
        if _target_type(a) not in _OUTCOME_TYPES and not esco:
            continue
        statement = _str(a.get("targetName"))
        if statement is None:
            continue
        entry = _clean(
            {
                "statement": statement,
                "url": url
                if url != own_id
                else None,  # microcred points outcomes without a URL at the achievement
                "framework": _str(a.get("targetFramework")),
                "code": _str(a.get("targetCode")),
            }
        )
        out.append(statement if entry == {"statement": statement} else entry)
    return _sorted(out) or None


def _level(achievement: dict[str, Any]) -> Any:
    levels = []
    for a in _alignments(achievement):
        framework = _LEVEL_TYPES.get(_target_type(a))
        code = _str(a.get("targetCode"))
        if framework is None or code is None:
            continue
        level: int | str = int(code) if code.isascii() and code.isdecimal() else code  # not '²'
        country = None
        if framework == "NQF":
            found = re.search(r"\(([A-Z]{2})\)\s*$", _str(a.get("targetFramework")) or "")
            country = found.group(1) if found else None
        url = _str(a.get("targetUrl"))
        levels.append(
            _clean(
                {
                    "framework": framework,
                    "level": level,
                    "country": country,
                    "url": None if url == LEVEL_URLS[framework] else url,
                }
            )
        )
    return _every(levels)


def _quality_assurance(achievement: dict[str, Any]) -> Any:
    return _every(
        [
            _clean(
                {
                    "body": _str(a.get("targetName")),
                    "url": _str(a.get("targetUrl")),
                    "framework": _str(a.get("targetFramework")),
                    "description": _str(a.get("targetDescription")),
                    "type": _str(achievement.get("qualityAssuranceType")),
                    "registry_id": _str(a.get("targetCode")),
                    "decision_url": _str(achievement.get("qualityAssuranceDecision")),
                }
            )
            for a in _alignments(achievement)
            if _target_type(a) in _QA_TYPES
        ]
    )


def _workload(achievement: dict[str, Any]) -> dict[str, Any] | None:
    credits = _num(achievement.get("creditsAvailable"))
    ects = _num(achievement.get("ECTS"))
    system = _str(achievement.get("creditSystem"))
    if credits is None and ects is not None:
        credits = ects
    if system is None and ects is not None and (credits == ects):
        system = "ECTS"
    return _clean(
        {"hours": _num(achievement.get("workloadHours")), "credits": credits, "credit_system": system}
    )


def _typed(achievement: dict[str, Any], kind: str) -> dict[str, Any] | None:
    value = achievement.get(f"{kind}Type")
    several = _sorted([t for t in (_str(v) for v in value) if t]) if isinstance(value, list) else []
    return _clean(
        {
            "type": (several if len(several) > 1 else several[0]) if several else _str(value),
            "description": _str(achievement.get(f"{kind}Description")),
        }
    )


def _credit(achievement: dict[str, Any], subject: dict[str, Any]) -> dict[str, Any] | None:
    bearing = achievement.get("creditBearing")
    quals = []
    for q in _list(achievement.get("countsToward")):
        q = _obj(q)
        quals.append(
            _clean(
                {
                    "name": _str(q.get("name")),
                    "id": _str(q.get("id")),
                    "url": _str(q.get("url")),
                    "credits": _num(q.get("creditValue")),
                    "credit_system": _str(q.get("creditSystem")),
                }
            )
        )
    return _clean(
        {
            "credit_bearing": bearing if isinstance(bearing, bool) else None,
            "counts_toward": _sorted([q for q in quals if q]),
            "credits_earned": _num(subject.get("creditsEarned")),
        }
    )


def _supervision(achievement: dict[str, Any]) -> dict[str, Any] | None:
    checked = achievement.get("identityChecked")
    return _clean(
        {
            "type": _str(achievement.get("supervisionType")),
            "identity_checked": checked if isinstance(checked, bool) else None,
            "description": _str(achievement.get("supervisionDescription")),
        }
    )


def _grade(achievement: dict[str, Any], subject: dict[str, Any], ordered_allowed: bool) -> Any:
    """Each result with a value (else each result), with the scale it names by id (the only scale when it
    names none); with no results, each scale."""
    scales = [_obj(d) for d in _list(achievement.get("resultDescription")) if isinstance(d, dict)]
    results = [_obj(r) for r in _list(subject.get("result")) if isinstance(r, dict)]
    valued = [r for r in results if _str(r.get("value"))]
    results = valued or results  # a grade is a value; results stating only a status add none
    if not results:
        return _every([_one_grade(scale, {}, ordered_allowed) for scale in scales])
    grades = []
    for result in results:
        wanted = _id(result.get("resultDescription"))
        named = [s for s in scales if wanted and s.get("id") == wanted]
        scale = named[0] if len(named) == 1 else scales[0] if not wanted and len(scales) == 1 else {}
        grades.append(_one_grade(scale, result, ordered_allowed))
    return _every(grades)


def _one_grade(scale: dict[str, Any], result: dict[str, Any], ordered_allowed: bool) -> dict[str, Any] | None:
    allowed = [v for v in _list(scale.get("allowedValue")) if isinstance(v, str)]
    if not ordered_allowed:
        allowed = _sorted(allowed)
    return _clean(
        {
            "name": _str(scale.get("name")),
            "type": _str(scale.get("resultType")),
            "min": _str(scale.get("valueMin")),
            "max": _str(scale.get("valueMax")),
            "pass": _str(scale.get("requiredValue")),
            "allowed": allowed,
            "value": _str(result.get("value")),
        }
    )


def _stackability(achievement: dict[str, Any]) -> dict[str, Any] | None:
    def items(key: str) -> list[dict[str, Any]]:
        out = []
        for item in _list(achievement.get(key)):
            entry = (
                {"id": item}
                if isinstance(item, str)
                else _clean({"id": _id(item), "name": _str(_obj(item).get("name"))})
            )
            if entry:
                out.append(entry)
        return out

    return _clean(
        {
            "built_from": _sorted(items("builtFrom")),
            "stacks_into": _sorted(items("stacksInto")),
            "integration": _str(achievement.get("integration")),
        }
    )


def _evidence(credential: dict[str, Any]) -> list[dict[str, Any]] | None:
    out = []
    for e in _list(credential.get("evidence")):
        entry = (
            {"id": e}
            if isinstance(e, str)
            else _clean(
                {key: _str(_obj(e).get(key)) for key in ("id", "name", "narrative", "genre", "description")}
            )
        )
        if entry:
            out.append(entry)
    return _sorted(out) or None


def credential_elements(credential: dict[str, Any]) -> dict[str, Any]:
    """The micro-credential elements ``credential`` states, keyed by every name in :data:`ELEMENT_NAMES`.

    Values are JSON-ready (the same shapes as the definition format); an element not stated is ``None``.
    No value depends on the order of an array (see the module's note): lists come sorted, and an element
    the credential states several times (several subjects, results or level alignments) is the list of
    every distinct value.
    """
    if not isinstance(credential, dict):
        raise TypeError("a credential is a JSON object")
    contexts = _list(credential.get("@context"))
    ordered = any(isinstance(c, str) and c in _ORDERED_ALLOWED_VALUE for c in contexts)
    per_subject = [_subject_elements(credential, subject, ordered) for subject in _subjects(credential)]
    issuer = credential.get("issuer")
    merged = (
        per_subject[0]
        if len(per_subject) == 1
        else {
            name: _union([found[name] for found in per_subject])
            if name in _LIST_ELEMENTS
            else _every([v for found in per_subject for v in _list(found[name])])
            for name in _SUBJECT_ELEMENTS
        }
    )
    return {
        "learner": merged["learner"],
        "title": merged["title"],
        "country": _country(issuer),
        "awarding_body": _awarding_body(issuer),
        "issued": _str(credential.get("validFrom"))
        or _str(credential.get("issuanceDate"))
        or _str(credential.get("awardedDate")),
        **{name: merged[name] for name in _SUBJECT_ELEMENTS if name not in ("learner", "title")},
        "evidence": _evidence(credential),
        "expires": _str(credential.get("validUntil")) or _str(credential.get("expirationDate")),
    }


def _union(lists: list[Any]) -> list[Any] | None:
    """Every distinct item of the (list or None) ``lists``, in canonical order."""
    distinct = {_order_key(v): v for values in lists for v in values or []}
    return [distinct[k] for k in sorted(distinct)] or None


#: The elements read from a credential subject (and its achievement), in report order.
_SUBJECT_ELEMENTS = (
    "learner",
    "title",
    "learning_outcomes",
    "workload",
    "level",
    "assessment",
    "participation",
    "quality_assurance",
    "credit",
    "prerequisites",
    "supervision",
    "grade",
    "stackability",
)


def _subject_elements(credential: dict[str, Any], subject: dict[str, Any], ordered: bool) -> dict[str, Any]:
    achievement = _obj(subject.get("achievement"))
    prerequisites = [p for p in _list(achievement.get("prerequisites")) if isinstance(p, str)]
    found = {
        "learner": _learner(subject),
        "title": _str(achievement.get("name")) or _str(credential.get("name")),
        "learning_outcomes": _outcomes(achievement),
        "workload": _workload(achievement),
        "level": _level(achievement),
        "assessment": _typed(achievement, "assessment"),
        "participation": _typed(achievement, "participation"),
        "quality_assurance": _quality_assurance(achievement),
        "credit": _credit(achievement, subject),
        "prerequisites": _sorted(prerequisites) or None,
        "supervision": _supervision(achievement),
        "grade": _grade(achievement, subject, ordered),
        "stackability": _stackability(achievement),
    }
    return {name: found[name] for name in _SUBJECT_ELEMENTS}


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


#: Elements whose value is a list by nature; any other element given as a list states several values.
_LIST_ELEMENTS = frozenset({"learning_outcomes", "prerequisites", "evidence"})


def _describe(name: str, value: Any) -> str:
    if isinstance(value, list) and name not in _LIST_ELEMENTS:
        return "".join(f"\n  - {_describe(name, one)}" for one in value)
    if name == "learner":
        parts = [value.get("name"), value.get("id")]
        for ident in value.get("identities", []):
            kind = ident.get("identity_type", "identity")
            if ident.get("hashed"):
                parts.append(f"{kind} (hashed; it can be checked against an address you are given)")
            else:
                parts.append(f"{kind} {ident.get('identity_hash', '')}".strip())
        return "; ".join(p for p in parts if p)
    if name == "awarding_body":
        bits = [value.get("name") or value.get("id")]
        for key in ("url", "email"):
            if value.get(key):
                bits.append(value[key])
        bits += [
            f"{o.get('type', 'identifier')} {o['identifier']}" for o in value.get("other_identifiers", [])
        ]
        return "; ".join(b for b in bits if b)
    if name == "learning_outcomes":
        return "".join(f"\n  - {o if isinstance(o, str) else o['statement']}" for o in value)
    if name == "workload":
        bits = []
        if "hours" in value:
            bits.append(f"{_number(value['hours'])} hours")
        if "credits" in value:
            bits.append(f"{_number(value['credits'])} {value.get('credit_system', 'credits')}".strip())
        return ", ".join(bits)
    if name == "level":
        where = f" ({value['country']})" if value.get("country") else ""
        return f"{value['framework']}{where} level {value['level']}"
    if name in ("assessment", "participation"):
        kind = value.get("type")
        shown = {**value, "type": ", ".join(kind)} if isinstance(kind, list) else value
        return " — ".join(str(shown[k]) for k in ("type", "description") if k in shown)
    if name == "quality_assurance":
        keys = ("body", "type", "framework", "description", "registry_id", "url", "decision_url")
        return "; ".join(str(value[k]) for k in keys if k in value)
    if name == "credit":
        bits = []
        if "credit_bearing" in value:
            bits.append("credit-bearing" if value["credit_bearing"] else "not credit-bearing")
        for q in value.get("counts_toward", []):
            amount = (
                f" ({_number(q['credits'])} {q.get('credit_system', 'credits')})" if "credits" in q else ""
            )
            bits.append(f"counts toward {q.get('name', q.get('id', '?'))}{amount}")
        if "credits_earned" in value:
            bits.append(f"{_number(value['credits_earned'])} credits earned")
        return "; ".join(bits)
    if name == "prerequisites":
        return "".join(f"\n  - {p}" for p in value)
    if name == "supervision":
        bits = [value["type"]] if "type" in value else []
        if "identity_checked" in value:
            bits.append("identity checked" if value["identity_checked"] else "identity not checked")
        if "description" in value:
            bits.append(value["description"])
        return "; ".join(bits)
    if name == "grade":
        scale = value.get("name")
        if "min" in value or "max" in value:
            scale = f"{scale or 'scale'} {value.get('min', '?')}–{value.get('max', '?')}"
        if "pass" in value:
            scale = f"{scale or 'scale'}, pass mark {value['pass']}"
        if value.get("allowed"):
            scale = f"{scale or 'scale'} ({', '.join(value['allowed'])})"
        if "value" in value:
            return str(value["value"]) + (f" on {scale}" if scale else "")
        return f"no grade stated (scale: {scale})" if scale else "Not stated"
    if name == "stackability":
        bits = []
        if value.get("built_from"):
            bits.append(
                "built from " + ", ".join(s.get("name", s.get("id", "?")) for s in value["built_from"])
            )
        if value.get("stacks_into"):
            bits.append(
                "stacks into " + ", ".join(s.get("name", s.get("id", "?")) for s in value["stacks_into"])
            )
        if value.get("integration"):
            bits.append(str(value["integration"]))
        return "; ".join(bits)
    if name == "evidence":
        return "".join(
            "\n  - " + " — ".join(e[k] for k in ("name", "narrative", "description", "id") if k in e)
            for e in value
        )
    return str(value)


def describe_element(name: str, value: Any) -> str:
    """One element's value (as :func:`credential_elements` gives it) in plain language."""
    return _describe(name, value)


def elements_text(elements: dict[str, Any]) -> str:
    """Plain text, one element per line in :data:`ELEMENT_NAMES` order; absent ones say "Not stated"."""
    lines = []
    for name, label in ELEMENT_LABELS.items():
        value = elements.get(name)
        text = "Not stated" if value is None else (_describe(name, value) or "Not stated")
        lines.append(f"{label}:{'' if text.startswith(chr(10)) else ' '}{text}")
    return "\n".join(lines) + "\n"
