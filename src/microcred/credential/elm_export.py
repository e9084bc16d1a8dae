"""Export an Open Badges 3.0 micro-credential as a European Learning Model (ELM v3) credential.

:func:`elm_credential` maps what the credential states onto the shape of the Commission's European
Digital Credential (EDC) application profile, modelled on its Annex I sample: the issuer as an
``Organisation`` with its legal identifier, the learner as a ``Person`` whose claim is a
``LearningAchievement`` specified by a ``LearningAchievementSpecification`` (outcomes, EQF/NQF levels,
credit, volume of learning, mode, language) and, with a grade, proven by a ``LearningAssessment``.
Controlled values become the ELM concepts of :mod:`microcred.model.elm`; a value with no concept is kept
as a note, never approximated. The result is unsigned: Europass seals EDCs itself.
"""

from __future__ import annotations

import base64
from typing import Any

from ..baking.badge import default_badge_svg
from ..errors import InputError
from ..model import elm
from .inspection import credential_elements

#: The contexts an EDC credential uses (the second is the EDC application profile's).
ELM_CONTEXT = ["https://www.w3.org/2018/credentials/v1", "http://data.europa.eu/snb/model/context/edc-ap"]
EDC_SHAPES = "http://data.europa.eu/snb/model/ap/edc-generic-full"

_SNB = "http://data.europa.eu/snb"
_AUTHORITY = "http://publications.europa.eu/resource/authority"

#: ISO 3166-1 alpha-2 -> the EU country authority code (alpha-3) for the countries microcred exports.
COUNTRY_AUTHORITY: dict[str, str] = {
    "AT": "AUT", "AU": "AUS", "BE": "BEL", "BG": "BGR", "CA": "CAN", "CH": "CHE", "CY": "CYP",
    "CZ": "CZE", "DE": "DEU", "DK": "DNK", "EE": "EST", "ES": "ESP", "FI": "FIN", "FR": "FRA",
    "GB": "GBR", "GR": "GRC", "HR": "HRV", "HU": "HUN", "IE": "IRL", "IS": "ISL", "IT": "ITA",
    "LI": "LIE", "LT": "LTU", "LU": "LUX", "LV": "LVA", "MT": "MLT", "NL": "NLD", "NO": "NOR",
    "NZ": "NZL", "PL": "POL", "PT": "PRT", "RO": "ROU", "SE": "SWE", "SI": "SVN", "SK": "SVK",
    "US": "USA", "ZA": "ZAF",
}  # fmt: skip

#: BCP 47 primary language -> the EU language authority code.
LANGUAGE_AUTHORITY: dict[str, str] = {
    "bg": "BUL", "cs": "CES", "da": "DAN", "de": "DEU", "el": "ELL", "en": "ENG", "es": "SPA",
    "et": "EST", "fi": "FIN", "fr": "FRA", "ga": "GLE", "hr": "HRV", "hu": "HUN", "it": "ITA",
    "lt": "LIT", "lv": "LAV", "mt": "MLT", "nl": "NLD", "pl": "POL", "pt": "POR", "ro": "RON",
    "sk": "SLK", "sl": "SLV", "sv": "SWE",
}  # fmt: skip


def _s(value: Any) -> str | None:
    """A non-empty string from the credential, else None (what a hostile credential holds is not trusted)."""
    return value if isinstance(value, str) and value.strip() else None


def _concept(iri: str, scheme: str, label: str | None = None, lang: str = "en") -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": iri,
        "type": "Concept",
        "inScheme": {"id": scheme, "type": "ConceptScheme"},
    }
    if label:
        node["prefLabel"] = {lang: label}
    return node


def _country(code: str | None, where: str) -> dict[str, Any]:
    if code is None:
        raise InputError(f"ELM needs the {where}'s country; the credential states none", path=where)
    if code not in COUNTRY_AUTHORITY:
        raise InputError(f"country {code!r} is not one microcred maps to the EU country table", path=where)
    return _concept(f"{_AUTHORITY}/country/{COUNTRY_AUTHORITY[code]}", f"{_AUTHORITY}/country")


def _language(tag: str | None) -> tuple[str, dict[str, Any]]:
    primary = (tag or "en").split("-", 1)[0].lower()
    code = LANGUAGE_AUTHORITY.get(primary)
    if code is None:
        raise InputError(
            f"language {tag!r} is not one microcred maps to the EU language table", path="language"
        )
    return primary, _concept(f"{_AUTHORITY}/language/{code}", f"{_AUTHORITY}/language")


