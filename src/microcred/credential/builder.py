"""Model -> unsigned Open Badges 3.0 ``OpenBadgeCredential`` (VC Data Model 2.0 shape).

Native Open Badges fields carry every element that has one; the rest go in microcred's extension terms
(schemas/microcred-context-v1.jsonld). docs/mapping.md has the table. Given ``now=`` and
``credential_id=`` the output is fully deterministic.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._time import format_datetime, is_aware
from .._time import now as _now
from ..errors import DefinitionError
from ..jsonld.loader import (
    EXTENSION_CONTEXT_URL,
    EXTENSION_SCHEMAS,
    EXTENSION_V2_CONTEXT_URL,
    extension_terms,
)
from ..model.definition import Definition
from ..model.elements import Achievement, Issuer, Level, OtherIdentifier
from ..model.elm import is_ects
from ..model.learner import Evidence, Recipient, Result
from ..model.profiles import check as check_profiles

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ..model.award import AwardDetails

CREDENTIALS_V2_URL = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT_URL = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
EXTENSIONS_CONTEXT_URL = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
#: The published URL of the 1EdTech AchievementCredential JSON Schema.
OB_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
OB_SCHEMA_VALIDATOR_TYPE = "1EdTechJsonSchemaValidator2019"

#: Alignment ``targetType`` values microcred writes (and reads back).
TARGET_TYPES = {
    "learning_outcome": "ext:LearningOutcome",
    "EQF": "ext:EQF",
    "NQF": "ext:NQF",
    "AQF": "ext:AQF",
    "RQF": "ext:RQF",
    "CQFW": "ext:CQFW",
    "SCQF": "ext:SCQF",
    "FHEQ": "ext:FHEQ",
    "quality_assurance": "ext:QualityAssurance",
}

_ONE_EDTECH_TYPES = ("1EdTechJsonSchemaValidator2019", "1EdTechRevocationList", "1EdTechCredentialRefresh")


def _image(url: str | None) -> dict[str, str] | None:
    return None if url is None else {"id": url, "type": "Image"}


def _clean(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if v is not None and v != []}


def issuer_profile(issuer: Issuer) -> dict[str, Any]:
    """The awarding body as an OB 3.0 ``Profile``."""
    return _clean(
        {
            "id": issuer.id,
            "type": ["Profile"],
            "name": issuer.name,
            "url": issuer.url,
            "email": issuer.email,
            "description": issuer.description,
            "image": _image(issuer.image),
            "address": _clean(
                {"type": ["Address"], "addressCountryCode": issuer.country, "addressRegion": issuer.region}
            )
            if issuer.country or issuer.region
            else None,
            "otherIdentifier": _identifiers(issuer.other_identifiers),
        }
    )


def _identifiers(others: tuple[OtherIdentifier, ...]) -> list[dict[str, Any]]:
    return [
        {"type": "IdentifierEntry", "identifier": o.identifier, "identifierType": o.identifier_type}
        for o in others
    ]


_FRAMEWORK_NAMES = {
    "EQF": "European Qualifications Framework",
    "AQF": "Australian Qualifications Framework",
    "RQF": "Regulated Qualifications Framework (England and Northern Ireland)",
    "CQFW": "Credit and Qualifications Framework for Wales",
    "SCQF": "Scottish Credit and Qualifications Framework",
    "FHEQ": "Framework for Higher Education Qualifications (England, Wales and Northern Ireland)",
}


def _level_alignment(level: Level) -> dict[str, Any]:
    if level.framework == "NQF":
        framework = f"National Qualifications Framework ({level.country})"
        name = f"NQF ({level.country}) level {level.code}"
    else:
        framework, name = _FRAMEWORK_NAMES[level.framework], f"{level.framework} level {level.code}"
    return {
        "type": ["Alignment"],
        "targetType": TARGET_TYPES[level.framework],
        "targetName": name,
        "targetFramework": framework,
        "targetCode": level.code,
        "targetUrl": level.url or level.default_url,
    }


def _alignments(a: Achievement) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for o in a.learning_outcomes:
        out.append(
            _clean(
                {
                    "type": ["Alignment"],
                    "targetType": TARGET_TYPES["learning_outcome"],
                    "targetName": o.statement,
                    "targetFramework": o.framework,
                    "targetCode": o.code,
                    # targetUrl is required; an outcome without its own URL is defined by the achievement.
                    "targetUrl": o.url or a.id,
                }
            )
        )
    out += [_level_alignment(level) for level in a.levels]
    qa = a.quality_assurance
    if qa is not None:
        out.append(
            _clean(
                {
                    "type": ["Alignment"],
                    "targetType": TARGET_TYPES["quality_assurance"],
                    "targetName": qa.body,
                    "targetCode": qa.registry_id,
                    "targetFramework": qa.framework,
                    "targetDescription": qa.description,
                    "targetUrl": qa.url,
                }
            )
        )
    return out


def _narrative(a: Achievement) -> str:
    parts = [a.criteria] if a.criteria else []
    if a.learning_outcomes:
        lines = "\n".join(f"- {o.statement}" for o in a.learning_outcomes)
        parts.append(f"Learning outcomes:\n{lines}")
    return "\n\n".join(parts) or a.description


def _scale_id(a: Achievement) -> str | None:
    if a.grade is None:
        return None
    return a.grade.id or f"{a.id}#grade-scale"


def achievement_node(a: Achievement) -> dict[str, Any]:
    """The OB 3.0 ``Achievement`` object, with microcred's extension terms."""
    node: dict[str, Any] = {
        "id": a.id,
        "type": ["Achievement"],
        "achievementType": a.achievement_type,
        "name": a.title,
        "description": a.description,
        "criteria": _clean({"id": a.criteria_url, "narrative": _narrative(a)}),
        "fieldOfStudy": a.field_of_study,
        "humanCode": a.human_code,
        "otherIdentifier": _identifiers(a.other_identifiers),
        "creator": issuer_profile(a.creator) if a.creator is not None else None,
        "image": _image(a.image),
        "inLanguage": a.language,
        "alignment": _alignments(a),
    }
    w = a.workload
    if w is not None:
        node["creditsAvailable"] = w.credits
        node["creditSystem"] = w.credit_system
        node["workloadHours"] = w.hours
        if is_ects(w.credit_system):
            node["ECTS"] = w.credits  # the edubadges term, so their readers see it too
    if a.grade is not None:
        g = a.grade
        node["resultDescription"] = [
            _clean(
                {
                    "id": _scale_id(a),
                    "type": ["ResultDescription"],
                    "name": g.name,
                    "resultType": g.type,
                    "valueMin": g.min,
                    "valueMax": g.max,
                    "requiredValue": g.pass_value,
                    "allowedValue": list(g.allowed),
                }
            )
        ]
    if a.assessment is not None:
        node["assessmentType"] = (
            list(a.assessment.types) if len(a.assessment.types) > 1 else a.assessment.type
        )
        node["assessmentDescription"] = a.assessment.description
    if a.quality_assurance is not None:
        node["qualityAssuranceType"] = a.quality_assurance.type
        node["qualityAssuranceDecision"] = a.quality_assurance.decision_url
    if a.participation is not None:
        node["participationType"] = a.participation.type
        node["participationDescription"] = a.participation.description
    if a.supervision is not None:
        node["supervisionType"] = a.supervision.type
        node["identityChecked"] = a.supervision.identity_checked
        node["supervisionDescription"] = a.supervision.description
    if a.credit is not None:
        node["creditBearing"] = a.credit.credit_bearing
        node["countsToward"] = [
            _clean(
                {
                    "id": q.id,
                    "name": q.name,
                    "url": q.url,
                    "creditValue": q.credits,
                    "creditSystem": q.credit_system,
                }
            )
            for q in a.credit.counts_toward
        ]
    node["prerequisites"] = list(a.prerequisites)
    if a.stackability is not None:
        node["builtFrom"] = [_clean({"id": s.id, "name": s.name}) for s in a.stackability.built_from]
        node["stacksInto"] = [_clean({"id": s.id, "name": s.name}) for s in a.stackability.stacks_into]
        node["integration"] = a.stackability.integration
    for key, value in a.extra:
        if key in node:
            raise DefinitionError(
                f"extra key {key!r} would overwrite a field microcred writes", path=f"extra.{key}"
            )
        node[key] = value
    return _clean(node)


