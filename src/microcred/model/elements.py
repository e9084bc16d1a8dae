"""The micro-credential model: frozen, typed dataclasses checked when they are built.

Every value is checked in ``__post_init__``; a bad one raises :class:`~microcred.errors.DefinitionError`
whose ``path`` names the element (``workload.hours``). Each element class has ``to_element()``, the
JSON form used by achievement definition files and by ``inspect --json`` (the element names of
docs/mapping.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import _time
from .checks import (
    EMAIL,
    Number,
    drop_none,
    fail,
    require_aware,
    require_choice,
    require_iri,
    require_number,
    require_text,
    require_tuple_of,
    require_url,
    require_vocab,
)
from .elm import ASSESSMENT, PARTICIPATION, QUALITY_ASSURANCE, SUPERVISION, value_of
from .vocabularies import (
    ACHIEVEMENT_TYPES,
    ASSESSMENT_TYPES,
    COUNTRY_CODES,
    IDENTIFIER_TYPES,
    LEVEL_FRAMEWORKS,
    LEVEL_URLS,
    NQF_LEVELS,
    PARTICIPATION_TYPES,
    QUALITY_ASSURANCE_TYPES,
    RESULT_TYPES,
    SUPERVISION_TYPES,
    UK_LEVELS,
)

if TYPE_CHECKING:
    from datetime import datetime


@dataclass(frozen=True, slots=True)
class OtherIdentifier:
    """An identifier of the awarding body in another system (``IdentifierEntry``)."""

    identifier: str
    identifier_type: str = "identifier"

    def __post_init__(self) -> None:
        require_text(self.identifier, "awarding_body.other_identifiers.identifier")
        require_vocab(self.identifier_type, IDENTIFIER_TYPES, "awarding_body.other_identifiers.type")

    def to_element(self) -> dict[str, Any]:
        """The JSON form: ``{"identifier", "type"}``."""
        return {"identifier": self.identifier, "type": self.identifier_type}


@dataclass(frozen=True, slots=True)
class Issuer:
    """The awarding body: an OB 3.0 ``Profile``; ``country`` is ISO 3166-1 alpha-2."""

    id: str
    name: str
    url: str | None = None
    email: str | None = None
    country: str | None = None
    other_identifiers: tuple[OtherIdentifier, ...] = ()
    image: str | None = None
    description: str | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        require_iri(self.id, "awarding_body.id")
        require_text(self.region, "awarding_body.region", required=False)
        require_text(self.name, "awarding_body.name")
        require_url(self.url, "awarding_body.url")
        require_text(self.email, "awarding_body.email", required=False)
        if self.email is not None and not EMAIL.match(self.email):
            raise fail("awarding_body.email", f"{self.email!r} is not an email address")
        if self.country is not None:
            require_text(self.country, "country")
            if self.country not in COUNTRY_CODES:
                raise fail(
                    "country", f"{self.country!r} is not an ISO 3166-1 alpha-2 country code (e.g. NL, IE)"
                )
        require_tuple_of(self.other_identifiers, OtherIdentifier, "awarding_body.other_identifiers")
        require_iri(self.image, "awarding_body.image", required=False)
        require_text(self.description, "awarding_body.description", required=False)

    def to_element(self) -> dict[str, Any]:
        """The ``awarding_body`` element (``country`` is its own element)."""
        return drop_none(
            {
                "id": self.id,
                "name": self.name,
                "url": self.url,
                "email": self.email,
                "other_identifiers": [o.to_element() for o in self.other_identifiers],
                "image": self.image,
                "description": self.description,
                "region": self.region,
            }
        )


@dataclass(frozen=True, slots=True)
class LearningOutcome:
    """One learning outcome: a statement, optionally tied to a framework item (ESCO skill URL, CASE item)."""

    statement: str
    url: str | None = None
    framework: str | None = None
    code: str | None = None

    def __post_init__(self) -> None:
        require_text(self.statement, "learning_outcomes.statement")
        require_iri(self.url, "learning_outcomes.url", required=False)
        require_text(self.framework, "learning_outcomes.framework", required=False)
        require_text(self.code, "learning_outcomes.code", required=False)

    def to_element(self) -> str | dict[str, Any]:
        """A bare string when only the statement is known, else ``{"statement", "url", …}``."""
        if self.url is None and self.framework is None and self.code is None:
            return self.statement
        return drop_none(
            {"statement": self.statement, "url": self.url, "framework": self.framework, "code": self.code}
        )


@dataclass(frozen=True, slots=True)
class Workload:
    """Notional workload: hours and/or credits in a credit system (ECTS, US credit hours, CATS …)."""

    hours: Number | None = None
    credits: Number | None = None
    credit_system: str | None = None

    def __post_init__(self) -> None:
        if self.hours is None and self.credits is None:
            raise fail("workload", "state hours, credits, or both")
        if self.hours is not None:
            require_number(self.hours, "workload.hours")
        if self.credits is not None:
            require_number(self.credits, "workload.credits")
            if self.credit_system is None:
                raise fail(
                    "workload.credit_system", "is required with credits (e.g. ECTS, US credit hours, CATS)"
                )
        require_text(self.credit_system, "workload.credit_system", required=False)
        if self.credit_system is not None and self.credits is None:
            raise fail("workload.credits", f"is required when credit_system ({self.credit_system}) is given")

    def to_element(self) -> dict[str, Any]:
        """``{"hours", "credits", "credit_system"}`` (absent ones left out)."""
        return drop_none({"hours": self.hours, "credits": self.credits, "credit_system": self.credit_system})


@dataclass(frozen=True, slots=True)
class Level:
    """A qualifications-framework level: EQF 1–8, AQF 1–10, or an NQF level with its country.

    A numeric NQF level given as a string (``"5"``) is stored as an integer; others (``"entry 3"``) stay text.
    """

    framework: str
    level: int | str
    country: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        require_choice(self.framework, tuple(LEVEL_FRAMEWORKS), "level.framework")
        known = LEVEL_FRAMEWORKS[self.framework]
        uk = UK_LEVELS.get(self.framework)
        if uk is not None:
            if self.country not in (None, "GB"):
                raise fail("level.country", f"{self.framework} is a UK framework; leave country out (or GB)")
            text = str(self.level).strip().lower() if isinstance(self.level, int | str) else ""
            if isinstance(self.level, bool) or text not in uk:
                shown = ", ".join(
                    sorted(uk, key=lambda v: (not v.isdecimal(), int(v) if v.isdecimal() else 0, v))
                )
                raise fail("level.level", f"{self.level!r} is not a {self.framework} level ({shown})")
            object.__setattr__(self, "level", int(text) if text.isdecimal() else text)
        elif known is not None:
            if self.country is not None and not (self.framework == "AQF" and self.country == "AU"):
                raise fail(
                    "level.country", f"{self.framework} is not a national framework; leave country out"
                )
            if isinstance(self.level, bool) or not isinstance(self.level, int) or self.level not in known:
                raise fail(
                    "level.level",
                    f"{self.level!r} is not a {self.framework} level (integers {known[0]}–{known[-1]})",
                )
        else:
            if self.country is None:
                raise fail("level.country", "an NQF level needs the country whose framework it is (e.g. IE)")
            if self.country not in COUNTRY_CODES:
                raise fail("level.country", f"{self.country!r} is not an ISO 3166-1 alpha-2 country code")
            if (
                isinstance(self.level, bool)
                or not isinstance(self.level, int | str)
                or not str(self.level).strip()
            ):
                raise fail("level.level", "an NQF level is an integer or a non-empty string")
            if isinstance(self.level, str) and self.level.strip().isdecimal():
                object.__setattr__(self, "level", int(self.level))  # numeric levels are integers, as EQF/AQF
            levels = NQF_LEVELS.get(self.country)
            if levels is not None and str(self.level).lower() not in levels:
                raise fail(
                    "level.level",
                    f"{self.level!r} is not a level of the {self.country} NQF ({', '.join(sorted(levels))})",
                )
        require_url(self.url, "level.url")

    @property
    def code(self) -> str:
        """The level as Alignment ``targetCode`` (always a string)."""
        return str(self.level)

    @property
    def default_url(self) -> str:
        """The framework's description page."""
        return LEVEL_URLS[self.framework]

    def to_element(self) -> dict[str, Any]:
        """``{"framework", "level", "country", "url"}``; ``url`` only when it is not the framework default."""
        url = self.url if self.url not in (None, self.default_url) else None
        return drop_none(
            {"framework": self.framework, "level": self.level, "country": self.country, "url": url}
        )


