"""microcred's controlled values -> European Learning Model (ELM v3) concept IRIs, as data.

Every IRI here is one the European Commission publishes in the ``european-commission-empl/
European-Learning-Model`` repository (commit 9d7c5d2, EUPL-1.2): its controlled-vocabulary XSDs
(``xsd/loq/cv/*.xsd``) and its Annex I sample credential. A value with no ELM equivalent maps to
``None`` and is said so, never approximated. docs/mapping.md prints the same table.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_SNB = "http://data.europa.eu/snb"

#: Type of assessment -> ELM "assessment" concept (xsd/loq/cv/europass-learning-assessment-types.xsd).
ASSESSMENT: dict[str, str | None] = {
    "testing": None,
    "application of a skill": None,
    "portfolio": f"{_SNB}/assessment/4f03b91c0e",  # portfolio
    "recognition of prior learning": None,
    "written exam": f"{_SNB}/assessment/6e6cb2cc78",  # written examination
    "oral exam": f"{_SNB}/assessment/d30284d7df",  # oral examination
    "practical demonstration": f"{_SNB}/assessment/6a4db9f11d",  # practical assessment
    "project": f"{_SNB}/assessment/795dac4096",  # project work
    "workplace observation": None,
    "peer assessment": f"{_SNB}/assessment/19a2e5e671",  # peer assessment
    "self assessment": None,
    "other": None,
}

#: Form of participation -> ELM "mode of learning and assessment" concept (xsd/loq/cv/europass-modes.xsd).
PARTICIPATION: dict[str, str | None] = {
    "online": f"{_SNB}/learning-assessment/920fbb3cbe",  # Online
    "onsite": f"{_SNB}/learning-assessment/9191af2ed9",  # Presential
    "blended": f"{_SNB}/learning-assessment/e92d221e4d",  # Blended
    "onsite or blended": None,
    "work-based": f"{_SNB}/learning-assessment/729f3bed4b",  # Workbased
    "work experience": None,
    "volunteering": None,
    "personalized learning activities": None,
    "other": None,
}

#: Supervision and identity verification -> ELM "supervision-verification" concept (Annex I sample;
#: the Diploma Supplement sample for "Supervised with ID Verification").
SUPERVISION: dict[str, str | None] = {
    "unsupervised with no identity verification": f"{_SNB}/supervision-verification/c598449d64",
    "supervised with no identity verification": None,
    "supervised online": None,
    "onsite with identity verification": f"{_SNB}/supervision-verification/70be69aaf9",
}

#: Credit system (case-insensitive) -> ELM "education-credit" concept (xsd/loq/cv/credit-points.xsd).
CREDIT_SYSTEM: dict[str, str] = {
    "ects": f"{_SNB}/education-credit/6fcec5c5af",  # European Credit Transfer System
    "ecvet": f"{_SNB}/education-credit/60b314e826",  # European credit system for VET
}

#: Type of quality assurance -> ELM "accreditation" type (xsd/loq/cv/europass-accreditation-types.xsd).
QUALITY_ASSURANCE: dict[str, str | None] = {
    "institutional quality assurance": f"{_SNB}/accreditation/bb4618238e",
    "programme quality assurance": f"{_SNB}/accreditation/820101cba6",
    "institutional licence": f"{_SNB}/accreditation/003293d2ce",
    "programme licence": f"{_SNB}/accreditation/e57dddfcf3",
    "internal quality assurance": None,
}

#: The ELM concept labels, for the table in docs/mapping.md.
LABELS: dict[str, str] = {
    f"{_SNB}/assessment/4f03b91c0e": "portfolio",
    f"{_SNB}/assessment/6e6cb2cc78": "written examination",
    f"{_SNB}/assessment/d30284d7df": "oral examination",
    f"{_SNB}/assessment/6a4db9f11d": "practical assessment",
    f"{_SNB}/assessment/795dac4096": "project work",
    f"{_SNB}/assessment/19a2e5e671": "peer assessment",
    f"{_SNB}/learning-assessment/920fbb3cbe": "Online",
    f"{_SNB}/learning-assessment/9191af2ed9": "Presential",
    f"{_SNB}/learning-assessment/e92d221e4d": "Blended",
    f"{_SNB}/learning-assessment/729f3bed4b": "Workbased",
    f"{_SNB}/supervision-verification/c598449d64": "Unsupervised without ID Verification",
    f"{_SNB}/supervision-verification/70be69aaf9": "Supervised with ID Verification",
    f"{_SNB}/education-credit/6fcec5c5af": "European Credit Transfer System",
    f"{_SNB}/education-credit/60b314e826": "European credit system for vocational education and training",
    f"{_SNB}/accreditation/bb4618238e": "Institutional Quality Assurance",
    f"{_SNB}/accreditation/820101cba6": "Program Quality Assurance",
    f"{_SNB}/accreditation/003293d2ce": "Institutional License",
    f"{_SNB}/accreditation/e57dddfcf3": "Program License",
}

#: How each national framework's QDR concept is labelled by the Commission, per country.
_QDR_LABEL = {"IE": "IE NQF Level {}", "NL": "NLQF Level {}", "DE": "DQR Level {}"}
#: The same for the UK frameworks (levels 1–8/12; entry levels have their own labels below).
_UK_QDR_LABEL = {"RQF": "RQF Level {}", "CQFW": "CQFW Level {}", "SCQF": "SCQF Level {}"}
_UK_ENTRY = {
    ("RQF", "entry 1"): "RQF Entry Levels 1-2",
    ("RQF", "entry 2"): "RQF Entry Levels 1-2",
    ("RQF", "entry 3"): "RQF Entry Level 3",
    ("CQFW", "entry 1"): "CQFW Entry 1-3",
    ("CQFW", "entry 2"): "CQFW Entry 1-3",
    ("CQFW", "entry 3"): "CQFW Entry 1-3",
}

#: NQF level -> EQF level, from each country's EQF referencing report (IE 2009, NL 2012, DE 2011):
#: where a country's levels are not one-to-one, they are listed; NL "entry" is below EQF 1.
NQF_TO_EQF: dict[str, dict[str, int]] = {
    "IE": {"1": 1, "2": 2, "3": 3, "4": 4, "5": 4, "6": 5, "7": 6, "8": 6, "9": 7, "10": 8},
    "NL": {str(n): n for n in range(1, 9)},
    "DE": {str(n): n for n in range(1, 9)},
}


def value_of(value: Any, table: dict[str, str | None]) -> Any:
    """The microcred value an ELM concept IRI in ``table`` stands for (a tuple: each); else ``value``."""
    back = {iri: name for name, iri in table.items() if iri is not None}
    if isinstance(value, tuple):
        return tuple(back.get(v, v) if isinstance(v, str) else v for v in value)
    return back.get(value, value) if isinstance(value, str) else value


def eqf_iri(level: int) -> str:
    """The ELM concept of EQF level 1–8."""
    if not 1 <= level <= 8:
        raise ValueError(f"{level} is not an EQF level")
    return f"{_SNB}/eqf/{level}"


@cache
def _qdr() -> dict[str, str]:
    data = json.loads((Path(__file__).parent / "data" / "elm-qdr-levels.json").read_text(encoding="utf-8"))
    levels: dict[str, str] = data["levels"]
    return levels


def nqf_iri(country: str, level: int | str) -> str | None:
    """The Commission's QDR concept of a national level, where microcred knows its label."""
    text = str(level).strip()
    if country == "NL" and text.lower() == "entry":
        return _qdr().get("NLQF Entry Level")
    pattern = _QDR_LABEL.get(country)
    return _qdr().get(pattern.format(text)) if pattern else None