def _award(a: Achievement, award: AwardDetails | None) -> dict[str, Any]:
    if award is None:
        return {}
    available = a.workload.credits if a.workload is not None else None
    if award.credits_earned is not None and available is not None and award.credits_earned > available:
        raise DefinitionError(
            f"{award.credits_earned:g} credits earned is more than the {available:g} the achievement carries",
            path="credits_earned",
        )
    assessor = award.assessor
    return {
        "activityStartDate": format_datetime(award.activity_start) if award.activity_start else None,
        "activityEndDate": format_datetime(award.activity_end) if award.activity_end else None,
        "creditsEarned": award.credits_earned,
        "source": _clean({"id": assessor.id, "type": ["Profile"], "name": assessor.name})
        if assessor
        else None,
        "componentCredentials": list(award.components),
    }


def _outcome_results(a: Achievement, numbers: tuple[int, ...]) -> list[dict[str, Any]]:
    """One ``Result`` per learning outcome proved, aligned to it (as the achievement's alignment is)."""
    out = []
    for n in numbers:
        if n > len(a.learning_outcomes):
            raise DefinitionError(
                f"there is no learning outcome {n}; the achievement states {len(a.learning_outcomes)}",
                path="outcomes_achieved",
            )
        outcome = a.learning_outcomes[n - 1]
        alignment = {
            "type": ["Alignment"],
            "targetType": TARGET_TYPES["learning_outcome"],
            "targetName": outcome.statement,
            "targetUrl": outcome.url or a.id,
        }
        out.append({"type": ["Result"], "status": "Completed", "alignment": [alignment]})
    return out