@dataclass(frozen=True, slots=True)
class Assessment:
    """Type of assessment (controlled value) and a free-text description."""

    type: str | tuple[str, ...]
    description: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.type, list):
            object.__setattr__(self, "type", tuple(self.type))
        if isinstance(self.type, tuple) and len(self.type) == 1:
            object.__setattr__(self, "type", self.type[0])
        object.__setattr__(self, "type", value_of(self.type, ASSESSMENT))
        if isinstance(self.type, tuple):
            if not self.type:
                raise fail("assessment.type", "name at least one type of assessment")
            for value in self.type:
                require_choice(value, ASSESSMENT_TYPES, "assessment.type")
            if len(set(self.type)) != len(self.type):
                raise fail("assessment.type", "lists a type of assessment twice")
        else:
            require_choice(self.type, ASSESSMENT_TYPES, "assessment.type")
        require_text(self.description, "assessment.description", required="other" in self.types)

    @property
    def types(self) -> tuple[str, ...]:
        """The types of assessment, one or several."""
        return self.type if isinstance(self.type, tuple) else (self.type,)

    def to_element(self) -> dict[str, Any]:
        """``{"type", "description"}``; ``type`` is a list when there are several."""
        kind = list(self.type) if isinstance(self.type, tuple) else self.type
        return drop_none({"type": kind, "description": self.description})


