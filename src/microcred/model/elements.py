"""The micro-credential model: frozen, typed dataclasses checked when they are built.

Every value is checked in ``__post_init__``; a bad one raises :class:`~microcred.errors.DefinitionError`
whose ``path`` names the element (``workload.hours``). Each element class has ``to_element()``, the
JSON form used by achievement definition files and by ``inspect --json`` (DESIGN.md §3 names).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import _time
from ..errors import DefinitionError
from .vocabularies import (
    ACHIEVEMENT_TYPES,
    ASSESSMENT_TYPES,
    COUNTRY_CODES,
    IDENTIFIER_TYPES,
    LEVEL_FRAMEWORKS,
    LEVEL_URLS,
    NQF_LEVELS,
    PARTICIPATION_TYPES,
    RESULT_TYPES,
    SUPERVISION_TYPES,
)

_EXT = re.compile(r"^ext:[A-Za-z0-9._-]+$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HASH = re.compile(r"^(sha256\$[0-9a-f]{64}|md5\$[0-9a-f]{32})$")

Number = int | float


def _fail(path: str, message: str) -> DefinitionError:
    return DefinitionError(message, path=path)


def _text(value: object, path: str, *, required: bool = True) -> None:
    if value is None:
        if required:
            raise _fail(path, "is required")
        return
    if not isinstance(value, str):
        raise _fail(path, f"must be a string, not {type(value).__name__}")
    if not value.strip():
        raise _fail(path, "must not be empty")


def _iri(value: object, path: str, *, required: bool = True) -> None:
    _text(value, path, required=required)
    if value is not None and not _IRI.match(str(value)):
        raise _fail(path, f"{value!r} is not an absolute URI (e.g. https://… , urn:uuid:…, did:…)")


def _url(value: object, path: str, *, required: bool = False) -> None:
    _iri(value, path, required=required)
    if value is not None and not str(value).startswith(("https://", "http://")):
        raise _fail(path, f"{value!r} is not an http(s) URL")


def _number(value: object, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, f"must be a number, not {type(value).__name__}")
    if value != value or value in (float("inf"), float("-inf")):
        raise _fail(path, "must be a finite number")
    if value <= 0:
        raise _fail(path, f"must be positive, got {value}")


def _aware(value: object, path: str) -> None:
    if not isinstance(value, datetime):
        raise _fail(path, f"must be a date-time, not {type(value).__name__}")
    if not _time.is_aware(value):
        raise _fail(
            path, f"{value.isoformat()} has no time zone; write it with Z or an offset such as +01:00"
        )


def _choice(value: object, allowed: tuple[str, ...], path: str) -> None:
    _text(value, path)
    if value not in allowed:
        raise _fail(path, f"unknown value {value!r}; allowed: {', '.join(repr(a) for a in allowed)}")


def _vocab(value: object, allowed: tuple[str, ...], path: str) -> None:
    _text(value, path)
    if value not in allowed and not _EXT.match(str(value)):
        raise _fail(path, f"unknown value {value!r}; use one of {', '.join(allowed)} or an ext:Name")


def _tuple_of(value: object, kind: type, path: str) -> None:
    if not isinstance(value, tuple):
        raise _fail(path, "must be a tuple")
    for i, item in enumerate(value):
        if not isinstance(item, kind):
            raise _fail(f"{path}[{i}]", f"must be a {kind.__name__}, not {type(item).__name__}")


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != [] and v != {}}


@dataclass(frozen=True, slots=True)
class OtherIdentifier:
    """An identifier of the awarding body in another system (``IdentifierEntry``)."""

    identifier: str
    identifier_type: str = "identifier"

    def __post_init__(self) -> None:
        _text(self.identifier, "awarding_body.other_identifiers.identifier")
        _vocab(self.identifier_type, IDENTIFIER_TYPES, "awarding_body.other_identifiers.type")

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

    def __post_init__(self) -> None:
        _iri(self.id, "awarding_body.id")
        _text(self.name, "awarding_body.name")
        _url(self.url, "awarding_body.url")
        _text(self.email, "awarding_body.email", required=False)
        if self.email is not None and not _EMAIL.match(self.email):
            raise _fail("awarding_body.email", f"{self.email!r} is not an email address")
        if self.country is not None:
            _text(self.country, "country")
            if self.country not in COUNTRY_CODES:
                raise _fail(
                    "country", f"{self.country!r} is not an ISO 3166-1 alpha-2 country code (e.g. NL, IE)"
                )
        _tuple_of(self.other_identifiers, OtherIdentifier, "awarding_body.other_identifiers")
        _iri(self.image, "awarding_body.image", required=False)
        _text(self.description, "awarding_body.description", required=False)

    def to_element(self) -> dict[str, Any]:
        """The ``awarding_body`` element (``country`` is its own element)."""
        return _drop_none(
            {
                "id": self.id,
                "name": self.name,
                "url": self.url,
                "email": self.email,
                "other_identifiers": [o.to_element() for o in self.other_identifiers],
                "image": self.image,
                "description": self.description,
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
        _text(self.statement, "learning_outcomes.statement")
        _iri(self.url, "learning_outcomes.url", required=False)
        _text(self.framework, "learning_outcomes.framework", required=False)
        _text(self.code, "learning_outcomes.code", required=False)

    def to_element(self) -> str | dict[str, Any]:
        """A bare string when only the statement is known, else ``{"statement", "url", …}``."""
        if self.url is None and self.framework is None and self.code is None:
            return self.statement
        return _drop_none(
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
            raise _fail("workload", "state hours, credits, or both")
        if self.hours is not None:
            _number(self.hours, "workload.hours")
        if self.credits is not None:
            _number(self.credits, "workload.credits")
            if self.credit_system is None:
                raise _fail(
                    "workload.credit_system", "is required with credits (e.g. ECTS, US credit hours, CATS)"
                )
        _text(self.credit_system, "workload.credit_system", required=False)
        if self.credit_system is not None and self.credits is None:
            raise _fail("workload.credits", f"is required when credit_system ({self.credit_system}) is given")

    def to_element(self) -> dict[str, Any]:
        """``{"hours", "credits", "credit_system"}`` (absent ones left out)."""
        return _drop_none({"hours": self.hours, "credits": self.credits, "credit_system": self.credit_system})


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
        _choice(self.framework, tuple(LEVEL_FRAMEWORKS), "level.framework")
        known = LEVEL_FRAMEWORKS[self.framework]
        if known is not None:
            if self.country is not None and not (self.framework == "AQF" and self.country == "AU"):
                raise _fail(
                    "level.country", f"{self.framework} is not a national framework; leave country out"
                )
            if isinstance(self.level, bool) or not isinstance(self.level, int) or self.level not in known:
                raise _fail(
                    "level.level",
                    f"{self.level!r} is not a {self.framework} level (integers {known[0]}–{known[-1]})",
                )
        else:
            if self.country is None:
                raise _fail("level.country", "an NQF level needs the country whose framework it is (e.g. IE)")
            if self.country not in COUNTRY_CODES:
                raise _fail("level.country", f"{self.country!r} is not an ISO 3166-1 alpha-2 country code")
            if (
                isinstance(self.level, bool)
                or not isinstance(self.level, int | str)
                or not str(self.level).strip()
            ):
                raise _fail("level.level", "an NQF level is an integer or a non-empty string")
            if isinstance(self.level, str) and self.level.strip().isdecimal():
                object.__setattr__(self, "level", int(self.level))  # numeric levels are integers, as EQF/AQF
            levels = NQF_LEVELS.get(self.country)
            if levels is not None and str(self.level).lower() not in levels:
                raise _fail(
                    "level.level",
                    f"{self.level!r} is not a level of the {self.country} NQF ({', '.join(sorted(levels))})",
                )
        _url(self.url, "level.url")

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
        return _drop_none(
            {"framework": self.framework, "level": self.level, "country": self.country, "url": url}
        )


@dataclass(frozen=True, slots=True)
class Assessment:
    """Type of assessment (controlled value) and a free-text description."""

    type: str
    description: str | None = None

    def __post_init__(self) -> None:
        _choice(self.type, ASSESSMENT_TYPES, "assessment.type")
        _text(self.description, "assessment.description", required=self.type == "other")

    def to_element(self) -> dict[str, Any]:
        """``{"type", "description"}``."""
        return _drop_none({"type": self.type, "description": self.description})


@dataclass(frozen=True, slots=True)
class Participation:
    """Form of participation (online, onsite, blended, work-based …) and a free-text description."""

    type: str
    description: str | None = None

    def __post_init__(self) -> None:
        _choice(self.type, PARTICIPATION_TYPES, "participation.type")
        _text(self.description, "participation.description", required=self.type == "other")

    def to_element(self) -> dict[str, Any]:
        """``{"type", "description"}``."""
        return _drop_none({"type": self.type, "description": self.description})


@dataclass(frozen=True, slots=True)
class QualityAssurance:
    """The body (and framework) that assures the quality of the learning and its assessment."""

    body: str
    url: str
    framework: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        _text(self.body, "quality_assurance.body")
        _url(self.url, "quality_assurance.url", required=True)
        _text(self.framework, "quality_assurance.framework", required=False)
        _text(self.description, "quality_assurance.description", required=False)

    def to_element(self) -> dict[str, Any]:
        """``{"body", "url", "framework", "description"}``."""
        return _drop_none(
            {"body": self.body, "url": self.url, "framework": self.framework, "description": self.description}
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
        _text(self.name, "credit.counts_toward.name")
        _iri(self.id, "credit.counts_toward.id", required=False)
        _url(self.url, "credit.counts_toward.url")
        if self.credits is not None:
            _number(self.credits, "credit.counts_toward.credits")
        _text(self.credit_system, "credit.counts_toward.credit_system", required=False)

    def to_element(self) -> dict[str, Any]:
        """``{"name", "id", "url", "credits", "credit_system"}``."""
        return _drop_none(
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
            raise _fail("credit.credit_bearing", "must be true or false")
        _tuple_of(self.counts_toward, Qualification, "credit.counts_toward")
        if self.credit_bearing and not self.counts_toward:
            raise _fail(
                "credit.counts_toward", "a credit-bearing micro-credential must name what it counts toward"
            )
        if not self.credit_bearing and self.counts_toward:
            raise _fail("credit.counts_toward", "a non-credit-bearing micro-credential counts toward nothing")

    def to_element(self) -> dict[str, Any]:
        """``{"credit_bearing", "counts_toward"}``."""
        return _drop_none(
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
            raise _fail("supervision", "state type, identity_checked, or both")
        if self.type is not None:
            _choice(self.type, SUPERVISION_TYPES, "supervision.type")
        if self.identity_checked is not None and not isinstance(self.identity_checked, bool):
            raise _fail("supervision.identity_checked", "must be true or false")
        if self.identity_checked and self.type is not None and "no identity verification" in self.type:
            raise _fail("supervision.identity_checked", f"contradicts supervision type {self.type!r}")
        _text(self.description, "supervision.description", required=False)

    def to_element(self) -> dict[str, Any]:
        """``{"type", "identity_checked", "description"}``."""
        return _drop_none(
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
        _text(self.name, "grade.name")
        _vocab(self.type, RESULT_TYPES, "grade.type")
        for key, value in (("min", self.min), ("max", self.max), ("pass", self.pass_value)):
            _text(value, f"grade.{key}", required=False)
        _tuple_of(self.allowed, str, "grade.allowed")
        _iri(self.id, "grade.id", required=False)
        if self.allowed and self.pass_value is not None and self.pass_value not in self.allowed:
            raise _fail("grade.pass", f"{self.pass_value!r} is not one of the allowed values")

    def to_element(self) -> dict[str, Any]:
        """``{"name", "type", "min", "max", "pass", "allowed"}`` (no ``id``: it is plumbing)."""
        return _drop_none(
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
class Result:
    """A learner's grade: its value, optionally on a grade scale."""

    value: str
    scale: GradeScale | None = None

    def __post_init__(self) -> None:
        _text(self.value, "grade.value")
        if self.scale is not None:
            if not isinstance(self.scale, GradeScale):
                raise _fail("grade", "scale must be a GradeScale")
            if self.scale.allowed and self.value not in self.scale.allowed:
                raise _fail("grade.value", f"{self.value!r} is not one of {', '.join(self.scale.allowed)}")


