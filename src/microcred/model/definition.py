"""Achievement definition files (TOML or JSON) -> the model.

A definition has two tables, ``[issuer]`` and ``[achievement]``; docs/definition-format.md lists every key.
Errors are :class:`~microcred.errors.DefinitionError` naming the file (``source``), the field (``path``,
e.g. ``achievement.workload.hours``) and the reason. Unknown keys are errors, so typos do not pass silently.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from .. import _json, _time
from ..errors import DefinitionError
from .elements import (
    Achievement,
    Assessment,
    Credit,
    GradeScale,
    Issuer,
    LearningOutcome,
    Level,
    OtherIdentifier,
    Participation,
    Qualification,
    QualityAssurance,
    Stackability,
    StackItem,
    Supervision,
    Workload,
)
from .grading import PassRule
from .profiles import CheckSettings

T = TypeVar("T")
_NO_TIMEZONE = "has no time zone; write it with Z or an offset (+01:00)"


@dataclass(frozen=True, slots=True)
class Definition:
    """An achievement and the body that awards it, as read from a definition file."""

    issuer: Issuer
    achievement: Achievement
    source: str | None = None
    check: CheckSettings = dataclasses.field(default_factory=CheckSettings)
    #: How a pass is decided (``[achievement.grade]`` ``pass``, ``passing``, ``pass_rule``).
    pass_rule: PassRule = dataclasses.field(default_factory=PassRule)


class _Reader:
    def __init__(self, source: str | None) -> None:
        self.source = source

    def error(self, path: str, message: str) -> DefinitionError:
        return DefinitionError(message, path=path, source=self.source)

    def table(
        self, value: object, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.error(path, f"must be a table/object, not {type(value).__name__}")
        for key in value:
            if key not in allowed:
                near = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else f"; allowed: {', '.join(allowed)}"
                raise self.error(f"{path}.{key}", f"unknown key {key!r}{hint}")
        for key in required:
            if key not in value:
                raise self.error(f"{path}.{key}", "is required")
        return dict(value)

    def list_of(self, value: object, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.error(path, f"must be a list, not {type(value).__name__}")
        return value

    def strings(self, value: object, path: str) -> tuple[str, ...]:
        items = self.list_of(value, path)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise self.error(f"{path}[{i}]", f"must be a string, not {type(item).__name__}")
        return tuple(items)

    def text(self, value: object, path: str) -> str | None:
        """A string field; numbers are accepted where Open Badges stores them as strings (grades)."""
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise self.error(path, f"must be a string, not {type(value).__name__}")

    def when(self, value: object, path: str) -> datetime:
        if isinstance(value, str):
            text = value
            try:
                value = _time.parse(text)
            except _time.DateTimeError as exc:
                if exc.no_timezone:
                    raise self.error(path, f"{text.strip()} {_NO_TIMEZONE}") from None
                raise self.error(path, f"{text!r} is not an ISO 8601 date-time") from None
        if isinstance(value, date) and not isinstance(value, datetime):
            raise self.error(
                path, f"{value.isoformat()} is a date; give a date-time with a time zone (…T00:00:00Z)"
            )
        if not isinstance(value, datetime):
            raise self.error(path, f"must be a date-time, not {type(value).__name__}")
        if not _time.is_aware(value):
            raise self.error(path, f"{value.isoformat()} {_NO_TIMEZONE}")
        return value

    def make(self, factory: Callable[..., T], path: str, **kwargs: Any) -> T:
        """Call a model constructor, re-raising its error with this definition's path and file."""
        try:
            return factory(**kwargs)
        except DefinitionError as exc:
            last = (exc.path or "").rsplit(".", 1)[-1]
            known = [f.name for f in dataclasses.fields(factory)] if dataclasses.is_dataclass(factory) else []
            names = {
                k.replace("pass_value", "pass").replace("identifier_type", "type") for k in [*kwargs, *known]
            }
            where = f"{path}.{last}" if last in names else path
            raise self.error(where, exc.message) from None
        except TypeError as exc:  # a wrong kind of value reached a constructor
            raise self.error(path, str(exc)) from None


