"""Terms of the unprotected Open Badges 3.0.0 and 3.0.1 contexts may not be redefined.

Those two contexts are published without ``@protected`` (3.0.2 and later have it), so JSON-LD lets a
context that comes after them, in ``@context`` or embedded in any node, give one of their terms another
IRI or type. The signature then covers the redefined meaning while every reader of the JSON (microcred's
report, a wallet, a person) still reads the Open Badges one. :func:`check_unprotected_terms` refuses
such a document: a context processed after an unprotected OB context may define its terms only exactly
as it does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Final

from ..errors import JsonLdError
from .limits import check_limits
from .loader import DocumentLoader, default_loader

#: The Open Badges context URLs whose documents carry no ``@protected`` (3.0.0 and 3.0.1).
UNPROTECTED_OB_CONTEXTS: Final = frozenset(
    {
        "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
    }
)


def _definitions(
    context: Any, loader: DocumentLoader, *, scoped: bool, depth: int = 0
) -> Iterator[tuple[str, Any]]:
    """Every (term, definition) a context value defines: its own terms, ``@import`` included, and with
    ``scoped`` those of the property- and type-scoped contexts it carries."""
    if depth > 16:  # contexts importing contexts without end: refuse rather than recurse
        raise JsonLdError("contexts nest or import each other too deeply", code="jsonld.invalid")
    if isinstance(context, str):
        document = loader.document(context).get("@context")
        yield from _definitions(document, loader, scoped=scoped, depth=depth + 1)
    elif isinstance(context, list):
        for item in context:
            yield from _definitions(item, loader, scoped=scoped, depth=depth + 1)
    elif isinstance(context, Mapping):
        imported = context.get("@import")
        if isinstance(imported, str):
            yield from _definitions(imported, loader, scoped=scoped, depth=depth + 1)
        for term, definition in context.items():
            if term.startswith("@"):
                continue
            yield term, definition
            if scoped and isinstance(definition, Mapping) and "@context" in definition:
                yield from _definitions(definition["@context"], loader, scoped=scoped, depth=depth + 1)


def _after_ob(contexts: list[Any]) -> list[tuple[int, Any]]:
    """The entries of a context list processed after its last unprotected OB context (all if none)."""
    last = max(
        (i for i, c in enumerate(contexts) if isinstance(c, str) and c in UNPROTECTED_OB_CONTEXTS), default=-1
    )
    return [(i, c) for i, c in enumerate(contexts) if i > last]


def _embedded(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every ``@context`` embedded in a node below the top level, with its path."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            here = f"{path}.{key}" if path else key
            if key == "@context" and path:
                yield here, value
            else:
                yield from _embedded(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _embedded(value, f"{path}[{i}]")


def _canonical(definition: Any) -> str:
    return json.dumps(definition, sort_keys=True)


def check_unprotected_terms(document: Mapping[str, Any], loader: DocumentLoader | None = None) -> None:
    """Raise :class:`JsonLdError` (``jsonld.redefined_term``) if a context after an unprotected OB context
    defines one of its terms differently; do nothing for documents without such a context."""
    loader = loader or default_loader
    top = document.get("@context")
    contexts = top if isinstance(top, list) else [top]
    first = next(
        (i for i, c in enumerate(contexts) if isinstance(c, str) and c in UNPROTECTED_OB_CONTEXTS), None
    )
    if first is None:
        return
    check_limits(document)  # the walk below recurses: bound the nesting first
    protected: dict[str, set[str]] = {}
    for url in {c for c in contexts if isinstance(c, str) and c in UNPROTECTED_OB_CONTEXTS}:
        for term, definition in _definitions(url, loader, scoped=True):
            protected.setdefault(term, set()).add(_canonical(definition))
    found: list[tuple[str, Any]] = [(f"@context[{i}]", c) for i, c in _after_ob(contexts) if i > first]
    for where, value in _embedded(document, ""):
        listed = value if isinstance(value, list) else [value]
        found += [(f"{where}[{i}]" if isinstance(value, list) else where, c) for i, c in _after_ob(listed)]
    for where, context in found:
        # an inline context is the credential's own: every definition in it counts, scoped ones too; a
        # packaged context (vetted, fixed) counts by the terms it defines for the whole document
        for term, definition in _definitions(context, loader, scoped=not isinstance(context, str)):
            if term in protected and _canonical(definition) not in protected[term]:
                raise JsonLdError(
                    f"this context redefines the Open Badges term {term!r}; the OB 3.0.0/3.0.1 contexts "
                    "are not @protected, so the credential would be signed with a meaning other than the "
                    "one it shows (refused)",
                    code="jsonld.redefined_term",
                    path=where,
                )
