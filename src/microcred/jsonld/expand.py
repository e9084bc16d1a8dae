"""Safe-mode JSON-LD expansion and RDF conversion through pyld, with packaged contexts only.

pyld has no safe mode, so microcred adds one: a key that expands to nothing, a relative IRI used as a
type or node id, or anything else JSON-LD would silently drop from the RDF raises
:class:`~microcred.errors.JsonLdError` naming the term and where it stands, before anything is signed
or trusted. This is the general (reference) path; :mod:`microcred.jsonld.fast` is the quick one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyld import jsonld as _pyld
from pyld.canon import URDNA2015

from ..errors import JsonLdError
from .limits import DEFAULT_LIMITS, CanonLimits, check_limits
from .loader import DocumentLoader, default_loader

if TYPE_CHECKING:
    from collections.abc import Iterator


class _Dropped(Exception):
    def __init__(self, term: str | None) -> None:
        self.term = term


def _on_dropped(term: str | None) -> None:
    raise _Dropped(term)


def _find_key(node: Any, key: str, path: str = "") -> str | None:
    if isinstance(node, dict):
        for k, v in node.items():
            here = f"{path}.{k}" if path else k
            if k == key:
                return here
            found = _find_key(v, key, here)
            if found:
                return found
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found = _find_key(v, key, f"{path}[{i}]")
            if found:
                return found
    return None


def _find_value(node: Any, value: str, path: str = "") -> str | None:
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = [(f"[{i}]", v) for i, v in enumerate(node)]
    else:
        return path if node == value else None
    for k, v in items:
        if k == "@context":
            continue
        here = path + k if k.startswith("[") else (f"{path}.{k}" if path else k)
        found = _find_value(v, value, here)
        if found:
            return found
    return None


def pyld_options(loader: DocumentLoader) -> dict[str, Any]:
    return {
        "documentLoader": loader,
        "contextResolver": loader.context_resolver,
        "processingMode": "json-ld-1.1",
        "base": None,
        "extractAllScripts": False,
    }


def _absolute(iri: str) -> bool:
    return iri.startswith("_:") or _pyld._is_absolute_iri(iri)


def _walk_expanded(node: Any) -> Iterator[tuple[str, str]]:
    """Yield (what, value) for every id/type IRI in an expanded document."""
    if isinstance(node, list):
        for item in node:
            yield from _walk_expanded(item)
    elif isinstance(node, dict):
        if "@value" in node:
            datatype = node.get("@type")
            if isinstance(datatype, str) and datatype != "@json":
                yield "@type", datatype
            return
        if "@id" in node and isinstance(node["@id"], str):
            yield "@id", node["@id"]
        for t in node.get("@type", []) if isinstance(node.get("@type"), list) else []:
            yield "@type", t
        for k, v in node.items():
            if k not in ("@id", "@type"):
                yield from _walk_expanded(v)


def expand(
    document: dict[str, Any], *, loader: DocumentLoader | None = None, limits: CanonLimits = DEFAULT_LIMITS
) -> list[Any]:
    """Expand ``document`` with packaged contexts only, refusing anything safe mode would drop.

    Raises :class:`CanonicalizationError` first if the JSON crosses ``limits``.
    """
    loader = loader or default_loader
    if not isinstance(document, dict):
        raise JsonLdError("a JSON-LD document must be a JSON object", code="jsonld.invalid")
    check_limits(document, limits)
    processor = _pyld.JsonLdProcessor(on_property_dropped=_on_dropped)
    try:
        expanded = processor.expand(document, pyld_options(loader))
    except _Dropped as exc:
        term = exc.term or "?"
        raise JsonLdError(
            f"term {term!r} is not defined by any context in @context; it would be silently left out of "
            "what is signed",
            code="jsonld.undefined_term",
            path=_find_key(document, term) or term,
        ) from None
    except _pyld.JsonLdError as exc:
        inner: BaseException | None = exc
        while inner is not None:
            if isinstance(inner, JsonLdError):
                raise inner from None
            if isinstance(inner, _Dropped):
                term = inner.term or "?"
                raise JsonLdError(
                    f"term {term!r} is not defined by any context in @context; it would be silently left out "
                    "of what is signed",
                    code="jsonld.undefined_term",
                    path=_find_key(document, term) or term,
                ) from None
            inner = inner.__cause__ or inner.__context__
        raise JsonLdError(f"JSON-LD expansion failed: {exc}", code="jsonld.invalid") from None
    except (ValueError, TypeError, AttributeError, LookupError) as exc:  # pyld lets malformed input through
        # as these (a KeyError for {"@vocab": null}, for one)
        raise JsonLdError(f"JSON-LD expansion failed: {exc}", code="jsonld.invalid") from None
    for what, iri in _walk_expanded(expanded):
        if not _absolute(iri):
            raise JsonLdError(
                f"{what} value {iri!r} is not an absolute IRI and no context defines it; it would be "
                "silently left out of what is signed",
                code="jsonld.undefined_term",
                path=_find_value(document, iri) or what,
            )
    return list(expanded)


def to_dataset(
    document: dict[str, Any], *, loader: DocumentLoader | None = None, limits: CanonLimits = DEFAULT_LIMITS
) -> dict[str, list[Any]]:
    """The RDF dataset of ``document`` (pyld's dataset form), after the safe-mode expansion."""
    loader = loader or default_loader
    expanded = expand(document, loader=loader, limits=limits)
    processor = _pyld.JsonLdProcessor()
    options = pyld_options(loader)
    options["produceGeneralizedRdf"] = False
    try:
        dataset: dict[str, list[Any]] = processor.to_rdf(expanded, options)
        return dataset
    except (_pyld.JsonLdError, ValueError, TypeError, AttributeError, LookupError) as exc:  # pyld raises
        # plain Python errors for some malformed input
        raise JsonLdError(f"JSON-LD to RDF failed: {exc}", code="jsonld.invalid") from None


def canonicalize_pyld(document: dict[str, Any], loader: DocumentLoader | None, limits: CanonLimits) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads by pyld alone, after the safe-mode expansion."""
    dataset = to_dataset(document, loader=loader, limits=limits)
    return str(URDNA2015().main(dataset, {"format": "application/n-quads"}))
