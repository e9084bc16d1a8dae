"""Native Open Badges 3.0 fields that carry Annex I content: criteria.id, fieldOfStudy, humanCode, creator
(joint awards), the learner's name as an IdentityObject, and the per-learner AchievementSubject fields
(activity period, creditsEarned, source = the assessor) with component credentials; `issue --evidence`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from microcred import issue, offline_fetch, verify
from microcred.cli import main
from microcred.credential.builder import build_credential
from microcred.credential.inspection import credential_elements
from microcred.credential.schema import schema_errors
from microcred.errors import DefinitionError
from microcred.jsonld.canonical import canonicalize
from microcred.jsonld.loader import EXTENSION_V2_CONTEXT_URL
from microcred.keys.material import generate_key
from microcred.model.award import Assessor, AwardDetails
from microcred.model.definition import definition_from_mapping, load_definition
from microcred.model.learner import Recipient

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 1, tzinfo=UTC)
JOINT = ROOT / "examples" / "joint-award-data-stewardship.toml"
RPL = ROOT / "examples" / "rpl-partial-credit.toml"


def _subject(credential: dict) -> dict:
    return credential["credentialSubject"]


def test_native_achievement_fields_and_a_joint_award():
    credential = build_credential(load_definition(JOINT), "did:example:l", now=NOW)
    a = _subject(credential)["achievement"]
    assert a["criteria"]["id"] == "https://www.university-galway-bay.example/joint/research-data-stewardship"
    assert a["fieldOfStudy"].endswith("(ISCED-F 2013: 0688)") and a["humanCode"] == "RDS-JOINT"
    assert a["creator"]["type"] == ["Profile"] and a["creator"]["name"].startswith("Joint Programme Board")
    assert credential["issuer"]["name"] == "University of Galway Bay"
    assert a["integration"] == "integrated" and credential["@context"][-1] == EXTENSION_V2_CONTEXT_URL
    assert schema_errors(credential) == []
    nquads = canonicalize(credential)
    assert "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#creator>" in nquads


def test_the_learner_name_is_an_identity_object_and_reads_back():
    credential = build_credential(
        load_definition(RPL), Recipient.parse("did:example:l", "Pat Murphy"), now=NOW
    )
    assert "name" not in _subject(credential)
    assert credential_elements(credential)["learner"] == {"id": "did:example:l", "name": "Pat Murphy"}
    older = json.loads(json.dumps(credential))  # the previous release wrote subject.name
    older["credentialSubject"]["name"] = "Pat Murphy"
    del older["credentialSubject"]["identifier"]
    assert credential_elements(older)["learner"]["name"] == "Pat Murphy"


def test_rpl_partial_credit_with_assessor_period_and_components():
    award = AwardDetails(
        activity_start=datetime(2024, 1, 1, tzinfo=UTC),
        activity_end=datetime(2025, 6, 30, tzinfo=UTC),
        credits_earned=5,
        assessor=Assessor("https://www.atlantic-tech.example/staff/assessor-17", "M. Byrne"),
        components=("urn:uuid:6f1c2f43-0d8c-4a43-9a39-000000000001",),
    )
    definition = load_definition(RPL)
    signed = issue(
        definition, "did:example:l", generate_key("Ed25519"), now=NOW, build_options={"award": award}
    )
    subject = _subject(dict(signed.credential))
    assert subject["creditsEarned"] == 5 and subject["achievement"]["creditsAvailable"] == 10
    assert subject["activityStartDate"] == "2024-01-01T00:00:00Z"
    assert subject["activityEndDate"] == "2025-06-30T00:00:00Z"
    assert subject["source"] == {
        "id": "https://www.atlantic-tech.example/staff/assessor-17",
        "type": ["Profile"],
        "name": "M. Byrne",
    }
    assert subject["componentCredentials"] == ["urn:uuid:6f1c2f43-0d8c-4a43-9a39-000000000001"]
    assert verify(signed.credential, fetch=offline_fetch(), now=NOW).verified
    assert credential_elements(dict(signed.credential))["credit"]["credits_earned"] == 5


@pytest.mark.parametrize(
    "kwargs,path",
    [
        ({"credits_earned": 11}, "credits_earned"),
        ({"credits_earned": -1}, "credits_earned"),
        ({"activity_start": datetime(2025, 1, 1)}, "activity_start"),
        (
            {
                "activity_start": datetime(2025, 1, 2, tzinfo=UTC),
                "activity_end": datetime(2025, 1, 1, tzinfo=UTC),
            },
            "activity_end",
        ),
        ({"components": ("not a uri",)}, "components[0]"),
        ({"components": ("urn:x:1", "urn:x:1")}, "components"),
    ],
)
def test_bad_award_details(kwargs, path):
    with pytest.raises(DefinitionError) as info:
        build_credential(load_definition(RPL), "did:example:l", now=NOW, award=AwardDetails(**kwargs))
    assert info.value.path == path


def test_stand_alone_stacks_into_nothing():
    data = {
        "issuer": {"id": "https://u.example/i", "name": "U"},
        "achievement": {
            "id": "https://u.example/a",
            "title": "T",
            "description": "D",
            "stackability": {"integration": "stand-alone", "stacks_into": [{"id": "https://u.example/b"}]},
        },
    }
    with pytest.raises(DefinitionError) as info:
        definition_from_mapping(data)
    assert info.value.path == "achievement.stackability.integration"


def _run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result


def test_issue_has_the_evidence_and_award_options(tmp_path):
    key = tmp_path / "key.json"
    assert _run("keygen", "-o", str(key)).exit_code == 0
    r = _run(
        "issue",
        "--key",
        str(key),
        "--achievement",
        str(RPL),
        "--recipient",
        "did:example:l",
        "--evidence",
        "https://portfolio.example/pat=Site records",
        "--evidence-narrative",
        "Observed supervising a concrete pour on 3 March 2025.",
        "--credits-earned",
        "5",
        "--assessor",
        "https://www.atlantic-tech.example/staff/assessor-17=M. Byrne",
        "--activity-start",
        "2024-01-01T00:00:00Z",
        "--activity-end",
        "2025-06-30T00:00:00Z",
        "--component",
        "urn:uuid:6f1c2f43-0d8c-4a43-9a39-000000000001",
    )
    assert r.exit_code == 0, r.output
    credential = json.loads(r.stdout)
    assert [e.get("name") or e.get("narrative") for e in credential["evidence"]] == [
        "Site records",
        "Observed supervising a concrete pour on 3 March 2025.",
    ]
    assert credential["credentialSubject"]["creditsEarned"] == 5
    assert type(credential["credentialSubject"]["creditsEarned"]) is int
    assert credential["credentialSubject"]["source"]["name"] == "M. Byrne"
    r = _run(
        "issue",
        "--key",
        str(key),
        "--achievement",
        str(RPL),
        "--recipient",
        "did:example:l",
        "--activity-start",
        "2024-01-01T00:00:00",
    )
    assert r.exit_code == 2 and "activity_start" in r.stderr
    r = _run("build", "--achievement", str(RPL), "--recipient", "did:example:l", "--credits-earned", "20")
    assert r.exit_code == 2 and "credits_earned" in r.stderr


def test_issuer_region_achievement_identifiers_and_result_status():
    data = {
        "issuer": {"id": "https://u.example/i", "name": "U", "country": "AU", "region": "New South Wales"},
        "achievement": {
            "id": "https://u.example/a",
            "title": "T",
            "description": "D",
            "other_identifiers": [{"identifier": "AHCSS00123", "type": "ext:SkillSetCode"}],
        },
    }
    credential = build_credential(
        definition_from_mapping(data), "did:example:l", now=NOW, award=AwardDetails(status="Completed")
    )
    assert credential["issuer"]["address"] == {
        "type": ["Address"],
        "addressCountryCode": "AU",
        "addressRegion": "New South Wales",
    }
    a = _subject(credential)["achievement"]
    assert a["otherIdentifier"] == [
        {"type": "IdentifierEntry", "identifier": "AHCSS00123", "identifierType": "ext:SkillSetCode"}
    ]
    assert _subject(credential)["result"] == [{"type": ["Result"], "status": "Completed"}]
    assert schema_errors(credential) == []
    assert credential_elements(credential)["awarding_body"]["region"] == "New South Wales"
    canonicalize(credential)
    with pytest.raises(DefinitionError) as info:
        AwardDetails(status="Passed")
    assert info.value.path == "result_status"
    graded = build_credential(
        load_definition(ROOT / "examples" / "university-data-science.toml"),
        "did:example:l",
        now=NOW,
        result="8",
        award=AwardDetails(status="Completed"),
    )
    assert (
        _subject(graded)["result"][0]["value"] == "8"
        and _subject(graded)["result"][0]["status"] == "Completed"
    )


def test_results_aligned_to_the_outcomes_the_evidence_proves():
    definition = load_definition(RPL)
    credential = build_credential(
        definition, "did:example:l", now=NOW, result=None, award=AwardDetails(outcomes_achieved=(1, 3))
    )
    results = _subject(credential)["result"]
    names = [r["alignment"][0]["targetName"] for r in results]
    outcomes = definition.achievement.learning_outcomes
    assert names == [outcomes[0].statement, outcomes[2].statement]
    assert all(r["status"] == "Completed" and r["type"] == ["Result"] for r in results)
    assert all(r["alignment"][0]["targetType"] == "ext:LearningOutcome" for r in results)
    assert schema_errors(credential) == []
    canonicalize(credential)
    with pytest.raises(DefinitionError) as info:
        build_credential(definition, "did:example:l", now=NOW, award=AwardDetails(outcomes_achieved=(4,)))
    assert info.value.path == "outcomes_achieved" and "states 3" in info.value.message
    for bad in ((0,), (1, 1), (True,)):
        with pytest.raises(DefinitionError):
            AwardDetails(outcomes_achieved=bad)
    r = _run("build", "--achievement", str(RPL), "--recipient", "did:example:l", "--outcome-achieved", "2")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["credentialSubject"]["result"][0]["alignment"][0]["targetName"] == (
        outcomes[1].statement
    )