@dataclass(frozen=True, slots=True)
class Participation:
    """Form of participation (online, onsite, blended, work-based …) and a free-text description."""

    type: str
    description: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", value_of(self.type, PARTICIPATION))
        require_choice(self.type, PARTICIPATION_TYPES, "participation.type")
        require_text(self.description, "participation.description", required=self.type == "other")

    def to_element(self) -> dict[str, Any]:
        """``{"type", "description"}``."""
        return drop_none({"type": self.type, "description": self.description})


@dataclass(frozen=True, slots=True)
class QualityAssurance:
    """The body (and framework) that assures the quality of the learning and its assessment."""

    body: str
    url: str
    framework: str | None = None
    description: str | None = None
    type: str | None = None
    registry_id: str | None = None
    decision_url: str | None = None

    def __post_init__(self) -> None:
        require_text(self.body, "quality_assurance.body")
        require_url(self.url, "quality_assurance.url", required=True)
        require_text(self.framework, "quality_assurance.framework", required=False)
        require_text(self.description, "quality_assurance.description", required=False)
        object.__setattr__(self, "type", value_of(self.type, QUALITY_ASSURANCE))
        if self.type is not None:
            require_choice(self.type, QUALITY_ASSURANCE_TYPES, "quality_assurance.type")
        require_text(self.registry_id, "quality_assurance.registry_id", required=False)
        require_url(self.decision_url, "quality_assurance.decision_url")

    def to_element(self) -> dict[str, Any]:
        """``{"body", "url", "framework", "description", "type", "registry_id", "decision_url"}``."""
        return drop_none(
            {
                "body": self.body,
                "url": self.url,
                "framework": self.framework,
                "description": self.description,
                "type": self.type,
                "registry_id": self.registry_id,
                "decision_url": self.decision_url,
            }
        )


@dataclass(frozen=True, slots=True)
class Qualification:
    """A qualification a credit-bearing micro-credential counts toward, with the credit it carries there."""

    name: str
    id: str | None = None
    url: str | None = None
    credits: Number | None = None
    credit_system: str | None = None

    def __post_init__(self) -> None:
        require_text(self.name, "credit.counts_toward.name")
        require_iri(self.id, "credit.counts_toward.id", required=False)
        require_url(self.url, "credit.counts_toward.url")
        if self.credits is not None:
            require_number(self.credits, "credit.counts_toward.credits")
        require_text(self.credit_system, "credit.counts_toward.credit_system", required=False)

    def to_element(self) -> dict[str, Any]:
        """``{"name", "id", "url", "credits", "credit_system"}``."""
        return drop_none(
            {
                "name": self.name,
                "id": self.id,
                "url": self.url,
                "credits": self.credits,
                "credit_system": self.credit_system,
            }
        )


@dataclass(frozen=True, slots=True)
class Credit:
    """Credit-bearing status; a credit-bearing micro-credential names what it counts toward."""

    credit_bearing: bool
    counts_toward: tuple[Qualification, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.credit_bearing, bool):
            raise fail("credit.credit_bearing", "must be true or false")
        require_tuple_of(self.counts_toward, Qualification, "credit.counts_toward")
        if self.credit_bearing and not self.counts_toward:
            raise fail(
                "credit.counts_toward", "a credit-bearing micro-credential must name what it counts toward"
            )
        if not self.credit_bearing and self.counts_toward:
            raise fail("credit.counts_toward", "a non-credit-bearing micro-credential counts toward nothing")

    def to_element(self) -> dict[str, Any]:
        """``{"credit_bearing", "counts_toward"}``."""
        return drop_none(
            {
                "credit_bearing": self.credit_bearing,
                "counts_toward": [q.to_element() for q in self.counts_toward],
            }
        )


