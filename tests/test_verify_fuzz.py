"""verify() on mutated credentials: a report or a MicrocredError, never another exception, never verified."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from microcred.errors import MicrocredError
from microcred.fetch import offline_fetch
from microcred.issuing import issue
from microcred.keys.material import generate_key
from microcred.model.definition import load_definition
from microcred.verifying.verify import verify

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 1, tzinfo=UTC)
_GARBAGE = [
    None,
    0,
    -1,
    1.5,
    "",
    "x",
    "2026-13-45T99:00:00Z",
    "did:key:zNOPE",
    [],
    {},
    [None],
    {"id": {}},
    True,
]


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _mutate(doc, rng):
    doc = copy.deepcopy(doc)
    path = rng.choice([p for p in _paths(doc) if p])
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    if isinstance(parent, dict) and rng.random() < 0.3:
        del parent[path[-1]]
    else:
        parent[path[-1]] = rng.choice(_GARBAGE)
    return doc


@pytest.mark.parametrize("seed", [1123, 7, 2026])
def test_mutated_credentials_never_crash_and_never_verify(seed):
    key = generate_key("Ed25519")
    definition = load_definition(ROOT / "examples" / "workplace-safety-rpl.toml")
    signed = issue(definition, "worker@example.org", key, now=datetime(2026, 1, 1, tzinfo=UTC)).credential
    assert verify(signed, fetch=offline_fetch(), now=NOW).verified
    rng = random.Random(seed)
    outcomes = {"report": 0, "error": 0}
    for _ in range(400):
        doc = _mutate(signed, rng)
        try:
            report = verify(doc, fetch=offline_fetch(), now=NOW)
        except MicrocredError:
            outcomes["error"] += 1
            continue
        outcomes["report"] += 1
        if doc != signed:  # every field outside the proof is signed, and every proof field matters
            assert not report.verified, report.to_text()
    assert outcomes["report"] > 100