def _organisation(profile: dict[str, Any], country: str | None, lang: str, where: str) -> dict[str, Any]:
    org_id = _s(profile.get("id"))
    if org_id is None:
        raise InputError(f"the {where} has no id", path=where)
    spatial = _country(country, where)
    listed = profile.get("otherIdentifier")
    listed = listed if isinstance(listed, list) else [listed]
    others = [o for o in listed if isinstance(o, dict) and _s(o.get("identifier"))]
    node: dict[str, Any] = {
        "id": org_id,
        "type": "Organisation",
        "legalName": {lang: _s(profile.get("name")) or org_id},
        "location": {
            "id": f"{org_id}#location",
            "type": "Location",
            "address": {"id": f"{org_id}#address", "type": "Address", "countryCode": spatial},
        },
    }
    if others:
        node["elm:eidasLegalIdentifier"] = {  # in the EDC shapes, not yet in the EDC context
            "id": f"{org_id}#legal-identifier",
            "type": "LegalIdentifier",
            "notation": str(others[0]["identifier"]),
            "spatial": spatial,
        }
    if _s(profile.get("url")):
        node["homepage"] = {"id": f"{org_id}#homepage", "type": "WebResource", "contentURL": profile["url"]}
    return node


def _note(node_id: str, text: str, lang: str) -> dict[str, Any]:
    return {"id": node_id, "type": "Note", "noteLiteral": {lang: text}}


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _levels(spec: dict[str, Any], level: Any) -> None:
    for lv in level if isinstance(level, list) else [level] if level else []:
        framework, code = lv.get("framework"), lv.get("level")
        if framework == "EQF" and isinstance(code, int):
            spec["eqfLevel"] = _concept(elm.eqf_iri(code), f"{_SNB}/eqf/25831c2", f"Level {code}")
        iri = None
        if framework == "NQF":
            iri = elm.nqf_iri(lv.get("country") or "", code)
        elif framework in ("RQF", "CQFW", "SCQF"):
            iri = elm.uk_iri(framework, code)
        if iri is not None:
            spec.setdefault("nqfLevel", []).append(_concept(iri, f"{_SNB}/qdr/25831c2"))


def _specification(e: dict[str, Any], achievement: dict[str, Any], lang: str) -> dict[str, Any]:
    aid = _s(achievement.get("id")) or "urn:epass:learningAchievementSpec:1"
    spec: dict[str, Any] = {
        "id": aid,
        "type": "LearningAchievementSpecification",
        "title": {lang: e.get("title") or "Untitled"},
    }
    if _s(achievement.get("description")):
        spec["description"] = {lang: achievement["description"]}
    outcomes = []
    for i, o in enumerate(e.get("learning_outcomes") or [], 1):
        outcome: dict[str, Any] = {
            "id": f"{aid}#outcome-{i}",
            "type": "LearningOutcome",
            "title": {lang: o if isinstance(o, str) else o["statement"]},
        }
        url = None if isinstance(o, str) else o.get("url")
        if url and url.startswith("http://data.europa.eu/esco/skill/"):
            outcome["relatedESCOSkill"] = _concept(url, "http://data.europa.eu/esco/concept-scheme/skills")
        outcomes.append(outcome)
    if outcomes:
        spec["learningOutcome"] = outcomes
    _levels(spec, e.get("level"))
    workload = e.get("workload") or {}
    if "hours" in workload:
        spec["volumeOfLearning"] = f"PT{_number(workload['hours'])}H"
    system = workload.get("credit_system")
    framework = elm.credit_system_iri(system) if isinstance(system, str) else None
    if framework is not None and "credits" in workload:
        spec["creditPoint"] = {
            "id": f"{aid}#credit",
            "type": "CreditPoint",
            "framework": _concept(framework, f"{_SNB}/education-credit/25831c2"),
            "point": _number(workload["credits"]),
        }
    participation = e.get("participation") or {}
    mode = elm.PARTICIPATION.get(str(participation.get("type")))
    if mode is not None:
        spec["mode"] = _concept(mode, f"{_SNB}/learning-assessment/25831c2", elm.LABELS.get(mode))
    if e.get("prerequisites"):
        spec["entryRequirement"] = _note(f"{aid}#entry", "; ".join(e["prerequisites"]), lang)
    notes = []
    for name, label in (
        ("assessment", "Type of assessment"),
        ("participation", "Form of participation"),
        ("quality_assurance", "Quality assurance"),
        ("supervision", "Supervision and identity verification"),
    ):
        value = e.get(name)
        if value:
            parts = [", ".join(v) if isinstance(v, list) else str(v) for v in value.values()]
            notes.append(_note(f"{aid}#note-{name}", f"{label}: {'; '.join(parts)}", lang))
    if notes:
        spec["additionalNote"] = notes
    return spec