_ISSUER_KEYS = (
    "id",
    "name",
    "url",
    "email",
    "country",
    "region",
    "image",
    "description",
    "other_identifiers",
)
_ACHIEVEMENT_KEYS = (
    "id",
    "title",
    "description",
    "criteria",
    "image",
    "achievement_type",
    "language",
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
    "expires",
    "extra",
    "criteria_url",
    "field_of_study",
    "human_code",
    "creator",
    "other_identifiers",
)


def _issuer(r: _Reader, data: object, path: str = "issuer") -> Issuer:
    t = r.table(data, path, _ISSUER_KEYS, ("id", "name"))
    others = _other_identifiers(r, t.get("other_identifiers", []), f"{path}.other_identifiers")
    fields = {
        k: t.get(k) for k in ("id", "name", "url", "email", "country", "region", "image", "description")
    }
    return r.make(Issuer, path, other_identifiers=others, **fields)


def _other_identifiers(r: _Reader, data: object, path: str) -> tuple[OtherIdentifier, ...]:
    others = []
    for i, item in enumerate(r.list_of(data, path)):
        where = f"{path}[{i}]"
        o = r.table(item, where, ("identifier", "type"), ("identifier",))
        others.append(
            r.make(
                OtherIdentifier,
                where,
                identifier=o["identifier"],
                identifier_type=o.get("type", "identifier"),
            )
        )
    return tuple(others)


def _outcomes(r: _Reader, data: object) -> tuple[LearningOutcome, ...]:
    out = []
    for i, item in enumerate(r.list_of(data, "achievement.learning_outcomes")):
        where = f"achievement.learning_outcomes[{i}]"
        if isinstance(item, str):
            out.append(r.make(LearningOutcome, where, statement=item))
        else:
            t = r.table(item, where, ("statement", "url", "framework", "code"), ("statement",))
            out.append(r.make(LearningOutcome, where, **t))
    return tuple(out)


def _simple(
    r: _Reader,
    factory: Callable[..., T],
    data: object,
    path: str,
    keys: tuple[str, ...],
    required: tuple[str, ...] = (),
) -> T:
    t = r.table(data, path, keys, required)
    return r.make(factory, path, **t)


def _credit(r: _Reader, data: object) -> Credit:
    t = r.table(data, "achievement.credit", ("credit_bearing", "counts_toward"), ("credit_bearing",))
    quals = []
    for i, item in enumerate(r.list_of(t.get("counts_toward", []), "achievement.credit.counts_toward")):
        where = f"achievement.credit.counts_toward[{i}]"
        q = r.table(item, where, ("name", "id", "url", "credits", "credit_system"), ("name",))
        quals.append(r.make(Qualification, where, **q))
    return r.make(
        Credit, "achievement.credit", credit_bearing=t["credit_bearing"], counts_toward=tuple(quals)
    )


_GRADE_KEYS = ("name", "type", "min", "max", "pass", "allowed", "id")
_PASS_KEYS = ("pass_rule", "passing", "lower_is_better")


def _grade(r: _Reader, data: object) -> GradeScale:
    path = "achievement.grade"
    t = r.table(data, path, _GRADE_KEYS + _PASS_KEYS, ("name",))
    for key in _PASS_KEYS:
        t.pop(key, None)
    return r.make(
        GradeScale,
        path,
        name=t["name"],
        type=t.get("type", "Result"),
        min=r.text(t.get("min"), f"{path}.min"),
        max=r.text(t.get("max"), f"{path}.max"),
        pass_value=r.text(t.get("pass"), f"{path}.pass"),
        allowed=tuple(
            r.text(v, f"{path}.allowed[{i}]") or ""
            for i, v in enumerate(r.list_of(t.get("allowed", []), f"{path}.allowed"))
        ),
        id=t.get("id"),
    )


