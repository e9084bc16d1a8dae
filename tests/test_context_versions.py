"""Published extension contexts never change in place: every registered version stays packaged and
served, and credentials issued by the previous release (commit 8b0093a) still verify unchanged."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from microcred import issue, offline_fetch, verify
from microcred.credential.builder import build_credential
from microcred.credential.schema import applicable_schemas, validate_credential
from microcred.jsonld.canonical import canonicalize, check_safe_mode
from microcred.jsonld.loader import (
    EXTENSION_CONTEXT_URL,
    EXTENSION_CONTEXTS,
    EXTENSION_SCHEMA_URL,
    extension_terms,
    known_context_urls,
)
from microcred.keys.material import generate_key
from microcred.model.definition import definition_from_mapping

ROOT = Path(__file__).resolve().parents[1]
OLD = ROOT / "tests" / "vectors" / "release-8b0093a"
NOW = datetime(2026, 12, 2, tzinfo=UTC)

#: SHA-256 of each published extension context file: a published context never changes in place.
PUBLISHED = {
    "https://w3id.org/microcred/v1/context.jsonld": (
        "f694c72d2f312888a6b4209cabe195c9a8d9a3d1c4eae7039f555cde849d2843"
    ),
}


def test_every_registered_version_is_packaged_served_and_unchanged():
    assert set(PUBLISHED) <= set(EXTENSION_CONTEXTS)
    for url, name in EXTENSION_CONTEXTS.items():
        path = ROOT / "schemas" / name
        assert url in known_context_urls()
        assert json.loads(path.read_text(encoding="utf-8"))["@context"]["@protected"] is True
        if url in PUBLISHED:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == PUBLISHED[url], f"{name} changed"
    assert EXTENSION_CONTEXTS[EXTENSION_CONTEXT_URL] == "microcred-context-v1.jsonld"


def test_the_pyproject_packages_the_schemas_folder():
    assert '"schemas" = "microcred/schemas"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def _old(name: str) -> dict | str:
    text = (OLD / name).read_text(encoding="utf-8")
    return text.strip() if name.endswith(".jwt") else json.loads(text)


@pytest.mark.parametrize("name", sorted(p.name for p in OLD.iterdir() if p.suffix in (".json", ".jwt")))
def test_credentials_of_the_previous_release_still_verify(name):
    report = verify(_old(name), fetch=offline_fetch(), now=NOW)
    assert report.verified, report.to_text()


def test_a_changed_old_credential_does_not_verify():
    credential = _old("ed25519-di-university.json")
    assert isinstance(credential, dict)
    credential["credentialSubject"]["achievement"]["workloadHours"] = 14
    assert not verify(credential, fetch=offline_fetch(), now=NOW).verified


def _bare() -> dict:
    return {
        "issuer": {"id": "https://u.example/i", "name": "U"},
        "achievement": {"id": "https://u.example/a", "title": "T", "description": "D"},
    }


def test_a_credential_with_no_extension_term_carries_no_extension_context():
    credential = build_credential(definition_from_mapping(_bare()), "did:example:l", now=NOW)
    assert EXTENSION_CONTEXT_URL not in credential["@context"]
    assert EXTENSION_SCHEMA_URL not in [s["id"] for s in credential["credentialSchema"]]
    assert "microcred-v1" not in applicable_schemas(credential)
    validate_credential(credential)
    check_safe_mode(credential)
    assert canonicalize(credential)
    signed = issue(definition_from_mapping(_bare()), "did:example:l", generate_key("Ed25519"), now=NOW)
    assert verify(signed.credential, fetch=offline_fetch(), now=NOW).verified


def test_one_extension_term_brings_the_context_and_schema():
    data = _bare()
    data["achievement"]["workload"] = {"hours": 3}
    credential = build_credential(definition_from_mapping(data), "did:example:l", now=NOW)
    assert credential["@context"][-1] == EXTENSION_CONTEXT_URL
    assert {"id": EXTENSION_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"} in credential[
        "credentialSchema"
    ]
    assert "workloadHours" in extension_terms()
    check_safe_mode(credential)
