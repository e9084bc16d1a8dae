"""The "large" micro-credential of the benchmarks, built through microcred's model and builder.

A typical definition (``examples/university-data-science.toml``) grown to the size of a large real
credential: ~100 learning outcomes (half of them tied to an ESCO-style skill URL, each an
``Alignment``), ~20 evidence items, ~10 results, and an embedded ``EndorsementCredential`` signed
(eddsa-rdfc-2022) by a second did:key endorser. Everything but the extra results and the endorsement
document itself goes through :class:`~microcred.model.Achievement` and
:func:`~microcred.credential.builder.build_credential`; the endorsement rides in ``Achievement.extra``.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from microcred.credential.builder import EXTENSIONS_CONTEXT_URL, OB_CONTEXT_URL, build_credential
from microcred.credential.schema import ENDORSEMENT_SCHEMA_URL
from microcred.keys.material import IssuerKey
from microcred.model.definition import Definition
from microcred.model.elements import LearningOutcome
from microcred.model.learner import Evidence, Recipient, Result
from microcred.suites import sign_proof

__all__ = ["EVIDENCE", "OUTCOMES", "RESULTS", "build_large", "endorsement", "large_definition"]

#: How big "large" is.
OUTCOMES = 100
EVIDENCE = 20
RESULTS = 10

_VERBS = ("Select", "Evaluate", "Explain", "Apply", "Design", "Critically assess", "Implement", "Report")
_TOPICS = (
    "supervised learning models for tabular health data",
    "cross-validation and calibrated uncertainty",
    "missing-data mechanisms in clinical records",
    "fairness metrics across patient subgroups",
    "feature engineering for longitudinal cohorts",
    "survival models for time-to-event outcomes",
    "privacy-preserving analysis of registry data",
    "model documentation for regulatory review",
)


def _iso(moment: datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def endorsement(subject_id: str, endorser: IssuerKey, *, now: datetime) -> dict[str, Any]:
    """A signed OB 3.0 ``EndorsementCredential`` by ``endorser`` (a did:key) about ``subject_id``."""
    unsigned: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2", OB_CONTEXT_URL, EXTENSIONS_CONTEXT_URL],
        "id": "urn:uuid:6d1f7c1e-2c55-4a51-9d0c-5b0a3e7f2b10",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "Endorsement by the Health Data Science Accreditation Council",
        "issuer": {
            "id": endorser.controller,
            "type": ["Profile"],
            "name": "Health Data Science Accreditation Council",
        },
        "validFrom": _iso(now),
        "credentialSubject": {
            "id": subject_id,
            "type": ["EndorsementSubject"],
            "endorsementComment": "Meets the council's curriculum standard for applied machine learning "
            "in public health, reviewed in full by an independent panel.",
        },
        "credentialSchema": [{"id": ENDORSEMENT_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    return sign_proof(unsigned, endorser, created=now)


def large_definition(base: Definition, endorser: IssuerKey, *, now: datetime) -> Definition:
    """``base`` with :data:`OUTCOMES` learning outcomes and an embedded signed endorsement."""
    achievement = base.achievement
    outcomes = []
    for i in range(OUTCOMES):
        statement = f"{_VERBS[i % len(_VERBS)]} {_TOPICS[i % len(_TOPICS)]} (outcome {i + 1})."
        if i % 2:
            outcomes.append(
                LearningOutcome(
                    statement,
                    url=f"http://data.europa.eu/esco/skill/00000000-0000-4000-8000-{i:012d}",
                    framework="ESCO",
                    code=f"S{i:03d}",
                )
            )
        else:
            outcomes.append(LearningOutcome(statement))
    endorsed = endorsement(achievement.id, endorser, now=now)
    large = dataclasses.replace(
        achievement,
        learning_outcomes=tuple(outcomes),
        extra=(*achievement.extra, ("endorsement", [endorsed])),
    )
    return dataclasses.replace(base, achievement=large)


def _evidence() -> tuple[Evidence, ...]:
    return tuple(
        Evidence(
            id=f"https://portfolio.uni-harderwijk.example/aml-2025/evidence/{i}",
            name=f"Practical assignment {i + 1}",
            narrative=f"Notebook and written report for assignment {i + 1}, graded by two examiners.",
            genre="Assignment",
            description="Reproducible analysis of a public health data set.",
        )
        for i in range(EVIDENCE)
    )


_EVIDENCE_ITEMS = _evidence()


def build_large(
    definition: Definition,
    recipient: Recipient | str,
    *,
    issuer_id: str,
    now: datetime,
    credential_id: str,
) -> dict[str, Any]:
    """An unsigned large credential: the builder's output plus ``RESULTS - 1`` module results."""
    credential = build_credential(
        definition,
        recipient,
        issuer_id=issuer_id,
        now=now,
        credential_id=credential_id,
        result=Result("8.5"),
        evidence=_EVIDENCE_ITEMS,
    )
    subject = credential["credentialSubject"]
    scale = subject["result"][0].get("resultDescription")
    for i in range(1, RESULTS):
        entry: dict[str, Any] = {"type": ["Result"], "value": f"{6 + (i % 4)}.{i % 10}"}
        if scale:
            entry["resultDescription"] = scale
        subject["result"].append(entry)
    return credential
