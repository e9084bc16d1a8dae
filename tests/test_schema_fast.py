"""The jsonschema-rs fast path may only ever say "valid" where the reference jsonschema validator agrees.

Differential tests over our examples, the 1EdTech examples and a seeded stream of mutated credentials.
"""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from microcred.credential.builder import build_credential
from microcred.credential.schema import _fast_validator, _validator, applicable_schemas, schema_errors
from microcred.model.definition import load_definition

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml")) + sorted((ROOT / "examples").glob("*.json"))
ONE_EDTECH = sorted((ROOT / "tests" / "vectors" / "1edtech-ob30").glob("*.json")) + sorted(
    (ROOT / "tests" / "vectors" / "1edtech-ob30-spec").glob("*.json")
)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _built(path: Path) -> dict:
    return build_credential(
        load_definition(path),
        "did:example:learner",
        now=NOW,
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000001",
    )


def _reference_valid(doc: object, name: str) -> bool:
    return not list(_validator(name).iter_errors(doc))


def test_the_fast_validators_are_available_for_every_packaged_schema():
    for name in ("1edtech-achievementcredential", "1edtech-endorsementcredential", "microcred-v1"):
        assert _fast_validator(name) is not None, name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_our_examples_take_the_fast_path(path):
    doc = _built(path)
    for name in applicable_schemas(doc):
        assert _fast_validator(name).is_valid(doc), name
    assert schema_errors(doc) == []


@pytest.mark.parametrize("path", ONE_EDTECH, ids=lambda p: p.name)
def test_fast_and_reference_agree_on_the_1edtech_examples(path):
    doc = json.loads(path.read_text())
    for name in applicable_schemas(doc):
        assert _fast_validator(name).is_valid(doc) == _reference_valid(doc, name), name


_GARBAGE = [None, 0, -1, 1.5, "", "x", "not a date", "ftp://x", [], {}, [1], {"a": 1}, True]


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _mutate(doc: dict, rng: random.Random) -> dict:
    doc = copy.deepcopy(doc)
    paths = [p for p in _paths(doc) if p]
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(paths)
        parent = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            last = path[-1]
            action = rng.random()
            if action < 0.35 and isinstance(parent, dict):
                del parent[last]
            elif action < 0.45 and isinstance(parent, dict):
                parent[f"{last}Extra"] = rng.choice(_GARBAGE)
            else:
                parent[last] = rng.choice(_GARBAGE)
        except (KeyError, IndexError, TypeError):
            continue
    return doc


def test_fast_path_never_accepts_what_the_reference_rejects():
    rng = random.Random(20261123)
    bases = [_built(p) for p in EXAMPLES] + [json.loads(p.read_text()) for p in ONE_EDTECH]
    checked = rejected = 0
    for _ in range(1500):
        doc = _mutate(rng.choice(bases), rng)
        for name in applicable_schemas(doc) if isinstance(doc, dict) else []:
            fast_ok = _fast_validator(name).is_valid(doc)
            if fast_ok:
                assert _reference_valid(doc, name), (name, json.dumps(doc)[:500])
            else:
                rejected += 1
            checked += 1
    assert checked > 1500 and rejected > 300  # the mutations really do produce invalid documents
