"""Check profiles: does a micro-credential definition mean what it says before it is signed?

A profile is a set of rules from a published framework: ``eu`` (Council Recommendation 2022/C 243/02,
Annex I and II) and ``au`` (Australia's National Microcredentials Framework, 2021). Each rule has an id,
a kind (``missing``, ``contradiction``, ``range``, ``claim``) and its source, listed in :data:`RULES` and
in docs/definition-format.md. :func:`check_definition` returns the findings; callers treat them as
warnings, or as errors when strict (``--strict``, or ``strict = true`` in the definition's ``[check]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import DefinitionError
from .elm import nqf_to_eqf

if TYPE_CHECKING:
    from .definition import Definition
    from .elements import Achievement, Issuer


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of a profile: what it checks and the published text it comes from."""

    id: str
    kind: str
    summary: str
    source: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule a definition breaks: ``path`` names the element, ``message`` says why in plain words."""

    rule: str
    path: str
    message: str

    @property
    def kind(self) -> str:
        """``missing``, ``contradiction``, ``range`` or ``claim``."""
        return RULES[self.rule].kind

    @property
    def source(self) -> str:
        """The published text the rule comes from."""
        return RULES[self.rule].source

    def to_dict(self) -> dict[str, str]:
        """``{"rule", "kind", "path", "message", "source"}``."""
        return {
            "rule": self.rule,
            "kind": self.kind,
            "path": self.path,
            "message": self.message,
            "source": self.source,
        }

    def __str__(self) -> str:
        return f"[{self.rule}] {self.path}: {self.message}"


_EU = "Council Recommendation of 16 June 2022 on a European approach to micro-credentials (2022/C 243/02)"
_ECTS = "ECTS Users' Guide 2015 (one credit corresponds to 25 to 30 hours of work)"
_NMF = "National Microcredentials Framework (Australian Government, November 2021), minimum standards"

#: Every rule, by id.
RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("eu.mandatory", "missing", "a mandatory Annex I element is stated", f"{_EU}, Annex I, part I"),
        Rule(
            "eu.not-applicable",
            "contradiction",
            "an element is not both stated and declared not applicable",
            f"{_EU}, Annex I, part I",
        ),
        Rule(
            "eu.identity",
            "contradiction",
            "a supervision type that verifies identity is not stated with identity_checked = false",
            f"{_EU}, Annex I, part II (supervision and identity verification during assessment)",
        ),
        Rule(
            "eu.hours-per-credit",
            "range",
            "hours per credit lie in the credit system's range (with the country's convention)",
            f"{_ECTS}; country conventions in microcred.model.profiles.HOURS_PER_CREDIT",
        ),
        Rule(
            "eu.counts-toward",
            "contradiction",
            "credit granted toward a qualification is not above the credential's own credit",
            f"{_EU}, Annex I, part II (integration/stackability options); {_ECTS}",
        ),
        Rule(
            "eu.level-needs-qa",
            "claim",
            "a level claim (EQF/NQF) is underpinned by quality assurance",
            f"{_EU}, Annex II, principle 1 (quality); EQF Recommendation 2017/C 189/03, Annex IV",
        ),
        Rule(
            "eu.nqf-eqf",
            "contradiction",
            "an NQF level stated with an EQF level is referenced to that EQF level",
            "EQF Recommendation 2017/C 189/03, Annex III (referencing criteria); the national referencing "
            "reports in microcred.model.elm.NQF_TO_EQF",
        ),
        Rule(
            "eu.minimum-volume",
            "range",
            "the notional workload is at least one hour",
            f"{_EU}, definition of a micro-credential (a small volume of learning); the one stated "
            f"minimum is the {_NMF}",
        ),
        Rule("au.mandatory", "missing", "a minimum-standard element is stated", _NMF),
        Rule("au.minimum-volume", "range", "the volume of learning is at least one hour", _NMF),
        Rule(
            "au.aqf-level",
            "claim",
            "no AQF level is claimed: micro-credentials sit outside the AQF",
            f"{_NMF}; AQF Second Edition (2013), levels apply to AQF qualifications",
        ),
    )
}

#: The profiles and the rule ids each runs.
PROFILES: dict[str, tuple[str, ...]] = {
    name: tuple(r for r in RULES if r.startswith(name + ".")) for name in ("eu", "au")
}

#: Annex I mandatory elements (Identification of the learner and date of issuing come with each award).
EU_MANDATORY: tuple[str, ...] = (
    "title",
    "country",
    "awarding_body",
    "learning_outcomes",
    "workload",
    "level",
    "assessment",
    "participation",
    "quality_assurance",
)

#: NMF minimum standards and critical information.
AU_MANDATORY: tuple[str, ...] = (
    "title",
    "awarding_body",
    "learning_outcomes",
    "workload",
    "assessment",
    "participation",
    "quality_assurance",
    "credit",
)

#: Hours per credit, (low, high), by credit system (case-insensitive) and, for ECTS, by country.
#: Sources: ECTS Users' Guide 2015 (25–30); NL: WHW art. 7.4 (28 h); FI: Government Decree
#: 794/2004 §5 (27 h); IT: DM 509/1999 art. 5 (25 h); CATS / SCQF: QAA Higher Education Credit
#: Framework for England (2021) and the SCQF Handbook (10 notional hours per credit).
HOURS_PER_CREDIT: dict[str, dict[str | None, tuple[float, float]]] = {
    "ects": {None: (25, 30), "NL": (28, 28), "FI": (27, 27), "IT": (25, 25)},
    "cats": {None: (10, 10)},
    "scqf": {None: (10, 10)},
    "scqf credit points": {None: (10, 10)},
}

#: The smallest notional workload (hours) a micro-credential states (NMF).
MINIMUM_HOURS = 1


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """The definition's ``[check]`` table: which profiles run, strictness, elements not applicable."""

    profiles: tuple[str, ...] | None = None
    strict: bool = False
    not_applicable: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.profiles is not None:
            for name in self.profiles:
                if name not in PROFILES:
                    raise DefinitionError(
                        f"unknown profile {name!r}; known: {', '.join(PROFILES)}", path="check.profiles"
                    )
        if not isinstance(self.strict, bool):
            raise DefinitionError("must be true or false", path="check.strict")
        known = sorted(set(EU_MANDATORY) | set(AU_MANDATORY))
        for name in self.not_applicable:
            if name not in known:
                raise DefinitionError(
                    f"{name!r} is not a mandatory element; one of {', '.join(known)}",
                    path="check.not_applicable",
                )


