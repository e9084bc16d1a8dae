"""Issue 10, class 4: what is shown is what was signed.

RDF canonicalization signs sets, so reordering an array leaves an ``eddsa-rdfc-2022`` proof valid. For
every signed example, every permutation of every array (sampled when there are many) that still
verifies must give the same report and the same inspection; a permutation the proof notices (an
``@list`` such as ``allowedValue`` under OB 3.0.2+, or ``@context``) is not the same credential.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from microcred.credential.inspection import credential_elements, elements_text
from microcred.fetch import offline_fetch
from microcred.issuing import issue
from microcred.keys.material import generate_key
from microcred.model.definition import load_definition
from microcred.verifying.verify import verify

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "vectors" / "1edtech-ob30"
NOW = datetime(2026, 3, 1, tzinfo=UTC)
#: The 1EdTech examples whose eddsa-rdfc-2022 proofs check (tests/vectors/1edtech-ob30/SOURCE.md).
RDFC_VECTORS = [
    "simple.json",
    "simple-did-key-method.json",
    "simple-multiple-proofs.json",
    "complete.json",
    "endorsement-valid.json",
    "bit-string-list__credential-status-revoked.json",
]
DEFINITIONS = sorted(p.name for p in (ROOT / "examples").iterdir() if p.suffix in (".toml", ".json"))
#: Per array: every permutation up to this many, else this many sampled ones (seeded).
PERMUTATIONS = 6


def _signed_example(name: str) -> dict[str, Any]:
    if name in RDFC_VECTORS:
        return dict(json.loads((VECTORS / name).read_text()))
    key = generate_key("Ed25519")
    definition = load_definition(ROOT / "examples" / name)
    return issue(definition, "learner@example.org", key, now=datetime(2026, 1, 1, tzinfo=UTC)).credential


def _arrays(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k != "@context":
                found += _arrays(v, (*path, k))
    elif isinstance(node, list):
        if len(node) > 1:
            found.append(path)
        for i, v in enumerate(node):
            found += _arrays(v, (*path, i))
    return found


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def _orders(n: int, rng: random.Random) -> list[tuple[int, ...]]:
    identity = tuple(range(n))
    every = [p for p in itertools.permutations(range(n)) if p != identity] if n <= 3 else []
    if every:
        return every
    out = {tuple(reversed(identity))}
    while len(out) < PERMUTATIONS:
        order = list(identity)
        rng.shuffle(order)
        if tuple(order) != identity:
            out.add(tuple(order))
    return sorted(out)


def _permuted(doc: dict[str, Any], rng: random.Random) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """(the array moved, the document) for each sampled permutation of each array."""
    out = []
    for path in _arrays(doc):
        items = _at(doc, path)
        for order in _orders(len(items), rng):
            moved = copy.deepcopy(doc)
            _at(moved, path)[:] = [items[i] for i in order]
            out.append((path, moved))
    return out


def _all_at_once(doc: dict[str, Any], paths: list[tuple[Any, ...]], rng: random.Random) -> dict[str, Any]:
    moved = copy.deepcopy(doc)
    for path in sorted(paths, key=len, reverse=True):  # inner arrays first: outer paths stay valid
        rng.shuffle(_at(moved, path))
    return moved


def _shown(doc: dict[str, Any]) -> tuple[dict[str, Any], str]:
    report = verify(doc, fetch=offline_fetch(), now=NOW, recipient="learner@example.org")
    return report.to_dict(), report.to_text()


@pytest.mark.parametrize("name", RDFC_VECTORS + DEFINITIONS)
def test_every_permutation_of_every_array_shows_the_same(name: str) -> None:
    signed = _signed_example(name)
    shown, text = _shown(signed)
    proof = next(c for c in shown["checks"] if c["id"] == "proof")
    assert proof["status"] == "passed", proof
    elements = credential_elements(signed)
    rng = random.Random(name)
    order_signed: set[tuple[Any, ...]] = set()
    moves = _permuted(signed, rng)
    for path, moved in moves:
        moved_shown, moved_text = _shown(moved)
        moved_proof = next(c for c in moved_shown["checks"] if c["id"] == "proof")
        if moved_proof["status"] != "passed":
            order_signed.add(path)  # the order of this array is signed (an @list): another credential
            continue
        assert moved_shown == shown, path
        assert moved_text == text, path
        assert credential_elements(moved) == elements, path
    # only OB 3.0.2+'s allowedValue is an @list; every other array is a set and was exercised
    assert all(path[-1] == "allowedValue" for path in order_signed), order_signed
    assert len(order_signed) < len({path for path, _ in moves})
    free = [path for path in _arrays(signed) if path not in order_signed]
    for _ in range(3):
        moved = _all_at_once(signed, free, rng)
        moved_shown, moved_text = _shown(moved)
        assert (moved_shown, moved_text) == (shown, text), "every array shuffled at once"
        assert elements_text(credential_elements(moved)) == elements_text(elements)


def _two_valued() -> dict[str, Any]:
    """An unsigned credential stating two levels, two QA bodies, two graded results and two subjects."""
    achievement = {
        "id": "urn:example:a",
        "type": ["Achievement"],
        "name": "Welding",
        "alignment": [
            {"type": ["Alignment"], "targetType": "ext:EQF", "targetCode": "4", "targetName": "EQF 4"},
            {"type": ["Alignment"], "targetType": "ext:EQF", "targetCode": "6", "targetName": "EQF 6"},
            {"type": ["Alignment"], "targetType": "ext:QualityAssurance", "targetName": "Body A"},
            {"type": ["Alignment"], "targetType": "ext:QualityAssurance", "targetName": "Body B"},
        ],
        "resultDescription": [
            {"id": "urn:example:pass", "name": "Pass/fail", "resultType": "Status"},
            {"id": "urn:example:letter", "name": "Letter", "resultType": "LetterGrade"},
        ],
    }
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "credentialSubject": [
            {
                "id": "did:example:one",
                "achievement": achievement,
                "result": [
                    {"resultDescription": "urn:example:letter", "value": "A"},
                    {"resultDescription": "urn:example:pass", "value": "Pass"},
                ],
            },
            {"id": "did:example:two", "achievement": achievement},
        ],
    }


def test_several_values_are_all_shown_and_results_keep_their_named_scale() -> None:
    credential = _two_valued()
    e = credential_elements(credential)
    assert e["level"] == [{"framework": "EQF", "level": 4}, {"framework": "EQF", "level": 6}]
    assert [q["body"] for q in e["quality_assurance"]] == ["Body A", "Body B"]
    assert {(g["name"], g["value"]) for g in e["grade"] if "value" in g} == {
        ("Letter", "A"),
        ("Pass/fail", "Pass"),
    }
    assert sorted(learner["id"] for learner in e["learner"]) == ["did:example:one", "did:example:two"]
    text = elements_text(e)
    for shown in ("EQF level 4", "EQF level 6", "Body A", "Body B", "A on Letter", "Pass on Pass/fail"):
        assert shown in text
    for subject in credential["credentialSubject"]:
        subject["achievement"]["alignment"].reverse()
    credential["credentialSubject"][0]["result"].reverse()
    credential["credentialSubject"].reverse()
    assert credential_elements(credential) == e