def elm_credential(credential: dict[str, Any], *, image: bytes | None = None) -> dict[str, Any]:
    """The ELM v3 (EDC) JSON-LD form of an OB 3.0 micro-credential; ``image`` is the display image (SVG,
    default: microcred's badge). Raises :class:`~microcred.errors.InputError` naming what ELM needs."""
    e = credential_elements(credential)
    for name, value in e.items():
        if isinstance(value, list) and name not in (
            "learning_outcomes",
            "prerequisites",
            "evidence",
            "level",
        ):
            raise InputError(
                f"the credential states several values for {name} (several subjects or results); an ELM "
                "credential describes one achievement",
                path=name,
            )
    issuer = credential.get("issuer")
    if not isinstance(issuer, dict):
        raise InputError("ELM needs the issuer as an object with its name and country", path="issuer")
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if not isinstance(subject, dict) or not isinstance(achievement, dict):
        raise InputError("the credential has no achievement to export", path="credentialSubject.achievement")
    lang, language = _language(_s(achievement.get("inLanguage")))
    org = _organisation(issuer, e.get("country"), lang, "issuer")
    if "elm:eidasLegalIdentifier" not in org:
        raise InputError(
            "ELM needs the issuer's legal identifier: give the issuer an other_identifiers entry "
            "(its registration number)",
            path="issuer.otherIdentifier",
        )
    body = org
    creator = achievement.get("creator")
    if isinstance(creator, dict):
        address = creator.get("address")
        country = _s(address.get("addressCountryCode")) if isinstance(address, dict) else None
        body = _organisation(creator, country or e.get("country"), lang, "achievement.creator")
    cid = _s(credential.get("id")) or "urn:epass:credential:1"
    awarding = {"id": f"{cid}#awarding", "type": "AwardingProcess", "awardingBody": body}
    claim: dict[str, Any] = {
        "id": f"{cid}#achievement",
        "type": "LearningAchievement",
        "title": {lang: e.get("title") or "Untitled"},
        "awardedBy": awarding,
        "specifiedBy": _specification(e, achievement, lang),
    }
    grade = (e.get("grade") or {}).get("value")
    if grade is not None:
        claim["provenBy"] = {
            "id": f"{cid}#assessment",
            "type": "LearningAssessment",
            "title": {lang: f"Assessment for {e.get('title')}"},
            "grade": _note(f"{cid}#grade", str(grade), lang),
            "awardedBy": awarding,
        }
        check = elm.SUPERVISION.get(str((e.get("supervision") or {}).get("type")))
        if check is not None:
            claim["provenBy"]["idVerification"] = _concept(
                check, f"{_SNB}/supervision-verification/25831c2", elm.LABELS.get(check)
            )
    person: dict[str, Any] = {"type": "Person", "hasClaim": claim}
    if isinstance(subject.get("id"), str):
        person["id"] = subject["id"]
    learner = e.get("learner") or {}
    if learner.get("name"):
        person["fullName"] = {lang: learner["name"]}
    title = e.get("title") or "Micro-credential"
    svg = image or default_badge_svg(title, issuer_name=_s(issuer.get("name")) or "").encode("utf-8")
    display = {
        "id": f"{cid}#display",
        "type": "DisplayParameter",
        "title": {lang: e.get("title") or "Untitled"},
        "language": language,
        "primaryLanguage": language,
        "individualDisplay": {
            "id": f"{cid}#display-{lang}",
            "type": "IndividualDisplay",
            "language": language,
            "displayDetail": {
                "id": f"{cid}#display-detail-1",
                "type": "DisplayDetail",
                "page": 1,
                "image": {
                    "id": f"{cid}#display-image-1",
                    "type": "MediaObject",
                    "content": base64.b64encode(svg).decode("ascii"),
                    "contentEncoding": _concept(
                        f"{_SNB}/encoding/6146cde7dd", f"{_SNB}/encoding/25831c2", "base64"
                    ),
                    "contentType": _concept(f"{_AUTHORITY}/file-type/SVG", f"{_AUTHORITY}/file-type", "SVG"),
                },
            },
        },
    }
    issued = e.get("issued")
    if issued is None:
        raise InputError("ELM needs the date of issue; the credential states none", path="validFrom")
    out: dict[str, Any] = {
        "@context": list(ELM_CONTEXT),
        "id": cid,
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialProfiles": _concept(
            f"{_SNB}/credential/e34929035b", f"{_SNB}/credential/25831c2", "Generic"
        ),
        "credentialSchema": {"id": EDC_SHAPES, "type": "ShaclValidator2017"},
        "displayParameter": display,
        "issuer": org,
        "issued": _s(credential.get("awardedDate")) or issued,
        "validFrom": issued,
        "credentialSubject": person,
    }
    if e.get("expires"):
        out["validUntil"] = e["expires"]
    return out
