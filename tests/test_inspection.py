"""inspect: the micro-credential elements any OB 3.0 credential states, never more."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from microcred.credential.builder import build_credential
from microcred.credential.inspection import ELEMENT_LABELS, ELEMENT_NAMES, credential_elements, elements_text
from microcred.model.definition import load_definition
from microcred.model.learner import Evidence, Recipient

ROOT = Path(__file__).resolve().parents[1]
VECTORS = Path(__file__).resolve().parent / "vectors"
ONE_EDTECH = sorted(
    [*(VECTORS / "1edtech-ob30").glob("*.json"), *(VECTORS / "1edtech-ob30-spec").glob("*.json")]
)


def _first(value):
    return value[0] if isinstance(value, list) else value


def test_element_names_follow_the_design():
    assert ELEMENT_NAMES == (
        "learner",
        "title",
        "country",
        "awarding_body",
        "issued",
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
        "evidence",
        "expires",
    )


@pytest.mark.parametrize("path", ONE_EDTECH, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_1edtech_examples(path):
    credential = json.loads(path.read_text())
    elements = credential_elements(credential)
    assert tuple(elements) == ELEMENT_NAMES
    json.dumps(elements)
    subject = _first(credential["credentialSubject"])
    achievement = subject.get("achievement", {})
    assert elements["title"] == (achievement.get("name") or credential.get("name"))
    assert elements["issued"] == (credential.get("validFrom") or credential.get("issuanceDate"))
    assert elements["expires"] == (credential.get("validUntil") or credential.get("expirationDate"))
    assert (elements["learner"] or {}).get("id") == subject.get("id")
    issuer = credential["issuer"]
    assert elements["awarding_body"]["id"] == (issuer if isinstance(issuer, str) else issuer["id"])
    # nothing microcred-specific is invented for credentials that never state it
    for name in ("assessment", "participation", "supervision", "stackability", "prerequisites"):
        assert elements[name] is None
    text = elements_text(elements)
    for label in ELEMENT_LABELS.values():
        assert f"{label}:" in text
    assert text.count("Not stated") >= sum(v is None for v in elements.values())


def test_complete_example_details():
    credential = json.loads((VECTORS / "1edtech-ob30" / "complete.json").read_text())
    e = credential_elements(credential)
    achievement = credential["credentialSubject"]["achievement"]
    assert e["workload"] == {"credits": achievement["creditsAvailable"]}
    assert e["credit"] == {"credits_earned": credential["credentialSubject"]["creditsEarned"]}
    assert e["country"] == credential["issuer"]["address"]["addressCountryCode"]
    # the result with a value names its scale by id; that scale, not the first listed, is shown
    named = credential["credentialSubject"]["result"][0]["resultDescription"]
    scale = next(d for d in achievement["resultDescription"] if d["id"] == named)
    assert e["grade"]["name"] == scale["name"] and e["grade"]["value"] == "A"
    assert [o["statement"] for o in e["learning_outcomes"]] == sorted(
        a["targetName"] for a in achievement["alignment"] if a["targetType"] == "CFItem"
    )
    assert e["learner"]["identities"][0]["hashed"] is False


def _edubadges_style() -> dict:
    """A credential shaped like the Dutch edubadges ones: their terms, ext:EQF and ext:QualityAssurance."""
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "http://example.com/credentials/1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": "https://example.com/issuers/1",
            "type": ["Profile"],
            "name": "Universiteit van Harderwijk",
            "otherIdentifier": [
                {"type": "IdentifierEntry", "identifier": "UN1VH", "identifierType": "ext:BRIN"}
            ],
            "address": {"type": ["Address"], "addressCountry": "The Netherlands", "addressCountryCode": "NL"},
        },
        "validFrom": "2024-08-30T00:00:00Z",
        "validUntil": "2029-08-30T00:00:00Z",
        "credentialSubject": {
            "id": "https://example.com/students/1",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://example.com/achievements/1",
                "type": ["Achievement"],
                "name": "Microcredential Basisomzetting",
                "ECTS": 3.0,
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetType": "ext:QualityAssurance",
                        "targetName": "Accreditatie",
                        "targetDescription": "Accreditatie van de opleiding",
                        "targetUrl": "https://data.example.com/qa",
                    },
                    {
                        "type": ["Alignment"],
                        "targetType": "ext:EQF",
                        "targetName": "EQF level 4",
                        "targetCode": "4",
                        "targetUrl": "https://content.example.com/eqf",
                    },
                ],
                "participationType": "onsite or blended",
                "assessmentType": "testing",
                "identityChecked": True,
                "supervisionType": "onsite with identity verification",
                "resultDescription": [
                    {
                        "id": "https://example.com/results/1",
                        "type": ["ResultDescription"],
                        "valueMax": "10",
                        "valueMin": "1",
                        "name": "Final Project Grade",
                        "requiredValue": "6",
                        "resultType": "ext:ECTSGradeScore",
                    }
                ],
            },
            "result": [
                {"type": ["Result"], "resultDescription": "https://example.com/results/1", "value": "8.5"}
            ],
        },
    }


def test_edubadges_style_credentials_read_alike():
    e = credential_elements(_edubadges_style())
    assert e["workload"] == {"credits": 3.0, "credit_system": "ECTS"}
    assert e["level"] == {"framework": "EQF", "level": 4, "url": "https://content.example.com/eqf"}
    assert e["quality_assurance"] == {
        "body": "Accreditatie",
        "url": "https://data.example.com/qa",
        "description": "Accreditatie van de opleiding",
    }
    assert e["assessment"] == {"type": "testing"}
    assert e["participation"] == {"type": "onsite or blended"}
    assert e["supervision"] == {"type": "onsite with identity verification", "identity_checked": True}
    assert e["grade"] == {
        "name": "Final Project Grade",
        "type": "ext:ECTSGradeScore",
        "min": "1",
        "max": "10",
        "pass": "6",
        "value": "8.5",
    }
    assert e["country"] == "NL" and e["expires"] == "2029-08-30T00:00:00Z"
    assert e["awarding_body"]["other_identifiers"] == [{"identifier": "UN1VH", "type": "ext:BRIN"}]
    assert e["credit"] is None and e["learning_outcomes"] is None
    text = elements_text(e)
    assert "Grade: 8.5 on Final Project Grade 1–10, pass mark 6" in text
    assert "Level: EQF level 4" in text


def test_vcdm_1_1_shape_and_string_issuer():
    credential = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": "https://issuer.example",
        "issuanceDate": "2020-01-01T00:00:00Z",
        "expirationDate": "2021-01-01T00:00:00Z",
        "credentialSubject": [{"id": "did:example:1", "achievement": {"name": "X"}}],
    }
    e = credential_elements(credential)
    assert e["issued"] == "2020-01-01T00:00:00Z" and e["expires"] == "2021-01-01T00:00:00Z"
    assert e["awarding_body"] == {"id": "https://issuer.example"} and e["country"] is None
    assert e["title"] == "X"


def test_absent_elements_are_none_and_not_stated():
    e = credential_elements({"type": ["VerifiableCredential"]})
    assert all(v is None for v in e.values())
    text = elements_text(e)
    assert text.count("Not stated") == len(ELEMENT_NAMES)
    assert "Learning outcomes: Not stated" in text
    with pytest.raises(TypeError):
        credential_elements([])  # type: ignore[arg-type]


def test_our_credential_text_for_an_employer():
    definition = load_definition(ROOT / "examples" / "workplace-safety-rpl.toml")
    credential = build_credential(
        definition,
        Recipient.parse("worker@example.ie", "Pat Murphy", salt="x"),
        now=datetime(2025, 1, 1, tzinfo=UTC),
        evidence=[Evidence(id="https://portfolio.example/pat", name="Site safety portfolio")],
    )
    e = credential_elements(credential)
    assert e["evidence"] == [{"id": "https://portfolio.example/pat", "name": "Site safety portfolio"}]
    assert e["workload"] == {"hours": 60} and e["credit"] == {"credit_bearing": False}
    text = elements_text(e)
    assert "Learner: Pat Murphy; emailAddress (hashed" in text
    assert "Notional workload: 60 hours" in text
    assert "Credit: not credit-bearing" in text
    assert "Level: Not stated" in text  # an unaccredited body claims no NFQ level
    assert "  - Plan and deliver toolbox talks on the hazards of the day's work." in text
    assert "Evidence:\n  - Site safety portfolio — https://portfolio.example/pat" in text
