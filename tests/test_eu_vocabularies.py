"""EQF and NQF together, the UK frameworks, several assessment types, quality assurance as type, body,
registry id and decision: in the model, the credential (extension context v2 only when needed), its
schema, JSON-LD safe mode, a signature, and read back by inspect."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from microcred import issue, offline_fetch, verify
from microcred.credential.builder import build_credential
from microcred.credential.inspection import credential_elements, elements_text
from microcred.credential.schema import applicable_schemas, schema_errors, validate_credential
from microcred.errors import DefinitionError
from microcred.jsonld.canonical import canonicalize, check_safe_mode
from microcred.jsonld.loader import (
    EXTENSION_CONTEXT_URL,
    EXTENSION_V2_CONTEXT_URL,
    EXTENSION_V2_SCHEMA_URL,
    default_loader,
)
from microcred.keys.material import generate_key
from microcred.model import elm
from microcred.model.definition import definition_from_mapping

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _data(**achievement) -> dict:
    return {
        "issuer": {"id": "https://u.example/i", "name": "U", "country": "IE"},
        "achievement": {"id": "https://u.example/a", "title": "T", "description": "D", **achievement},
    }


def _build(**achievement) -> dict:
    credential = build_credential(definition_from_mapping(_data(**achievement)), "did:example:l", now=NOW)
    validate_credential(credential)
    check_safe_mode(credential)
    return credential


def _achievement(credential: dict) -> dict:
    return credential["credentialSubject"]["achievement"]


def test_eqf_and_nqf_together():
    levels = [{"framework": "EQF", "level": 7}, {"framework": "NQF", "country": "IE", "level": 9}]
    credential = _build(level=levels)
    kinds = [a["targetType"] for a in _achievement(credential)["alignment"]]
    assert kinds == ["ext:EQF", "ext:NQF"]
    shown = credential_elements(credential)["level"]  # in canonical order: the signed order is not signed
    assert sorted(shown, key=lambda lv: lv["framework"]) == levels
    text = elements_text(credential_elements(credential))
    assert "  - EQF level 7" in text and "  - NQF (IE) level 9" in text
    assert EXTENSION_CONTEXT_URL not in credential["@context"]  # alignments are native OB 3.0


@pytest.mark.parametrize(
    "levels,path",
    [
        ([{"framework": "EQF", "level": 7}, {"framework": "EQF", "level": 6}], "achievement.level"),
        ([], "achievement.level"),
        ([{"framework": "EQF", "level": 9}], "achievement.level[0].level"),
    ],
)
def test_bad_level_lists(levels, path):
    with pytest.raises(DefinitionError) as info:
        definition_from_mapping(_data(level=levels))
    assert info.value.path == path


@pytest.mark.parametrize(
    "framework,level,stored",
    [("SCQF", 11, 11), ("SCQF", "12", 12), ("RQF", "Entry 3", "entry 3"), ("CQFW", 8, 8), ("FHEQ", 7, 7)],
)
def test_uk_frameworks(framework, level, stored):
    credential = _build(level={"framework": framework, "level": level})
    alignment = _achievement(credential)["alignment"][0]
    assert alignment["targetType"] == f"ext:{framework}" and alignment["targetCode"] == str(stored)
    assert credential_elements(credential)["level"] == {"framework": framework, "level": stored}


@pytest.mark.parametrize(
    "level",
    [
        {"framework": "SCQF", "level": 13},
        {"framework": "FHEQ", "level": 3},
        {"framework": "RQF", "level": "entry 4"},
        {"framework": "RQF", "level": "²"},
        {"framework": "RQF", "level": True},
        {"framework": "SCQF", "level": 9, "country": "FR"},
    ],
)
def test_uk_frameworks_refuse_what_is_not_theirs(level):
    with pytest.raises(DefinitionError) as info:
        definition_from_mapping(_data(level=level))
    assert info.value.path.startswith("achievement.level")


def test_uk_levels_have_the_commission_concepts():
    assert elm.uk_iri("SCQF", 9) == "http://data.europa.eu/snb/qdr/c_e2e0f7fc"
    assert elm.uk_iri("RQF", 6) == "http://data.europa.eu/snb/qdr/c_c392e7a2"  # as in the Annex I sample
    assert elm.uk_iri("RQF", "entry 3") is not None and elm.uk_iri("FHEQ", 6) is None


def test_several_assessment_types_use_the_v2_context_and_schema():
    credential = _build(assessment={"type": ["written exam", "project"], "description": "Exam and project."})
    assert _achievement(credential)["assessmentType"] == ["written exam", "project"]
    assert credential["@context"][-1] == EXTENSION_V2_CONTEXT_URL
    assert EXTENSION_CONTEXT_URL not in credential["@context"]
    assert {"id": EXTENSION_V2_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"} in credential[
        "credentialSchema"
    ]
    assert "microcred-v2" in applicable_schemas(credential)
    assert credential_elements(credential)["assessment"] == {
        "type": ["project", "written exam"],  # canonical order: an array's order is not signed
        "description": "Exam and project.",
    }
    nquads = canonicalize(credential)
    assert nquads.count("<https://w3id.org/microcred/v1#assessment-") == 2  # v1's value IRIs, unchanged


def test_one_assessment_in_a_list_stays_v1():
    credential = _build(assessment={"type": ["portfolio"]})
    assert _achievement(credential)["assessmentType"] == "portfolio"
    assert credential["@context"][-1] == EXTENSION_CONTEXT_URL


def test_the_v2_schema_refuses_a_repeated_or_unknown_assessment_type():
    credential = _build(assessment={"type": ["written exam", "project"]})
    for bad in (["project", "project"], ["project", "essay"], []):
        broken = copy.deepcopy(credential)
        _achievement(broken)["assessmentType"] = bad
        assert any(i.schema == "microcred-v2" for i in schema_errors(broken)), bad


@pytest.mark.parametrize(
    "assessment,path",
    [
        ({"type": ["written exam", "written exam"]}, "achievement.assessment.type"),
        ({"type": []}, "achievement.assessment.type"),
        ({"type": ["written exam", "essay"]}, "achievement.assessment.type"),
        ({"type": ["written exam", 3]}, "achievement.assessment.type[1]"),
        ({"type": ["portfolio", "other"]}, "achievement.assessment.description"),
    ],
)
def test_bad_assessment_lists(assessment, path):
    with pytest.raises(DefinitionError) as info:
        definition_from_mapping(_data(assessment=assessment))
    assert info.value.path == path


QA = {
    "body": "Quality and Qualifications Ireland (QQI)",
    "url": "https://www.qqi.ie",
    "type": "institutional quality assurance",
    "registry_id": "DEQARINST0087",
    "decision_url": "https://www.qqi.ie/what-we-do/quality-assurance-of-education-and-training",
}


def test_quality_assurance_type_registry_and_decision():
    credential = _build(quality_assurance=QA)
    a = _achievement(credential)
    assert a["qualityAssuranceType"] == QA["type"]
    assert a["qualityAssuranceDecision"] == QA["decision_url"]
    assert a["alignment"][0]["targetCode"] == QA["registry_id"]
    assert credential["@context"][-1] == EXTENSION_V2_CONTEXT_URL
    assert credential_elements(credential)["quality_assurance"] == QA
    nquads = canonicalize(credential)
    assert "<http://data.europa.eu/snb/accreditation/bb4618238e>" in nquads  # the ELM concept IRI


def test_quality_assurance_type_may_be_the_elm_iri():
    qa = {**QA, "type": "http://data.europa.eu/snb/accreditation/820101cba6"}
    assert definition_from_mapping(_data(quality_assurance=qa)).achievement.quality_assurance.type == (
        "programme quality assurance"
    )


@pytest.mark.parametrize(
    "change,path",
    [
        ({"type": "accredited"}, "achievement.quality_assurance.type"),
        ({"decision_url": "ftp://x.example/d"}, "achievement.quality_assurance.decision_url"),
        ({"registry_id": ""}, "achievement.quality_assurance.registry_id"),
    ],
)
def test_bad_quality_assurance(change, path):
    with pytest.raises(DefinitionError) as info:
        definition_from_mapping(_data(quality_assurance={**QA, **change}))
    assert info.value.path == path


def test_v2_keeps_every_v1_term_unchanged():
    v1 = default_loader.document(EXTENSION_CONTEXT_URL)["@context"]
    v2 = default_loader.document(EXTENSION_V2_CONTEXT_URL)["@context"]
    assert {k: v2[k] for k in v1} == v1


def test_a_v2_credential_signs_and_verifies():
    data = _data(assessment={"type": ["written exam", "project"]}, quality_assurance=QA)
    signed = issue(definition_from_mapping(data), "did:example:l", generate_key("Ed25519"), now=NOW)
    assert verify(signed.credential, fetch=offline_fetch(), now=NOW).verified
    tampered = json.loads(json.dumps(signed.credential))
    _achievement(tampered)["assessmentType"] = ["written exam", "portfolio"]
    assert not verify(tampered, fetch=offline_fetch(), now=NOW).verified
