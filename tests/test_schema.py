"""JSON Schema validation against the packaged 1EdTech schemas and microcred's own, never fetching."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from microcred.credential.builder import build_credential
from microcred.credential.schema import (
    OB_ACHIEVEMENT_SCHEMA_URL,
    SchemaIssue,
    _validator,
    applicable_schemas,
    schema_errors,
    validate_credential,
)
from microcred.errors import SchemaValidationError
from microcred.jsonld.loader import EXTENSION_SCHEMA_URL
from microcred.model.definition import load_definition

ROOT = Path(__file__).resolve().parents[1]
VECTORS = Path(__file__).resolve().parent / "vectors"
NOW = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def credential() -> dict:
    definition = load_definition(ROOT / "examples" / "university-data-science.toml")
    return build_credential(
        definition, "did:example:learner", now=NOW, credential_id="urn:uuid:1b6c7f2e-0000-4000-8000-1"
    )


def test_our_credential_is_valid_against_both_schemas(credential):
    assert applicable_schemas(credential) == ["1edtech-achievementcredential", "microcred-v1"]
    assert schema_errors(credential) == []
    validate_credential(credential)


def test_schema_files_are_what_they_say():
    ours = json.loads((ROOT / "schemas" / "microcred-schema-v1.json").read_text())
    assert ours["$id"] == EXTENSION_SCHEMA_URL and "2020-12" in ours["$schema"]
    packaged = ROOT / "src" / "microcred" / "credential" / "jsonschemas"
    ob = json.loads((packaged / "achievementcredential.json").read_text())
    assert "2019-09" in ob["$schema"] and ob["$id"].endswith("achievementcredential-jsonschema1.json")
    assert (packaged / "SOURCE.md").is_file()


def test_image_as_a_string_fails_with_its_path(credential):
    credential["credentialSubject"]["achievement"]["image"] = "https://x.example/i.png"
    issues = schema_errors(credential)
    assert [i.path for i in issues] == ["credentialSubject.achievement.image"]
    assert issues[0].schema == "1edtech-achievementcredential"
    with pytest.raises(SchemaValidationError) as info:
        validate_credential(credential)
    assert info.value.path == "credentialSubject.achievement.image"
    assert "1 schema error" in info.value.message


def test_every_error_is_listed_first_path_reported(credential):
    del credential["credentialSubject"]["achievement"]["name"]
    credential["credentialSubject"]["achievement"]["assessmentType"] = "essay"
    credential["credentialSubject"]["achievement"]["workloadHours"] = -1
    issues = schema_errors(credential)
    assert {(i.path, i.schema) for i in issues} == {
        ("credentialSubject.achievement.name", "1edtech-achievementcredential"),
        ("credentialSubject.achievement.assessmentType", "microcred-v1"),
        ("credentialSubject.achievement.workloadHours", "microcred-v1"),
    }
    with pytest.raises(SchemaValidationError) as info:
        validate_credential(credential)
    assert info.value.path == issues[0].path
    assert all(i.path in info.value.message for i in issues)
    assert "3 schema errors" in info.value.message


def test_our_schema_checks_credit_rules(credential):
    achievement = credential["credentialSubject"]["achievement"]
    no_target = copy.deepcopy(credential)
    del no_target["credentialSubject"]["achievement"]["countsToward"]
    assert [i.path for i in schema_errors(no_target)] == ["credentialSubject.achievement.countsToward"]
    achievement["creditBearing"] = False
    assert [i.path for i in schema_errors(credential)] == ["credentialSubject.achievement.countsToward"]


def test_our_schema_applies_only_when_referenced(credential):
    plain = copy.deepcopy(credential)
    plain["@context"] = plain["@context"][:3]
    plain["credentialSchema"] = plain["credentialSchema"][:1]
    plain["credentialSubject"]["achievement"]["assessmentType"] = "anything"  # not ours to judge here
    assert applicable_schemas(plain) == ["1edtech-achievementcredential"]
    assert schema_errors(plain) == []


def test_unknown_schema_urls_are_never_fetched(credential):
    credential["credentialSchema"].append({"id": "https://schemas.example/none.json", "type": "JsonSchema"})
    assert schema_errors(credential) == []


def test_endorsements_use_the_endorsement_schema_not_the_achievement_one():
    endorsement = json.loads((VECTORS / "1edtech-ob30" / "endorsement-valid.json").read_text())
    assert applicable_schemas(endorsement) == ["1edtech-endorsementcredential"]
    assert schema_errors(endorsement) == []
    # the same document against the achievement schema: its subject has no achievement
    wrong = [e.message for e in _validator("1edtech-achievementcredential").iter_errors(endorsement)]
    assert any("achievement" in m for m in wrong)


def test_published_and_build_ids_both_resolve(credential):
    v = _validator("1edtech-achievementcredential")
    assert v.schema["$id"] != OB_ACHIEVEMENT_SCHEMA_URL
    for url in (OB_ACHIEVEMENT_SCHEMA_URL, v.schema["$id"]):
        by_ref = v.evolve(schema={"$ref": url})
        assert by_ref.is_valid(credential)
        assert not by_ref.is_valid({**credential, "issuer": 7})
    assert _validator("1edtech-achievementcredential") is v  # compiled once


def test_not_an_object():
    assert schema_errors([]) == [
        SchemaIssue("(credential)", "a credential must be a JSON object", "1edtech-achievementcredential")
    ]


SPEC_EXAMPLES = sorted((VECTORS / "1edtech-ob30-spec").glob("*.json"))


@pytest.mark.parametrize("path", SPEC_EXAMPLES, ids=lambda p: p.name)
def test_spec_examples_are_valid(path):
    assert schema_errors(json.loads(path.read_text())) == []


def test_one_proof_object_or_an_array_of_them(credential):
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "proofPurpose": "assertionMethod",
    }
    assert schema_errors({**credential, "proof": proof}) == []
    assert schema_errors({**credential, "proof": [proof, proof]}) == []
    bad = schema_errors({**credential, "proof": {"cryptosuite": "eddsa-rdfc-2022"}})
    assert [i.path for i in bad] == ["proof"]
    signed = json.loads((VECTORS / "1edtech-ob30" / "simple-did-web-method.json").read_text())
    assert isinstance(signed["proof"], dict) and schema_errors(signed) == []


def test_our_schema_checks_framework_levels(credential):
    alignments = credential["credentialSubject"]["achievement"]["alignment"]
    index = next(i for i, a in enumerate(alignments) if a["targetType"] == "ext:EQF")
    alignments[index]["targetCode"] = "9"
    issues = schema_errors(credential)
    assert [(i.path, i.schema) for i in issues] == [
        (f"credentialSubject.achievement.alignment[{index}].targetCode", "microcred-v1")
    ]


def test_our_schema_vocabularies_match_the_model():
    from microcred.model.vocabularies import ASSESSMENT_TYPES, PARTICIPATION_TYPES, SUPERVISION_TYPES

    props = json.loads((ROOT / "schemas" / "microcred-schema-v1.json").read_text())["$defs"]["Achievement"][
        "properties"
    ]
    assert props["assessmentType"]["enum"] == list(ASSESSMENT_TYPES)
    assert props["participationType"]["enum"] == list(PARTICIPATION_TYPES)
    assert props["supervisionType"]["enum"] == list(SUPERVISION_TYPES)


def test_one_status_entry_or_an_array_of_them(credential):
    def entry(purpose: str, index: int) -> dict:
        url = f"https://uni.example/status/{purpose}-1"
        return {
            "id": f"{url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose,
            "statusListIndex": str(index),
            "statusListCredential": url,
        }

    both = [entry("revocation", 7), entry("suspension", 9)]
    assert schema_errors({**credential, "credentialStatus": both[0]}) == []
    assert schema_errors({**credential, "credentialStatus": both}) == []
    assert [i.path for i in schema_errors({**credential, "credentialStatus": []})] == ["credentialStatus"]
    assert [i.path for i in schema_errors({**credential, "credentialStatus": [{"id": 1}]})] == [
        "credentialStatus[0].id"
    ]


def test_each_message_is_one_line_naming_path_value_and_what_was_allowed(credential):
    """Issue 12, item 6: path, value, allowed — never a truncated object."""
    credential["issuer"]["type"] = "Profile"
    credential["credentialSubject"]["achievement"]["achievementType"] = "Program"
    del credential["validFrom"]
    issues = {i.path: i.message for i in schema_errors(credential)}
    assert issues["issuer.type"] == 'value "Profile" not allowed; allowed: type array'
    assert issues["validFrom"] == "missing (a required property)"
    program = issues["credentialSubject.achievement.achievementType"]
    assert program.startswith('value "Program" not allowed; allowed: one of "Achievement",')
    assert all("\n" not in m and len(m) < 300 for m in issues.values())