def _subject(
    a: Achievement, recipient: Recipient, result: Result | None, award: AwardDetails | None = None
) -> dict[str, Any]:
    subject: dict[str, Any] = {"id": recipient.id, "type": ["AchievementSubject"]}
    if recipient.identity_hash is not None:
        subject["identifier"] = [
            _clean(
                {
                    "type": "IdentityObject",
                    "identityHash": recipient.identity_hash,
                    "identityType": recipient.identity_type,
                    "hashed": True,
                    "salt": recipient.salt,
                }
            )
        ]
    if recipient.name is not None:  # OB 3.0 has no AchievementSubject name: an IdentityObject of type name
        subject.setdefault("identifier", []).append(
            {
                "type": "IdentityObject",
                "identityHash": recipient.name,
                "identityType": "name",
                "hashed": False,
            }
        )
    subject["achievement"] = achievement_node(a)
    subject.update(_award(a, award))
    if result is not None:
        if result.scale is not None and result.scale != a.grade:
            raise DefinitionError("the result's grade scale is not the achievement's", path="grade")
        if a.grade is not None and a.grade.allowed and result.value not in a.grade.allowed:
            raise DefinitionError(
                f"{result.value!r} is not one of {', '.join(a.grade.allowed)}", path="grade.value"
            )
        subject["result"] = [
            _clean({"type": ["Result"], "resultDescription": _scale_id(a), "value": result.value})
        ]
    if award is not None and award.status is not None:
        subject.setdefault("result", [{"type": ["Result"]}])[0]["status"] = award.status
    if award is not None and award.outcomes_achieved:
        subject.setdefault("result", []).extend(_outcome_results(a, award.outcomes_achieved))
    return _clean(subject)


def _evidence(items: Iterable[Evidence]) -> list[dict[str, Any]]:
    return [
        _clean(
            {
                "id": e.id,
                "type": ["Evidence"],
                "name": e.name,
                "narrative": e.narrative,
                "genre": e.genre,
                "description": e.description,
            }
        )
        for e in items
    ]