def default_profiles(issuer: Issuer) -> tuple[str, ...]:
    """``eu`` always; ``au`` too when the issuer's country is Australia."""
    return ("eu", "au") if issuer.country == "AU" else ("eu",)


def _present(a: Achievement, issuer: Issuer, element: str) -> bool:
    if element == "awarding_body":
        return bool(issuer.name)
    if element == "country":
        return issuer.country is not None
    if element == "workload" and a.workload is not None:
        return True
    value: Any = getattr(a, element)
    return bool(value)


def _hours_per_credit(system: str, country: str | None) -> tuple[float, float] | None:
    by_country = HOURS_PER_CREDIT.get(system.strip().casefold())
    if by_country is None:
        return None
    return by_country.get(country, by_country[None])


def _same_system(theirs: str | None, ours: str | None) -> bool:
    """A counts-toward credit without its own system is in the credential's system."""
    return theirs is None or (ours is not None and theirs.strip().casefold() == ours.strip().casefold())


def _where(system: str, country: str | None) -> str:
    return f" in {country}" if country in HOURS_PER_CREDIT.get(system.strip().casefold(), {}) else ""


def _mandatory(
    rule: str, elements: tuple[str, ...], a: Achievement, issuer: Issuer, na: tuple[str, ...]
) -> list[Finding]:
    out = []
    for element in elements:
        present = _present(a, issuer, element)
        if element in na:
            if present and rule.startswith("eu."):
                out.append(
                    Finding(
                        "eu.not-applicable",
                        element,
                        "is stated and also declared not applicable in [check] not_applicable",
                    )
                )
            continue
        if not present:
            what = "an element EU Annex I requires" if rule == "eu.mandatory" else "an NMF minimum standard"
            out.append(
                Finding(
                    rule,
                    element,
                    f"is not stated: {what}; state it, or list it in [check] not_applicable",
                )
            )
    return out