#: The grade element is an OB ``Result``.
Grade = Result


@dataclass(frozen=True, slots=True)
class StackItem:
    """Another credential in a stack: its id and, for people, its name."""

    id: str
    name: str | None = None

    def __post_init__(self) -> None:
        _iri(self.id, "stackability.id")
        _text(self.name, "stackability.name", required=False)

    def to_element(self) -> dict[str, Any]:
        """``{"id", "name"}``."""
        return _drop_none({"id": self.id, "name": self.name})


@dataclass(frozen=True, slots=True)
class Stackability:
    """The micro-credentials this one is built from, and those it can stack into."""

    built_from: tuple[StackItem, ...] = ()
    stacks_into: tuple[StackItem, ...] = ()

    def __post_init__(self) -> None:
        _tuple_of(self.built_from, StackItem, "stackability.built_from")
        _tuple_of(self.stacks_into, StackItem, "stackability.stacks_into")
        if not self.built_from and not self.stacks_into:
            raise _fail("stackability", "state built_from, stacks_into, or both")

    def to_element(self) -> dict[str, Any]:
        """``{"built_from": [...], "stacks_into": [...]}``."""
        return _drop_none(
            {
                "built_from": [s.to_element() for s in self.built_from],
                "stacks_into": [s.to_element() for s in self.stacks_into],
            }
        )