def uk_iri(framework: str, level: int | str) -> str | None:
    """The Commission's QDR concept of an RQF, CQFW or SCQF level (FHEQ has none in the vocabulary)."""
    text = str(level).strip().lower()
    label = _UK_ENTRY.get((framework, text))
    if label is None and framework in _UK_QDR_LABEL and text.isdecimal():
        label = _UK_QDR_LABEL[framework].format(text)
    return _qdr().get(label) if label else None


def nqf_to_eqf(country: str, level: int | str) -> int | None:
    """The EQF level a national level is referenced to, where the table has it."""
    return NQF_TO_EQF.get(country, {}).get(str(level).strip().lower())


def credit_system_iri(system: str) -> str | None:
    """The ELM education-credit concept of a credit system named in any case (``ects`` is ECTS)."""
    return CREDIT_SYSTEM.get(system.strip().casefold())


def is_ects(system: str | None) -> bool:
    """Whether a credit system's name is ECTS, in any case."""
    return system is not None and system.strip().casefold() == "ects"


#: What "stacks into" and "counts toward" mean, and their equivalents elsewhere. ``built_from`` and
#: ``stacks_into`` are part-of relations between achievements (this one is a part of a larger one);
#: ``counts_toward`` grants credit or admission toward a qualification without making this one part
#: of it. ELM v3 ``hasPart`` / ``isPartOf`` are properties of a LearningAchievementSpecification (ELM.ttl);
#: CLR 2.0 states the same as an ``Association`` (``associationType`` ``isPartOf``, source and target ids).
STACK_EQUIVALENCES: dict[str, dict[str, str | None]] = {
    "built_from": {
        "elm": "http://data.europa.eu/snb/model/elm/hasPart",
        "clr": "isPartOf (component -> this)",
    },
    "stacks_into": {
        "elm": "http://data.europa.eu/snb/model/elm/isPartOf",
        "clr": "isPartOf (this -> larger)",
    },
    "counts_toward": {"elm": None, "clr": None},
}
