"""Offline JSON-LD document loader: serves packaged contexts only and never touches the network."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyld.context_resolver import ContextResolver
from pyld.jsonld import LRUCache

from .._resources import package_data_dir
from ..errors import JsonLdError

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The one URL constant naming microcred's extension: its context and schema hang off it.
EXTENSION_NS = "https://w3id.org/microcred/v1"
EXTENSION_CONTEXT_URL = f"{EXTENSION_NS}/context.jsonld"
EXTENSION_SCHEMA_URL = f"{EXTENSION_NS}/schema.json"
#: Version 2 of the extension: v1's terms unchanged, plus quality-assurance type and decision, stack
#: integration and component credentials; a multi-valued ``assessmentType`` is checked by its schema.
EXTENSION_V2_CONTEXT_URL = "https://w3id.org/microcred/v2/context.jsonld"
EXTENSION_V2_SCHEMA_URL = "https://w3id.org/microcred/v2/schema.json"

#: Every published version of microcred's extension context, URL -> its file in ``schemas/``: the one
#: registry of them. A published context never changes in place; a new version is a new URL and file
#: added here, and every entry stays packaged and served so credentials issued under it keep verifying.
EXTENSION_CONTEXTS: dict[str, str] = {
    EXTENSION_CONTEXT_URL: "microcred-context-v1.jsonld",
    EXTENSION_V2_CONTEXT_URL: "microcred-context-v2.jsonld",
}
#: The JSON Schema that checks the terms of each extension context version, URL -> file in ``schemas/``.
EXTENSION_SCHEMAS: dict[str, tuple[str, str]] = {
    EXTENSION_CONTEXT_URL: (EXTENSION_SCHEMA_URL, "microcred-schema-v1.json"),
    EXTENSION_V2_CONTEXT_URL: (EXTENSION_V2_SCHEMA_URL, "microcred-schema-v2.json"),
}

_CONTEXTS = Path(__file__).resolve().parent / "contexts"


@cache
def _packaged() -> dict[str, Path]:
    index = json.loads((_CONTEXTS / "index.json").read_text(encoding="utf-8"))
    table = {url: _CONTEXTS / name for url, name in index.items()}
    for url, name in EXTENSION_CONTEXTS.items():
        table[url] = package_data_dir("schemas") / name
    return table


@cache
def extension_terms(url: str = EXTENSION_CONTEXT_URL) -> frozenset[str]:
    """The terms an extension context version defines (its top-level keys that are not keywords)."""
    context = _parsed(url)["@context"]
    return frozenset(k for k in context if not k.startswith("@"))


@cache
def _parsed(url: str) -> dict[str, Any]:
    path = _packaged()[url]
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return document
    except (OSError, ValueError) as exc:  # a broken install, not a user error
        raise JsonLdError(
            f"packaged context for {url} cannot be read: {exc}", code="jsonld.context_unreadable"
        ) from exc


def known_context_urls() -> frozenset[str]:
    """Every context URL the packaged loader can serve."""
    return frozenset(_packaged())


def _normalise(url: str) -> str:
    # http:// and https:// name the same W3C/1EdTech documents; a fragment never changes the document.
    url = url.split("#", 1)[0]
    if url.startswith("http://"):
        candidate = "https://" + url[len("http://") :]
        if candidate in _packaged():
            return candidate
    return url


class DocumentLoader:
    """A pyld-compatible document loader that answers from packaged contexts and ``extra``.

    An unknown URL raises :class:`JsonLdError` (code ``jsonld.unknown_context``) naming it.
    Documents are returned as copies, so callers may not alter the packaged ones.
    """

    def __init__(self, extra: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._extra = {k: dict(v) for k, v in (extra or {}).items()}
        # pyld keeps a process-wide cache of resolved contexts keyed by URL; a loader-owned one keeps
        # loaders with different documents for one URL apart, and is reused across calls for speed.

        self.context_resolver = ContextResolver(LRUCache(maxsize=256), self)

    def with_documents(self, extra: Mapping[str, Mapping[str, Any]]) -> DocumentLoader:
        """A new loader that also serves ``extra`` (URL -> JSON document)."""
        merged = dict(self._extra)
        merged.update({url: dict(doc) for url, doc in extra.items()})
        return DocumentLoader(merged)

    def document(self, url: str) -> dict[str, Any]:
        """The JSON document for ``url`` (a copy)."""
        key = _normalise(url)
        if key in self._extra:
            return copy.deepcopy(self._extra[key])
        if key in _packaged():
            return copy.deepcopy(_parsed(key))
        raise JsonLdError(
            f"unknown JSON-LD context {url!r}: it is not packaged with microcred and nothing is fetched",
            code="jsonld.unknown_context",
            path="@context",
        )

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return {"contextUrl": None, "documentUrl": url, "document": self.document(url)}


#: The loader used when none is given: packaged contexts only.
default_loader = DocumentLoader()
