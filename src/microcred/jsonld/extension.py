"""microcred's extension contexts: every packaged version, where each is published, the terms it defines.

Each ``schemas/microcred-context-v<N>.jsonld`` is one published, never-changing version, named
``https://w3id.org/microcred/v<N>/context.jsonld``. w3id.org redirects that name to the project's
site (``w3id/microcred/.htaccess``), where it lies at :func:`published_path`; an issuer may also
self-host it. Verification never fetches it: the packaged loader serves every version offline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from .._resources import package_data_dir

if TYPE_CHECKING:
    from pathlib import Path

#: Where w3id.org sends the extension's names (an assumption until the project's site is live).
PUBLISHED_BASE: Final = "https://microcred.github.io/microcred/"
W3ID_BASE: Final = "https://w3id.org/microcred/"
_FILE: Final = re.compile(r"^microcred-context-v(\d+)\.jsonld$")
_SCHEMA_FILE: Final = re.compile(r"^microcred-schema-v(\d+)\.json$")


def context_url(version: int) -> str:
    """The permanent URL of extension context version ``version``."""
    return f"{W3ID_BASE}v{version}/context.jsonld"


def published_path(url: str) -> str:
    """The path of a w3id.org/microcred URL on the publishing site (the site mirrors the w3id paths)."""
    if not url.startswith(W3ID_BASE):
        raise ValueError(f"{url} is not under {W3ID_BASE}")
    return url[len(W3ID_BASE) :]


@cache
def extension_contexts() -> dict[str, Path]:
    """Every packaged extension context version: its URL → its file, oldest first."""
    found = []
    for path in package_data_dir("schemas").iterdir():
        m = _FILE.match(path.name)
        if m:
            found.append((int(m.group(1)), path))
    return {context_url(v): p for v, p in sorted(found)}


def site_files() -> dict[str, Path]:
    """What the project's site (or an issuer's own) serves: site path → the packaged file, every version
    of the extension context (``v<N>/context.jsonld``) and schema (``v<N>/schema.json``)."""
    files = {published_path(url): path for url, path in extension_contexts().items()}
    for path in sorted(package_data_dir("schemas").iterdir()):
        m = _SCHEMA_FILE.match(path.name)
        if m:
            files[f"v{int(m.group(1))}/schema.json"] = path
    return files


@cache
def extension_terms(url: str) -> frozenset[str]:
    """The terms extension context ``url`` defines (its top-level keys that are not keywords)."""
    document = json.loads(extension_contexts()[url].read_text(encoding="utf-8"))
    context = document.get("@context", {})
    return frozenset(k for k in context if not k.startswith("@"))


def uses_terms(document: Any, terms: frozenset[str]) -> bool:
    """Whether any property name in ``document`` (proofs aside) is one of ``terms``."""
    if isinstance(document, Mapping):
        return any(
            (key in terms) or (key != "proof" and uses_terms(value, terms)) for key, value in document.items()
        )
    if isinstance(document, list):
        return any(uses_terms(item, terms) for item in document)
    return False