@dataclass(frozen=True, slots=True)
class Supervision:
    """Supervision during assessment and whether the learner's identity was checked."""

    type: str | None = None
    identity_checked: bool | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        if self.type is None and self.identity_checked is None:
            raise fail("supervision", "state type, identity_checked, or both")
        object.__setattr__(self, "type", value_of(self.type, SUPERVISION))
        if self.type is not None:
            require_choice(self.type, SUPERVISION_TYPES, "supervision.type")
        if self.identity_checked is not None and not isinstance(self.identity_checked, bool):
            raise fail("supervision.identity_checked", "must be true or false")
        if self.identity_checked and self.type is not None and "no identity verification" in self.type:
            raise fail("supervision.identity_checked", f"contradicts supervision type {self.type!r}")
        require_text(self.description, "supervision.description", required=False)

    def to_element(self) -> dict[str, Any]:
        """``{"type", "identity_checked", "description"}``."""
        return drop_none(
            {"type": self.type, "identity_checked": self.identity_checked, "description": self.description}
        )


@dataclass(frozen=True, slots=True)
class GradeScale:
    """How results are graded (an OB ``ResultDescription``); values are strings, as in Open Badges."""

    name: str
    type: str = "Result"
    min: str | None = None
    max: str | None = None
    pass_value: str | None = None
    allowed: tuple[str, ...] = ()
    id: str | None = None

    def __post_init__(self) -> None:
        require_text(self.name, "grade.name")
        require_vocab(self.type, RESULT_TYPES, "grade.type")
        for key, value in (("min", self.min), ("max", self.max), ("pass", self.pass_value)):
            require_text(value, f"grade.{key}", required=False)
        require_tuple_of(self.allowed, str, "grade.allowed")
        require_iri(self.id, "grade.id", required=False)
        if self.allowed and self.pass_value is not None and self.pass_value not in self.allowed:
            raise fail("grade.pass", f"{self.pass_value!r} is not one of the allowed values")

    def to_element(self) -> dict[str, Any]:
        """``{"name", "type", "min", "max", "pass", "allowed"}`` (no ``id``: it is plumbing)."""
        return drop_none(
            {
                "name": self.name,
                "type": self.type,
                "min": self.min,
                "max": self.max,
                "pass": self.pass_value,
                "allowed": list(self.allowed),
            }
        )


@dataclass(frozen=True, slots=True)
class StackItem:
    """Another credential in a stack: its id and, for people, its name."""

    id: str
    name: str | None = None

    def __post_init__(self) -> None:
        require_iri(self.id, "stackability.id")
        require_text(self.name, "stackability.name", required=False)

    def to_element(self) -> dict[str, Any]:
        """``{"id", "name"}``."""
        return drop_none({"id": self.id, "name": self.name})


@dataclass(frozen=True, slots=True)
class Stackability:
    """The micro-credentials this one is built from, and those it can stack into."""

    built_from: tuple[StackItem, ...] = ()
    stacks_into: tuple[StackItem, ...] = ()
    integration: str | None = None

    def __post_init__(self) -> None:
        require_tuple_of(self.built_from, StackItem, "stackability.built_from")
        require_tuple_of(self.stacks_into, StackItem, "stackability.stacks_into")
        if self.integration is not None:
            require_choice(self.integration, ("stand-alone", "integrated"), "stackability.integration")
        if not self.built_from and not self.stacks_into and self.integration is None:
            raise fail("stackability", "state built_from, stacks_into, integration, or several")
        if self.integration == "stand-alone" and self.stacks_into:
            raise fail("stackability.integration", "a stand-alone micro-credential stacks into nothing")

    def to_element(self) -> dict[str, Any]:
        """``{"built_from": [...], "stacks_into": [...], "integration"}``."""
        return drop_none(
            {
                "built_from": [s.to_element() for s in self.built_from],
                "stacks_into": [s.to_element() for s in self.stacks_into],
                "integration": self.integration,
            }
        )