def _uses_one_edtech_type(node: Any) -> bool:
    if isinstance(node, dict):
        types = node.get("type")
        names = types if isinstance(types, list) else [types]
        if any(t in _ONE_EDTECH_TYPES for t in names):
            return True
        return any(_uses_one_edtech_type(v) for k, v in node.items() if k != "@context")
    if isinstance(node, list):
        return any(_uses_one_edtech_type(v) for v in node)
    return False


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node).union(*(_keys(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_keys(v) for v in node))
    return set()


def _extension_version(credential: dict[str, Any]) -> str | None:
    """The oldest extension context that defines every microcred term the credential uses (None: none).

    Credentials that v1 can express keep v1, so they are what the previous release made.
    """
    keys = _keys(credential)
    v1 = extension_terms(EXTENSION_CONTEXT_URL)
    newer = extension_terms(EXTENSION_V2_CONTEXT_URL) - v1
    achievement = credential["credentialSubject"].get("achievement", {})
    if keys & newer or isinstance(achievement.get("assessmentType"), list):
        return EXTENSION_V2_CONTEXT_URL
    return EXTENSION_CONTEXT_URL if keys & v1 else None


def _when(value: datetime | None, path: str) -> datetime | None:
    if value is not None and (not isinstance(value, datetime) or not is_aware(value)):
        raise DefinitionError("must be a timezone-aware datetime", path=path)
    return value


def build_credential(
    achievement: Definition | Achievement,
    recipient: Recipient | str,
    *,
    issuer: Issuer | None = None,
    issuer_id: str | None = None,
    now: Callable[[], datetime] | datetime | None = None,
    credential_id: str | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    awarded_date: datetime | None = None,
    result: Result | str | None = None,
    evidence: Iterable[Evidence] = (),
    new_id: Callable[[], str] | None = None,
    award: AwardDetails | None = None,
) -> dict[str, Any]:
    """An unsigned OB 3.0 ``OpenBadgeCredential`` for ``recipient``.

    ``achievement`` is a :class:`Definition` (its issuer is used unless ``issuer=`` is given) or an
    :class:`Achievement` with ``issuer=``; ``issuer_id`` replaces the issuer's id (the signing key's
    controller, e.g. its DID). ``recipient`` may be a string (DID/URI or email, see
    :meth:`Recipient.parse`; an email then gets a random salt). ``now`` (a datetime or a clock) sets
    ``validFrom`` unless ``valid_from`` is given; ``validUntil`` is ``valid_until`` or the achievement's
    ``expires``. ``credential_id`` defaults to ``new_id()`` or a ``urn:uuid`` (uuid4). ``result`` is the
    learner's grade. ``award`` adds the
    period of practice, credit earned, assessor and component credentials.
    """
    if isinstance(achievement, Definition):
        if achievement.check.strict:  # the definition asks to be refused on any profile finding
            check_profiles(achievement)
        issuer = issuer or achievement.issuer
        achievement = achievement.achievement
    if not isinstance(achievement, Achievement):
        raise TypeError("achievement must be a Definition or an Achievement")
    if issuer is None:
        raise DefinitionError("an issuer (awarding body) is required", path="awarding_body")
    if issuer_id is not None:
        issuer = dataclasses.replace(issuer, id=issuer_id)
    if isinstance(recipient, str):
        recipient = Recipient.parse(recipient)
    if isinstance(result, str):
        result = Result(result)
    if valid_from is None:
        clock = now() if callable(now) else now
        valid_from = clock if clock is not None else _now().replace(microsecond=0)
    valid_from = _when(valid_from, "issued")
    valid_until = _when(valid_until if valid_until is not None else achievement.expires, "expires")
    awarded_date = _when(awarded_date, "awarded_date")
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise DefinitionError(
            f"validUntil {format_datetime(valid_until)} is not after validFrom {format_datetime(valid_from)}",
            path="expires",
        )
    if credential_id is None:
        credential_id = new_id() if new_id is not None else f"urn:uuid:{uuid.uuid4()}"
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2_URL, OB_CONTEXT_URL],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement.title,
        "issuer": issuer_profile(issuer),
    }
    assert valid_from is not None  # set above from valid_from, now, or the clock
    credential["validFrom"] = format_datetime(valid_from)
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    credential["awardedDate"] = format_datetime(awarded_date or valid_from)
    credential["credentialSubject"] = _subject(achievement, recipient, result, award)
    ev = _evidence(evidence)
    if ev:
        credential["evidence"] = ev
    credential["credentialSchema"] = [{"id": OB_SCHEMA_URL, "type": OB_SCHEMA_VALIDATOR_TYPE}]
    if _uses_one_edtech_type(credential):
        credential["@context"].append(EXTENSIONS_CONTEXT_URL)
    context = _extension_version(credential)  # none when the credential uses no microcred term
    if context is not None:
        schema_url = EXTENSION_SCHEMAS[context][0]
        credential["credentialSchema"].append({"id": schema_url, "type": OB_SCHEMA_VALIDATOR_TYPE})
        credential["@context"].append(context)
    return credential
