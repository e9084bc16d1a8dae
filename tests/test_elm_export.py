"""`microcred export --elm`: every example's ELM v3 form conforms to the Commission's EDC SHACL shapes
(pyshacl), with the Annex I sample as the reference point; what ELM needs and a credential lacks is refused
by name."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pyshacl
import pytest
import rdflib
from click.testing import CliRunner

from microcred import issue
from microcred.cli import main
from microcred.credential.builder import build_credential
from microcred.credential.elm_export import elm_credential
from microcred.errors import InputError
from microcred.keys.material import generate_key
from microcred.model.definition import definition_from_mapping, load_definition
from microcred.model.learner import Recipient

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

ROOT = Path(__file__).resolve().parents[1]
EDC = ROOT / "tests" / "vectors" / "elm-edc"
EXAMPLES = sorted([*(ROOT / "examples").glob("*.toml"), *(ROOT / "examples").glob("*.json")])
NOW = datetime(2026, 12, 1, tzinfo=UTC)
V1 = json.loads((ROOT / "src/microcred/jsonld/contexts/w3c__credentials-v1.jsonld").read_text())["@context"]
EDC_CONTEXT = json.loads((EDC / "edc-ap-context.jsonld").read_text())["@context"]
SHAPES = rdflib.Graph().parse(EDC / "EDC-generic-no-cv.ttl").parse(EDC / "EDC-generic-full.ttl")


def _conforms(document: dict) -> tuple[bool, str]:
    """Validate against the EDC shapes, reading the two contexts from the files here (never fetched)."""
    local = copy.deepcopy(document)
    assert local["@context"] == [
        "https://www.w3.org/2018/credentials/v1",
        "http://data.europa.eu/snb/model/context/edc-ap",
    ]
    local["@context"] = [V1, EDC_CONTEXT]
    graph = rdflib.Graph().parse(data=json.dumps(local), format="json-ld")
    conforms, _, text = pyshacl.validate(graph, shacl_graph=SHAPES, inference="none")
    return bool(conforms), str(text)


def _credential(path: Path, **kwargs) -> dict:
    return build_credential(
        load_definition(path), Recipient.parse("did:example:learner", "Ada Lovelace"), now=NOW, **kwargs
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_exports_to_valid_elm(path):
    conforms, report = _conforms(elm_credential(_credential(path)))
    assert conforms, report


def test_the_annex_i_sample_conforms_once_sealed():
    sample = json.loads((EDC / "Sample-MC-Annex1-unsigned.jsonld").read_text())
    conforms, report = _conforms(sample)
    assert not conforms and "cred:issued" in report and "eidasLegalIdentifier" in report
    sample["issued"] = sample["validFrom"]
    sample["issuer"]["elm:eidasLegalIdentifier"] = {
        "id": "urn:epass:legalIdentifier:9",
        "type": "LegalIdentifier",
        "notation": "0000",
        "spatial": sample["issuer"]["location"]["address"]["countryCode"],
    }
    assert _conforms(sample)[0]


def test_the_shapes_are_live_for_our_export():  # (the shapes constrain schemes, not concept ids)
    document = elm_credential(_credential(ROOT / "examples" / "university-data-science.toml"))
    for broken in (
        lambda d: d["issuer"].pop("legalName"),
        lambda d: d["issuer"]["location"]["address"]["countryCode"]["inScheme"].update(
            id="http://x.example/c"
        ),
        lambda d: d["credentialSubject"]["hasClaim"].pop("awardedBy"),
        lambda d: d["displayParameter"]["primaryLanguage"]["inScheme"].update(id="http://x.example/l"),
        lambda d: d["issuer"].pop("elm:eidasLegalIdentifier"),
        lambda d: d.pop("displayParameter"),
        lambda d: d.pop("issued"),
    ):
        bad = copy.deepcopy(document)
        broken(bad)
        assert not _conforms(bad)[0]


def test_the_university_example_carries_the_elm_concepts():
    credential = _credential(ROOT / "examples" / "university-data-science.toml", result="8")
    document = elm_credential(credential)
    spec = document["credentialSubject"]["hasClaim"]["specifiedBy"]
    assert spec["eqfLevel"]["id"] == "http://data.europa.eu/snb/eqf/7"
    assert spec["creditPoint"]["framework"]["id"] == "http://data.europa.eu/snb/education-credit/6fcec5c5af"
    assert spec["creditPoint"]["point"] == "5" and spec["volumeOfLearning"] == "PT140H"
    assert spec["mode"]["id"] == "http://data.europa.eu/snb/learning-assessment/e92d221e4d"  # blended
    esco = [o["relatedESCOSkill"]["id"] for o in spec["learningOutcome"] if "relatedESCOSkill" in o]
    assert esco == ["http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"]
    assert document["issuer"]["elm:eidasLegalIdentifier"]["notation"] == "21PX"
    assert document["issuer"]["location"]["address"]["countryCode"]["id"].endswith("/country/NLD")
    proven = document["credentialSubject"]["hasClaim"]["provenBy"]
    assert proven["grade"]["noteLiteral"] == {"en": "8"}
    assert proven["idVerification"]["id"] == "http://data.europa.eu/snb/supervision-verification/70be69aaf9"
    assert document["credentialSubject"]["fullName"] == {"en": "Ada Lovelace"}
    assert _conforms(document)[0]


def test_joint_award_levels_and_creator():
    document = elm_credential(_credential(ROOT / "examples" / "joint-award-data-stewardship.toml"))
    claim = document["credentialSubject"]["hasClaim"]
    assert claim["specifiedBy"]["nqfLevel"] == [
        {
            "id": "http://data.europa.eu/snb/qdr/c_218a7e54",  # "IE NQF Level 8" in nqf.xsd
            "type": "Concept",
            "inScheme": {"id": "http://data.europa.eu/snb/qdr/25831c2", "type": "ConceptScheme"},
        }
    ]
    assert claim["awardedBy"]["awardingBody"]["legalName"]["en"].startswith("Joint Programme Board")


def _bare(**issuer) -> dict:
    return {
        "issuer": {"id": "https://u.example/i", "name": "U", **issuer},
        "achievement": {"id": "https://u.example/a", "title": "T", "description": "D"},
    }


@pytest.mark.parametrize(
    "issuer,path",
    [
        ({"country": "NL"}, "issuer.otherIdentifier"),
        ({"other_identifiers": [{"identifier": "1"}]}, "issuer"),
        ({"country": "JP", "other_identifiers": [{"identifier": "1"}]}, "issuer"),
    ],
)
def test_what_elm_needs_is_asked_for_by_name(issuer, path):
    credential = build_credential(definition_from_mapping(_bare(**issuer)), "did:example:l", now=NOW)
    with pytest.raises(InputError) as info:
        elm_credential(credential)
    assert info.value.path == path


def test_hostile_shapes_are_refused_not_crashed():
    for doc in ({}, {"issuer": "did:example:x"}, {"issuer": {"id": "x"}, "credentialSubject": []}):
        with pytest.raises(InputError):
            elm_credential(doc)


def test_cli_export_of_a_signed_credential(tmp_path):
    signed = issue(
        load_definition(ROOT / "examples" / "rpl-partial-credit.toml"),
        "did:example:l",
        generate_key("Ed25519"),
        now=NOW,
    )
    path = tmp_path / "signed.json"
    path.write_text(signed.serialize())
    out = tmp_path / "elm.jsonld"
    result = CliRunner().invoke(main, ["export", "--elm", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert "proof" not in document and _conforms(document)[0]
    result = CliRunner().invoke(main, ["export", str(path)])
    assert result.exit_code == 2 and "--elm" in result.stderr
    bare = tmp_path / "bare.json"
    bare.write_text(
        json.dumps(build_credential(definition_from_mapping(_bare(country="NL")), "did:example:l", now=NOW))
    )
    result = CliRunner().invoke(main, ["export", "--elm", str(bare)])
    assert result.exit_code == 2 and "legal identifier" in result.stderr and "Traceback" not in result.output