@dataclass(frozen=True, slots=True)
class Achievement:
    """What is awarded, with the micro-credential elements (docs/mapping.md) as fields."""

    id: str
    title: str
    description: str
    criteria: str | None = None
    image: str | None = None
    achievement_type: str = "MicroCredential"
    language: str | None = None
    learning_outcomes: tuple[LearningOutcome, ...] = ()
    workload: Workload | None = None
    level: Level | tuple[Level, ...] | None = None
    assessment: Assessment | None = None
    participation: Participation | None = None
    quality_assurance: QualityAssurance | None = None
    credit: Credit | None = None
    prerequisites: tuple[str, ...] = ()
    supervision: Supervision | None = None
    grade: GradeScale | None = None
    stackability: Stackability | None = None
    expires: datetime | None = None
    extra: tuple[tuple[str, Any], ...] = field(default=())
    criteria_url: str | None = None
    field_of_study: str | None = None
    human_code: str | None = None
    creator: Issuer | None = None
    other_identifiers: tuple[OtherIdentifier, ...] = ()

    def __post_init__(self) -> None:
        require_iri(self.id, "id")
        require_text(self.title, "title")
        require_text(self.description, "description")
        require_text(self.criteria, "criteria", required=False)
        require_iri(self.image, "image", required=False)
        require_vocab(self.achievement_type, ACHIEVEMENT_TYPES, "achievement_type")
        require_text(self.language, "language", required=False)
        if self.language is not None and not re.match(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$", self.language):
            raise fail("language", f"{self.language!r} is not a BCP 47 language tag (e.g. en, nl-NL)")
        require_tuple_of(self.learning_outcomes, LearningOutcome, "learning_outcomes")
        for name, kind in (
            ("workload", Workload),
            ("assessment", Assessment),
            ("participation", Participation),
            ("quality_assurance", QualityAssurance),
            ("credit", Credit),
            ("supervision", Supervision),
            ("grade", GradeScale),
            ("stackability", Stackability),
        ):
            value = getattr(self, name)
            if value is not None and not isinstance(value, kind):
                raise fail(name, f"must be a {kind.__name__}, not {type(value).__name__}")
        require_tuple_of(self.levels, Level, "level")
        if len({(lv.framework, lv.country) for lv in self.levels}) != len(self.levels):
            raise fail("level", "states two levels in the same framework")
        if isinstance(self.level, tuple) and len(self.level) == 1:
            object.__setattr__(self, "level", self.level[0])
        require_tuple_of(self.prerequisites, str, "prerequisites")
        for i, text in enumerate(self.prerequisites):
            require_text(text, f"prerequisites[{i}]")
        if self.expires is not None:
            require_aware(self.expires, "expires")
        require_tuple_of(self.extra, tuple, "extra")
        require_url(self.criteria_url, "criteria_url")
        require_text(self.field_of_study, "field_of_study", required=False)
        require_text(self.human_code, "human_code", required=False)
        require_tuple_of(self.other_identifiers, OtherIdentifier, "other_identifiers")
        if self.creator is not None and not isinstance(self.creator, Issuer):
            raise fail("creator", f"must be an Issuer, not {type(self.creator).__name__}")

    @property
    def levels(self) -> tuple[Level, ...]:
        """Every level stated (EQF and NQF together, for instance); empty when none is."""
        level = self.level
        return () if level is None else level if isinstance(level, tuple) else (level,)

    def elements(self) -> dict[str, Any]:
        """The elements this achievement states, in their JSON form (absent ones left out)."""
        return drop_none(
            {
                "title": self.title,
                "learning_outcomes": [o.to_element() for o in self.learning_outcomes],
                "workload": self.workload.to_element() if self.workload else None,
                "level": _levels_element(self.levels),
                "assessment": self.assessment.to_element() if self.assessment else None,
                "participation": self.participation.to_element() if self.participation else None,
                "quality_assurance": self.quality_assurance.to_element() if self.quality_assurance else None,
                "credit": self.credit.to_element() if self.credit else None,
                "prerequisites": list(self.prerequisites),
                "supervision": self.supervision.to_element() if self.supervision else None,
                "grade": self.grade.to_element() if self.grade else None,
                "stackability": self.stackability.to_element() if self.stackability else None,
                "expires": _time.format_datetime(self.expires) if self.expires else None,
            }
        )


def _levels_element(levels: tuple[Level, ...]) -> dict[str, Any] | list[dict[str, Any]] | None:
    if not levels:
        return None
    return levels[0].to_element() if len(levels) == 1 else [lv.to_element() for lv in levels]