@dataclass(frozen=True, slots=True)
class Evidence:
    """Evidence of the learner's work (workplace learning, portfolio, RPL): an OB ``Evidence``."""

    id: str | None = None
    name: str | None = None
    narrative: str | None = None
    genre: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        _iri(self.id, "evidence.id", required=False)
        for key in ("name", "narrative", "genre", "description"):
            _text(getattr(self, key), f"evidence.{key}", required=False)
        if self.id is None and self.narrative is None and self.description is None:
            raise _fail("evidence", "needs an id (URL), a narrative or a description")

    @classmethod
    def parse(cls, value: str) -> Evidence:
        """``URL`` or ``URL=NAME`` (as given on the command line)."""
        url, _, name = value.partition("=")
        return cls(id=url.strip(), name=name.strip() or None)

    def to_element(self) -> dict[str, Any]:
        """``{"id", "name", "narrative", "genre", "description"}``."""
        return _drop_none(
            {
                "id": self.id,
                "name": self.name,
                "narrative": self.narrative,
                "genre": self.genre,
                "description": self.description,
            }
        )


@dataclass(frozen=True, slots=True)
class Recipient:
    """The learner: a DID/URI and/or a hashed identity (``IdentityObject``), optionally a display name."""

    id: str | None = None
    identity_hash: str | None = None
    identity_type: str = "emailAddress"
    salt: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        _iri(self.id, "learner.id", required=False)
        if self.id is None and self.identity_hash is None:
            raise _fail("learner", "needs a DID/URI or a hashed identity")
        if self.identity_hash is not None:
            _text(self.identity_hash, "learner.identity_hash")
            if not _HASH.match(self.identity_hash):
                raise _fail("learner.identity_hash", "must be sha256$<64 hex digits>")
            _text(self.salt, "learner.salt", required=False)
        _vocab(self.identity_type, IDENTIFIER_TYPES, "learner.identity_type")
        _text(self.name, "learner.name", required=False)

    @staticmethod
    def hash_identity(value: str, salt: str) -> str:
        """``sha256$`` + hex SHA-256 of ``value`` followed by ``salt`` (Open Badges IdentityObject)."""
        return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()

    @classmethod
    def parse(cls, value: str, name: str | None = None, *, salt: str | None = None) -> Recipient:
        """A DID/URI as-is, or an email (``mailto:`` optional) stored only as a salted hash.

        ``salt`` defaults to 16 random bytes (hex); pass one to make the hash reproducible.
        """
        _text(value, "learner")
        text = value.strip()
        email = text[len("mailto:") :] if text.lower().startswith("mailto:") else text
        if "@" in email and _EMAIL.match(email) and ":" not in email:
            salt = secrets.token_hex(16) if salt is None else salt
            _text(salt, "learner.salt")
            return cls(identity_hash=cls.hash_identity(email.lower(), salt), salt=salt, name=name)
        if not _IRI.match(text):
            raise _fail("learner", f"{value!r} is neither an email address nor an absolute URI/DID")
        return cls(id=text, name=name)

    def matches_email(self, email: str) -> bool:
        """Whether ``email`` is the address hashed into this recipient."""
        if self.identity_hash is None or self.salt is None:
            return False
        return secrets.compare_digest(
            self.hash_identity(email.strip().lower(), self.salt), self.identity_hash
        )

    def to_element(self) -> dict[str, Any]:
        """The ``learner`` element: ``{"id", "name", "identities": [...]}``."""
        identities = []
        if self.identity_hash is not None:
            identities.append(
                _drop_none(
                    {
                        "identity_type": self.identity_type,
                        "identity_hash": self.identity_hash,
                        "hashed": True,
                        "salt": self.salt,
                    }
                )
            )
        return _drop_none({"id": self.id, "name": self.name, "identities": identities})