def _stack(r: _Reader, data: object) -> Stackability:
    path = "achievement.stackability"
    t = r.table(data, path, ("built_from", "stacks_into", "integration"))
    parts: dict[str, tuple[StackItem, ...]] = {}
    for key in ("built_from", "stacks_into"):
        items = []
        for i, item in enumerate(r.list_of(t.get(key, []), f"{path}.{key}")):
            where = f"{path}.{key}[{i}]"
            items.append(r.make(StackItem, where, **r.table(item, where, ("id", "name"), ("id",))))
        parts[key] = tuple(items)
    return r.make(Stackability, path, integration=t.get("integration"), **parts)


def _json_value(r: _Reader, value: object, path: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _json_value(r, item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _json_value(r, item, f"{path}[{i}]")
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise r.error(path, f"a {type(value).__name__} is not a JSON value; write dates and times as strings")


def _extra(r: _Reader, data: object) -> tuple[tuple[str, Any], ...]:
    t = r.table(data, "achievement.extra", tuple(data) if isinstance(data, Mapping) else ())
    for key, value in t.items():
        if not isinstance(key, str) or not key or key.startswith("@"):
            raise r.error(f"achievement.extra.{key}", "extra keys must be JSON-LD terms, not keywords")
        _json_value(r, value, f"achievement.extra.{key}")
    return tuple(sorted(t.items()))


def _achievement(r: _Reader, data: object) -> Achievement:
    t = r.table(data, "achievement", _ACHIEVEMENT_KEYS, ("id", "title", "description"))
    a = "achievement"
    kwargs: dict[str, Any] = {
        k: t.get(k) for k in ("id", "title", "description", "criteria", "image", "language")
    }
    if "achievement_type" in t:
        kwargs["achievement_type"] = t["achievement_type"]
    if "learning_outcomes" in t:
        kwargs["learning_outcomes"] = _outcomes(r, t["learning_outcomes"])
    if "workload" in t:
        kwargs["workload"] = _simple(
            r, Workload, t["workload"], f"{a}.workload", ("hours", "credits", "credit_system")
        )
    if "level" in t:
        keys = ("framework", "level", "country", "url")
        if isinstance(t["level"], list):  # several levels, e.g. EQF and NQF together
            kwargs["level"] = tuple(
                _simple(r, Level, item, f"{a}.level[{i}]", keys, ("framework", "level"))
                for i, item in enumerate(t["level"])
            )
            if not kwargs["level"]:
                raise r.error(f"{a}.level", "name at least one level, or leave level out")
        else:
            kwargs["level"] = _simple(r, Level, t["level"], f"{a}.level", keys, ("framework", "level"))
    if "assessment" in t:
        at = r.table(t["assessment"], f"{a}.assessment", ("type", "description"), ("type",))
        if isinstance(at["type"], list):
            at["type"] = r.strings(at["type"], f"{a}.assessment.type")
        kwargs["assessment"] = r.make(Assessment, f"{a}.assessment", **at)
    if "participation" in t:
        kwargs["participation"] = _simple(
            r, Participation, t["participation"], f"{a}.participation", ("type", "description"), ("type",)
        )
    if "quality_assurance" in t:
        kwargs["quality_assurance"] = _simple(
            r,
            QualityAssurance,
            t["quality_assurance"],
            f"{a}.quality_assurance",
            ("body", "url", "framework", "description", "type", "registry_id", "decision_url"),
            ("body", "url"),
        )
    if "credit" in t:
        kwargs["credit"] = _credit(r, t["credit"])
    if "prerequisites" in t:
        kwargs["prerequisites"] = r.strings(t["prerequisites"], f"{a}.prerequisites")
    if "supervision" in t:
        kwargs["supervision"] = _simple(
            r, Supervision, t["supervision"], f"{a}.supervision", ("type", "identity_checked", "description")
        )
    if "grade" in t:
        kwargs["grade"] = _grade(r, t["grade"])
    if "stackability" in t:
        kwargs["stackability"] = _stack(r, t["stackability"])
    if "expires" in t:
        kwargs["expires"] = r.when(t["expires"], f"{a}.expires")
    if "extra" in t:
        kwargs["extra"] = _extra(r, t["extra"])
    for key in ("criteria_url", "field_of_study", "human_code"):
        if key in t:
            kwargs[key] = t[key]
    if "creator" in t:
        kwargs["creator"] = _issuer(r, t["creator"], f"{a}.creator")
    if "other_identifiers" in t:
        kwargs["other_identifiers"] = _other_identifiers(r, t["other_identifiers"], f"{a}.other_identifiers")
    return r.make(Achievement, a, **kwargs)


def _check(r: _Reader, data: object) -> CheckSettings:
    t = r.table(data, "check", ("profiles", "strict", "not_applicable"))
    profiles = r.strings(t["profiles"], "check.profiles") if "profiles" in t else None
    na = r.strings(t.get("not_applicable", []), "check.not_applicable")
    return r.make(CheckSettings, "check", profiles=profiles, strict=t.get("strict", False), not_applicable=na)


def _pass_rule(r: _Reader, data: object, scale: GradeScale | None) -> PassRule:
    path = "achievement.grade"
    t = dict(data) if isinstance(data, Mapping) else {}
    kind = t.get("pass_rule")
    if kind is not None and not isinstance(kind, str):
        raise r.error(f"{path}.pass_rule", f"must be a string, not {type(kind).__name__}")
    passing = tuple(
        r.text(v, f"{path}.passing[{i}]") or ""
        for i, v in enumerate(r.list_of(t.get("passing", []), f"{path}.passing"))
    )
    lower = t.get("lower_is_better", False)
    if not isinstance(lower, bool):
        raise r.error(f"{path}.lower_is_better", "must be true or false")
    try:
        return PassRule.for_scale(scale, kind, passing, lower)
    except DefinitionError as exc:
        raise r.error(f"{path}.{exc.path or 'pass_rule'}", exc.message) from None


def definition_from_mapping(data: Mapping[str, Any], *, source: str | None = None) -> Definition:
    """Build a :class:`Definition` from parsed TOML/JSON; ``source`` names the file in errors."""
    r = _Reader(source)
    t = r.table(data, "definition", ("issuer", "achievement", "check"), ())
    for key in ("issuer", "achievement"):
        if key not in t:
            raise r.error(key, f"the [{key}] table is required")
    achievement = _achievement(r, t["achievement"])
    grade = t["achievement"].get("grade") if isinstance(t["achievement"], Mapping) else None
    return Definition(
        issuer=_issuer(r, t["issuer"]),
        achievement=achievement,
        source=source,
        check=_check(r, t["check"]) if "check" in t else CheckSettings(),
        pass_rule=_pass_rule(r, grade, achievement.grade),
    )


def load_definition(path: str | Path) -> Definition:
    """Read a ``.toml`` or ``.json`` achievement definition file."""
    p = Path(path)
    source = str(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DefinitionError(f"cannot read the file: {exc.strerror or exc}", source=source) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DefinitionError("is not UTF-8 text", source=source) from None
    if p.suffix.lower() == ".json":
        try:
            data = _json.loads(text)
        except json.JSONDecodeError as exc:
            raise DefinitionError(
                f"is not valid JSON: {exc}", source=source, path=f"line {exc.lineno}"
            ) from None
        except ValueError as exc:  # nested too deeply
            raise DefinitionError(f"is not valid JSON: {exc}", source=source) from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DefinitionError(f"is not valid TOML: {exc}", source=source) from None
    if not isinstance(data, dict):
        raise DefinitionError("must hold an object with [issuer] and [achievement]", source=source)
    return definition_from_mapping(data, source=source)