def _eu_rules(a: Achievement, issuer: Issuer) -> list[Finding]:
    out: list[Finding] = []
    s = a.supervision
    if s is not None and s.type == "onsite with identity verification" and s.identity_checked is False:
        out.append(
            Finding("eu.identity", "supervision.identity_checked", f"is false, but the type is {s.type!r}")
        )
    w = a.workload
    if w is not None and w.hours is not None and w.credits is not None and w.credit_system is not None:
        span = _hours_per_credit(w.credit_system, issuer.country)
        if span is not None:
            per = w.hours / w.credits
            low, high = span
            if not low <= per <= high:
                expect = f"{low:g}" if low == high else f"{low:g}–{high:g}"
                out.append(
                    Finding(
                        "eu.hours-per-credit",
                        "workload",
                        f"{w.hours:g} hours for {w.credits:g} {w.credit_system} is {per:.3g} hours per "
                        f"credit; {w.credit_system} expects {expect}"
                        + _where(w.credit_system, issuer.country),
                    )
                )
    if a.credit is not None:
        for i, q in enumerate(a.credit.counts_toward):
            if q.credits is None:
                continue
            where = f"credit.counts_toward[{i}].credits"
            if w is None or w.credits is None:
                out.append(
                    Finding(
                        "eu.counts-toward",
                        where,
                        f"grants {q.credits:g} credits toward {q.name!r}, but the workload states no credit",
                    )
                )
            elif _same_system(q.credit_system, w.credit_system) and q.credits > w.credits:
                out.append(
                    Finding(
                        "eu.counts-toward",
                        where,
                        f"grants {q.credits:g} {w.credit_system} toward {q.name!r}, more than the "
                        f"{w.credits:g} {w.credit_system} of the credential itself",
                    )
                )
    claimed = [lv for lv in a.levels if lv.framework != "AQF"]
    if claimed and a.quality_assurance is None:
        names = " and ".join(f"{lv.framework} level {lv.code}" for lv in claimed)
        out.append(
            Finding("eu.level-needs-qa", "level", f"claims {names} with no quality assurance behind it")
        )
    eqf = next((lv for lv in a.levels if lv.framework == "EQF"), None)
    for lv in a.levels:
        referenced = nqf_to_eqf(lv.country or "", lv.level) if lv.framework == "NQF" else None
        if eqf is not None and referenced is not None and referenced != eqf.level:
            out.append(
                Finding(
                    "eu.nqf-eqf",
                    "level",
                    f"NQF ({lv.country}) level {lv.code} is referenced to EQF level {referenced}, "
                    f"not the EQF level {eqf.code} stated with it",
                )
            )
    if w is not None and w.hours is not None and w.hours < MINIMUM_HOURS:
        out.append(
            Finding("eu.minimum-volume", "workload.hours", f"{w.hours:g} hours is below one hour of learning")
        )
    return out


def _au_rules(a: Achievement) -> list[Finding]:
    out: list[Finding] = []
    w = a.workload
    if w is not None and w.hours is None:
        out.append(Finding("au.mandatory", "workload.hours", "is not stated: the NMF gives volume in hours"))
    if w is not None and w.hours is not None and w.hours < MINIMUM_HOURS:
        out.append(Finding("au.minimum-volume", "workload.hours", f"{w.hours:g} hours is below one hour"))
    for lv in a.levels:
        if lv.framework == "AQF":
            out.append(
                Finding(
                    "au.aqf-level",
                    "level",
                    f"AQF level {lv.code} is claimed, but micro-credentials sit outside the AQF; "
                    "name the AQF qualification it counts toward instead",
                )
            )
    return out


def check_definition(
    achievement: Achievement,
    issuer: Issuer,
    settings: CheckSettings | None = None,
    *,
    profiles: tuple[str, ...] | None = None,
) -> list[Finding]:
    """The findings of ``profiles`` (default: the settings', else :func:`default_profiles`)."""
    settings = settings or CheckSettings()
    chosen = profiles or settings.profiles or default_profiles(issuer)
    for name in chosen:
        if name not in PROFILES:
            raise DefinitionError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}", path="profile")
    na = settings.not_applicable
    out: list[Finding] = []
    if "eu" in chosen:
        out += _mandatory("eu.mandatory", EU_MANDATORY, achievement, issuer, na)
        out += _eu_rules(achievement, issuer)
    if "au" in chosen:
        out += _mandatory("au.mandatory", AU_MANDATORY, achievement, issuer, na)
        out += _au_rules(achievement)
    return out


class ProfileError(DefinitionError):
    """A strict check found rules broken; ``findings`` lists them."""

    code = "definition.profile"

    def __init__(self, findings: list[Finding], *, source: str | None = None) -> None:
        lines = "\n".join(f"  {f}" for f in findings)
        super().__init__(f"{len(findings)} check finding(s) with strict checking:\n{lines}", source=source)
        self.findings = findings


def check(
    definition: Definition, *, profiles: tuple[str, ...] | None = None, strict: bool = False
) -> list[Finding]:
    """Run the definition's profiles; raise :class:`ProfileError` on any finding when ``strict`` or the
    definition's ``[check] strict = true``, else return the findings (warnings)."""
    findings = check_definition(
        definition.achievement, definition.issuer, definition.check, profiles=profiles
    )
    if findings and (strict or definition.check.strict):
        raise ProfileError(findings, source=definition.source)
    return findings