@dataclass(frozen=True, slots=True)
class Achievement:
    """What is awarded, with the micro-credential elements of DESIGN.md §3 as fields."""

    id: str
    title: str
    description: str
    criteria: str | None = None
    image: str | None = None
    achievement_type: str = "MicroCredential"
    language: str | None = None
    learning_outcomes: tuple[LearningOutcome, ...] = ()
    workload: Workload | None = None
    level: Level | None = None
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

    def __post_init__(self) -> None:
        _iri(self.id, "id")
        _text(self.title, "title")
        _text(self.description, "description")
        _text(self.criteria, "criteria", required=False)
        _iri(self.image, "image", required=False)
        _vocab(self.achievement_type, ACHIEVEMENT_TYPES, "achievement_type")
        _text(self.language, "language", required=False)
        if self.language is not None and not re.match(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$", self.language):
            raise _fail("language", f"{self.language!r} is not a BCP 47 language tag (e.g. en, nl-NL)")
        _tuple_of(self.learning_outcomes, LearningOutcome, "learning_outcomes")
        for name, kind in (
            ("workload", Workload),
            ("level", Level),
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
                raise _fail(name, f"must be a {kind.__name__}, not {type(value).__name__}")
        _tuple_of(self.prerequisites, str, "prerequisites")
        for i, text in enumerate(self.prerequisites):
            _text(text, f"prerequisites[{i}]")
        if self.expires is not None:
            _aware(self.expires, "expires")
        _tuple_of(self.extra, tuple, "extra")

    def elements(self) -> dict[str, Any]:
        """The elements this achievement states, in their JSON form (absent ones left out)."""
        return _drop_none(
            {
                "title": self.title,
                "learning_outcomes": [o.to_element() for o in self.learning_outcomes],
                "workload": self.workload.to_element() if self.workload else None,
                "level": self.level.to_element() if self.level else None,
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
