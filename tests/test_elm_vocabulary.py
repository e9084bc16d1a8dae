"""The microcred value -> ELM concept IRI table: complete, from the Commission's published IRIs, in the
docs, and ELM IRIs in a definition read as the values they stand for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from microcred.errors import DefinitionError
from microcred.model import elm
from microcred.model.elements import Assessment, Participation, Supervision
from microcred.model.vocabularies import (
    ASSESSMENT_TYPES,
    PARTICIPATION_TYPES,
    QUALITY_ASSURANCE_TYPES,
    SUPERVISION_TYPES,
)

ROOT = Path(__file__).resolve().parents[1]
MAPPING = (ROOT / "docs" / "mapping.md").read_text(encoding="utf-8")
IRI = re.compile(r"^http://data\.europa\.eu/snb/[a-z-]+/[0-9a-z_]+$")


@pytest.mark.parametrize(
    "table,values",
    [
        (elm.ASSESSMENT, ASSESSMENT_TYPES),
        (elm.PARTICIPATION, PARTICIPATION_TYPES),
        (elm.SUPERVISION, SUPERVISION_TYPES),
        (elm.QUALITY_ASSURANCE, QUALITY_ASSURANCE_TYPES),
    ],
)
def test_every_controlled_value_is_mapped_or_said_to_have_no_equivalent(table, values):
    assert tuple(table) == values
    for value, iri in table.items():
        assert iri is None or (IRI.match(iri) and iri in elm.LABELS), value
        row = f"| `{value}` | " + (f"`{iri}` | {elm.LABELS[iri]} |" if iri else "— | no ELM equivalent |")
        assert row in MAPPING, row


def test_the_values_the_issue_names_have_no_elm_equivalent():
    for value in ("recognition of prior learning", "testing"):
        assert elm.ASSESSMENT[value] is None
    for value in ("volunteering", "onsite or blended"):
        assert elm.PARTICIPATION[value] is None


def test_the_annex_i_sample_concepts_are_the_ones_mapped():
    # IRIs as the Commission's Annex I sample credential uses them (Sample-MC-Annex1-unsigned.jsonld).
    assert elm.PARTICIPATION["online"] == "http://data.europa.eu/snb/learning-assessment/920fbb3cbe"
    assert elm.PARTICIPATION["blended"] == "http://data.europa.eu/snb/learning-assessment/e92d221e4d"
    assert (
        elm.SUPERVISION["unsupervised with no identity verification"]
        == "http://data.europa.eu/snb/supervision-verification/c598449d64"
    )
    assert elm.credit_system_iri("ECTS") == "http://data.europa.eu/snb/education-credit/6fcec5c5af"
    assert elm.eqf_iri(6) == "http://data.europa.eu/snb/eqf/6"


@pytest.mark.parametrize("name", ["ects", "ECTS", " Ects "])
def test_ects_in_any_case(name):
    assert elm.is_ects(name)
    assert elm.credit_system_iri(name) == elm.CREDIT_SYSTEM["ects"]


def test_not_ects():
    assert not elm.is_ects(None) and not elm.is_ects("ECVET") and elm.credit_system_iri("CATS") is None


def test_eqf_iri_refuses_what_is_not_a_level():
    for bad in (0, 9):
        with pytest.raises(ValueError):
            elm.eqf_iri(bad)


def test_national_levels_and_their_eqf_reference():
    assert elm.nqf_iri("IE", 9) == "http://data.europa.eu/snb/qdr/c_c6ada0f4"  # "IE NQF Level 9"
    assert elm.nqf_iri("NL", "entry") == "http://data.europa.eu/snb/qdr/c_b42dd23b"
    assert elm.nqf_iri("DE", 4) is not None and elm.nqf_iri("FR", 4) is None
    assert elm.nqf_iri("IE", "²") is None
    assert elm.nqf_to_eqf("IE", 5) == 4 and elm.nqf_to_eqf("IE", 9) == 7 and elm.nqf_to_eqf("IE", "10") == 8
    assert elm.nqf_to_eqf("NL", 6) == 6 and elm.nqf_to_eqf("FR", 6) is None
    for country, table in elm.NQF_TO_EQF.items():
        assert f"| {country} | " in MAPPING
        assert all(1 <= eqf <= 8 for eqf in table.values())


def test_a_definition_may_state_the_elm_iri():
    assert Assessment(elm.ASSESSMENT["written exam"] or "").type == "written exam"
    assert Participation(elm.PARTICIPATION["work-based"] or "").type == "work-based"
    assert Supervision(elm.SUPERVISION["onsite with identity verification"]).type == (
        "onsite with identity verification"
    )
    with pytest.raises(DefinitionError):
        Assessment("http://data.europa.eu/snb/assessment/0000000000")
