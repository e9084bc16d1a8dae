"""The employer view: who, what, from which verified domain (or plainly not), in words an HR reader
understands; then description, criteria and the Annex I details. The summary block is pinned."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from microcred import issue, offline_fetch, verify
from microcred.credential.builder import build_credential
from microcred.credential.employer import (
    NOT_ESTABLISHED,
    EmployerView,
    employer_view,
    issuer_domain,
    level_in_words,
)
from microcred.keys.dids import did_web_document
from microcred.keys.material import generate_key
from microcred.model.definition import definition_from_mapping, load_definition
from microcred.model.learner import Recipient

ROOT = Path(__file__).resolve().parents[1]
ISSUED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
NOW = datetime(2026, 12, 2, tzinfo=UTC)
UNIVERSITY = ROOT / "examples" / "university-data-science.toml"

#: The demo's summary block, verified, with a did:key issuer: the identity is plainly not established.
#: Skills are in canonical order (the order of a JSON-LD array is not signed, so it is not shown).
DEMO_SUMMARY = """\
VERIFIED — the credential is authentic, unaltered and currently valid.
Who: Ada Lovelace
What: Applied Machine Learning for Public Health Data (micro-credential)
Awarded by: Universiteit van Harderwijk — the issuer's identity is not established: this key is not \
tied to any web domain
Level: EQF level 7 of 8 — highly specialised knowledge (master's degree level)
Skills:
  - Evaluate models with cross-validation and report calibrated uncertainty.
  - Select, train and tune supervised learning models for tabular health data.
  - Python (computer programming) <http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d>
Credit: 5 ECTS credits, 140 hours of learning
Counts toward: MSc Health Data Science (5 ECTS) \
<https://www.uni-harderwijk.example/programmes/msc-health-data-science>
Issued: 1 December 2026; expires: never
"""


def _learner() -> Recipient:
    return Recipient.parse("ada.lovelace@example.org", "Ada Lovelace")


def test_the_summary_block_of_the_demo_credential_is_pinned():
    issued = issue(load_definition(UNIVERSITY), _learner(), generate_key("Ed25519"), now=ISSUED)
    report = verify(issued.credential, fetch=offline_fetch(), now=NOW)
    view = report.employer_view()
    assert isinstance(view, EmployerView)
    assert view.summary_text() == DEMO_SUMMARY
    text = report.to_text()
    assert DEMO_SUMMARY.split("\n", 1)[1] in text
    assert text.index("Who: Ada Lovelace") < text.index("About it:") < text.index("Details (EU")
    assert "this credential is authentic" in text.splitlines()[0]


def test_a_did_web_issuer_is_named_by_its_verified_domain():
    key = generate_key("Ed25519", did_web="www.uni-harderwijk.example")
    issued = issue(load_definition(UNIVERSITY), _learner(), key, now=ISSUED)
    doc = json.dumps(did_web_document([key])).encode()
    fetch = offline_fetch({"https://www.uni-harderwijk.example/.well-known/did.json": doc})
    report = verify(issued.credential, fetch=fetch, now=NOW)
    assert report.verified, report.to_text()
    view = report.employer_view()
    assert view is not None and view.issuer_domain == "www.uni-harderwijk.example"
    assert (
        "Awarded by: Universiteit van Harderwijk — confirmed by the web domain www.uni-harderwijk.example"
        in view.summary_text()
    )
    assert NOT_ESTABLISHED not in report.to_text()


def test_a_credential_that_fails_verification_names_no_domain():
    key = generate_key("Ed25519", did_web="www.uni-harderwijk.example")
    issued = issue(load_definition(UNIVERSITY), _learner(), key, now=ISSUED)
    report = verify(issued.credential, fetch=offline_fetch(), now=NOW)  # the DID document is unavailable
    assert not report.verified
    view = report.employer_view()
    assert view is not None and view.issuer_domain is None
    assert view.summary_text().startswith("NOT VERIFIED — do not rely on this credential.\n")
    assert "Awarded by: Universiteit van Harderwijk — not checked: verification failed" in view.summary_text()


@pytest.mark.parametrize(
    "binding,controller,domain",
    [
        ("did:web", "did:web:uni.example", "uni.example"),
        ("did:web", "did:web:uni.example%3A8443:issuers:1", "uni.example:8443"),
        ("did:web", "did:web:UNI.Example", "uni.example"),
        ("published", "https://uni.example/issuer", "uni.example"),
        ("published", "http://uni.example/issuer", None),
        ("did:key", "did:key:z6Mk", None),
        ("trusted", "did:web:uni.example", None),
        (None, None, None),
    ],
)
def test_issuer_domain_only_from_a_confirmed_web_binding(binding, controller, domain):
    assert issuer_domain(binding, controller) == domain


def test_unverified_view_says_nothing_was_checked():
    credential = build_credential(load_definition(UNIVERSITY), _learner(), now=ISSUED)
    view = employer_view(credential, key_binding="did:web", key_controller="did:web:uni.example")
    assert view.verified is None and view.issuer_domain is None
    assert view.summary_text().startswith("NOT CHECKED")


def test_level_in_words_and_no_bare_codes():
    assert level_in_words({"framework": "NQF", "level": 9, "country": "IE"}) == (
        "Level 9 of the Irish National Framework of Qualifications, referenced to EQF level 7 — "
        "highly specialised knowledge (master's degree level)"
    )
    assert level_in_words({"framework": "NQF", "level": 3, "country": "PT"}) == (
        "Level 3 of the national qualifications framework of Portugal"
    )
    assert (
        level_in_words({"framework": "AQF", "level": 4})
        == "Australian Qualifications Framework level 4 of 10"
    )


def test_missing_mandatory_flagged_and_unused_optional_left_out():
    data = {
        "issuer": {"id": "https://u.example/i", "name": "U", "country": "JP"},
        "achievement": {"id": "https://u.example/a", "title": "T", "description": "D"},
    }
    credential = build_credential(definition_from_mapping(data), _learner(), now=ISSUED)
    view = employer_view(credential, verified=True, key_binding="did:key", key_controller="did:key:z")
    labels = {d.label: d for d in view.details}
    assert labels["Level"].missing and labels["Quality assurance"].missing
    assert labels["Country of the awarding body"].text == "country code JP (ISO 3166-1)"
    assert not labels["Date of issue"].missing
    assert "Grade" not in labels and "Prerequisites" not in labels and "Stacks with" not in labels
    text = view.to_text()
    assert "Quality assurance: MISSING — the EU standard requires it" in text
    assert "Not stated" not in text
    assert "Level:" not in view.summary_text()


def test_to_dict_is_json_ready_and_complete():
    credential = build_credential(load_definition(UNIVERSITY), _learner(), now=ISSUED)
    view = employer_view(credential, verified=True, key_binding="did:web", key_controller="did:web:u.example")
    data = json.loads(json.dumps(view.to_dict()))
    assert data["issuer_domain"] == "u.example" and data["title"] == view.title
    assert data["counts_toward"] == [
        {
            "text": "MSc Health Data Science (5 ECTS)",
            "url": "https://www.uni-harderwijk.example/programmes/msc-health-data-science",
        }
    ]
    assert data["details"][0] == {
        "label": "Country of the awarding body",
        "text": "Netherlands",
        "missing": False,
    }
    assert data["achievement_type"] == "micro-credential" and "ext:" not in json.dumps(data)


def test_hostile_credential_shapes_do_not_crash():
    for credential in ({}, {"credentialSubject": []}, {"credentialSubject": {"achievement": "x"}}):
        view = employer_view(credential, verified=False)
        assert view.title is None and view.summary_text().startswith("NOT VERIFIED")


def test_partial_credit_is_said_plainly():
    from microcred.model.award import AwardDetails

    credential = build_credential(
        load_definition(ROOT / "examples" / "rpl-partial-credit.toml"),
        _learner(),
        now=ISSUED,
        award=AwardDetails(credits_earned=5),
    )
    view = employer_view(credential, verified=True, key_binding="did:key", key_controller="did:key:z")
    assert view.credit == "10 ECTS credits, 250 hours of learning; this learner earned 5 of them"


def test_several_subjects_are_all_shown_never_the_first():
    credential = build_credential(load_definition(UNIVERSITY), _learner(), now=ISSUED)
    other = json.loads(json.dumps(credential["credentialSubject"]))
    other["achievement"]["name"] = "Something Else"
    other["achievement"]["workloadHours"] = 3
    other["identifier"] = [
        {"type": "IdentityObject", "identityHash": "Bo", "identityType": "name", "hashed": False}
    ]
    credential["credentialSubject"] = [credential["credentialSubject"], other]
    view = employer_view(credential, verified=False)
    assert "Applied Machine Learning" in (view.title or "") and "Something Else" in (view.title or "")
    assert view.learner is not None and "Ada Lovelace" in view.learner and "Bo" in view.learner
    assert "140 hours" in (view.credit or "") and "3 hours" in (view.credit or "")
    text = view.to_text()
    assert "Notional workload:\n    - " in text
    from microcred.credential.elm_export import elm_credential
    from microcred.errors import InputError

    with pytest.raises(InputError) as info:
        elm_credential(credential)
    assert "several values" in info.value.message


_GARBAGE = [None, True, 0, -1, 2.5, "", "x", "²", [], {}, [1, "a"], {"id": 3}, "did:web:%zz", "\u202e"]


def _mutated(doc: dict, rng: random.Random) -> dict:
    """``doc`` with one value somewhere (any depth) replaced by garbage, or one key removed."""
    doc = json.loads(json.dumps(doc))
    node, parents = doc, []
    while isinstance(node, dict | list) and node and rng.random() < 0.8:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        parents.append((node, key))
        node = node[key]
    if not parents:
        return doc
    parent, key = parents[-1]
    if isinstance(parent, dict) and rng.random() < 0.3:
        del parent[key]
    else:
        parent[key] = rng.choice(_GARBAGE)
    return doc


@pytest.mark.parametrize("name", ["university-data-science.toml", "rpl-partial-credit.toml"])
def test_mutated_credentials_never_crash_the_view_or_the_export(name):
    from microcred.credential.elm_export import elm_credential
    from microcred.errors import MicrocredError

    credential = build_credential(load_definition(ROOT / "examples" / name), _learner(), now=ISSUED)
    rng = random.Random(2026)
    exported = 0
    for _ in range(400):
        doc = _mutated(credential, rng)
        view = employer_view(doc, verified=True, key_binding="did:web", key_controller="did:web:u.example")
        assert view.summary_text().startswith("VERIFIED") and isinstance(view.to_dict(), dict)
        try:
            elm_credential(doc)
            exported += 1
        except MicrocredError:
            pass
    assert exported > 100  # most mutations leave something exportable: the loop exercised the export
