"""Issue 12, item 1: the extension context resolves for web verifiers — w3id.org rules point at the
exact packaged files; every version is served offline; no extension term, no extension context."""

from __future__ import annotations

import json
import re
from pathlib import Path

from microcred import build_credential, definition_from_mapping, issue, load_definition
from microcred.jsonld.extension import (
    PUBLISHED_BASE,
    W3ID_BASE,
    context_url,
    extension_contexts,
    extension_terms,
    published_path,
    site_files,
    uses_terms,
)
from microcred.jsonld.loader import EXTENSION_CONTEXT_URL, default_loader, known_context_urls
from microcred.keys.material import generate_key

ROOT = Path(__file__).resolve().parents[1]
HTACCESS = ROOT / "w3id" / "microcred" / ".htaccess"


def _rules() -> list[tuple[re.Pattern[str], str]]:
    rules = []
    for line in HTACCESS.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts and parts[0] == "RewriteRule":
            assert parts[3] == "[R=302,L]", line
            rules.append((re.compile(parts[1]), parts[2]))
    return rules


def redirect(url: str) -> str | None:
    """Where w3id.org's Apache would send ``url`` (the first matching rule, as mod_rewrite with L)."""
    assert url.startswith(W3ID_BASE)
    path = url[len(W3ID_BASE) :]
    for pattern, target in _rules():
        m = pattern.match(path)
        if m:
            return m.expand(target.replace("$", "\\"))
    return None


def test_every_packaged_context_and_schema_version_redirects_to_its_exact_file():
    files = site_files()
    assert extension_contexts(), "no extension context is packaged"
    for url, packaged in extension_contexts().items():
        target = redirect(url)
        assert target == PUBLISHED_BASE + published_path(url)
        served = files[target[len(PUBLISHED_BASE) :]]
        assert served == packaged and served.read_bytes() == packaged.read_bytes()
    for site_path, packaged in files.items():  # the schemas too
        assert redirect(W3ID_BASE + site_path) == PUBLISHED_BASE + site_path
        assert packaged.is_file()
    assert context_url(1) == EXTENSION_CONTEXT_URL and EXTENSION_CONTEXT_URL in extension_contexts()


def test_unknown_paths_do_not_redirect_to_a_context():
    assert redirect(W3ID_BASE + "v1/context.jsonld.bak") != PUBLISHED_BASE + "v1/context.jsonld.bak"
    assert redirect(W3ID_BASE + "../etc/passwd") is None


def test_every_version_is_served_offline_by_the_packaged_loader():
    for url, path in extension_contexts().items():
        assert url in known_context_urls()
        assert default_loader(url)["document"] == json.loads(path.read_text(encoding="utf-8"))


def test_a_credential_with_no_extension_term_carries_no_extension_context():
    definition = load_definition(ROOT / "examples" / "university-data-science.toml")
    with_terms = build_credential(definition, "learner@example.org", issuer_id="did:example:issuer")
    assert any(c.startswith(W3ID_BASE) for c in with_terms["@context"])
    bare = {
        "issuer": {"id": "https://u.example/i", "name": "U"},
        "achievement": {"id": "https://u.example/a", "title": "T", "description": "D"},
    }
    doc = build_credential(definition_from_mapping(bare), "learner@example.org")
    terms = frozenset().union(*(extension_terms(url) for url in extension_contexts()))
    assert not uses_terms(doc, terms)
    assert not any(c.startswith(W3ID_BASE) for c in doc["@context"])
    assert all(not s["id"].startswith(W3ID_BASE) for s in doc["credentialSchema"])
    key = generate_key("Ed25519", issuer_url="https://u.example/i")
    signed = issue(definition_from_mapping(bare), "learner@example.org", key).credential
    assert not any(c.startswith(W3ID_BASE) for c in signed["@context"])
