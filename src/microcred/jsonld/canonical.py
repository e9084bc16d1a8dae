"""RDFC-1.0 canonicalization of a JSON-LD document, in safe mode, offline, within limits.

Safe mode (:mod:`microcred.jsonld.expand`): a term JSON-LD would silently drop is an error naming it.
Limits (:mod:`microcred.jsonld.limits`): hostile documents are refused early with
``canon.limit_exceeded``. :func:`canonicalize` converts the shapes credentials use straight to RDF
(:mod:`microcred.jsonld.fast`), reusing processed contexts, and hands anything else to pyld
(:func:`canonicalize_reference` is pyld alone, the baseline); both paths give byte-identical RDFC-1.0
N-Quads (``tests/test_canon_differential.py``). Inside :func:`converting_once` (each
:func:`~microcred.verifying.verify` call) a document is converted to quads once, however many checks
ask (the safe-mode check, then the proof).
"""

from __future__ import annotations

import contextlib
import json
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from ..errors import CanonicalizationError
from . import rdfc
from .expand import canonicalize_pyld, expand, to_dataset
from .fast import fast_quads
from .limits import DEFAULT_LIMITS, CanonLimits, check_dataset
from .loader import DocumentLoader, default_loader

if TYPE_CHECKING:
    from collections.abc import Iterator

_Memo = dict[tuple[Any, ...], list[rdfc.Quad]]
_CONVERTED: ContextVar[_Memo | None] = ContextVar("microcred_converted_quads", default=None)
_MAX_MEMO = 16  # documents per scope: a credential, its proof configuration, a few endorsements


@contextlib.contextmanager
def converting_once() -> Iterator[None]:
    """Within this block each document (by its exact JSON) is converted to quads at most once."""
    token = _CONVERTED.set({})
    try:
        yield
    finally:
        _CONVERTED.reset(token)


def _memo_key(
    document: dict[str, Any], loader: DocumentLoader, limits: CanonLimits
) -> tuple[Any, ...] | None:
    # the JSON text tells 1, 1.0 and true apart (dict equality would not); key order is kept
    try:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    return (text, id(loader), limits)


def _fast_memoized(document: dict[str, Any], loader: DocumentLoader, limits: CanonLimits) -> list[rdfc.Quad]:
    """:func:`fast_quads`, answered from the current :func:`converting_once` scope when it has them."""
    memo = _CONVERTED.get()
    key = _memo_key(document, loader, limits) if memo is not None else None
    if memo is not None and key is not None:
        known = memo.get(key)
        if known is not None:
            return list(known)
    quads = fast_quads(document, loader, limits)
    if memo is not None and key is not None:
        if len(memo) >= _MAX_MEMO:
            memo.clear()
        memo[key] = quads
        return list(quads)
    return quads


def check_safe_mode(
    document: dict[str, Any], *, loader: DocumentLoader | None = None, limits: CanonLimits = DEFAULT_LIMITS
) -> None:
    """Raise exactly what :func:`expand` would raise for ``document``, and nothing otherwise.

    Quick for the shapes the fast path covers (it only converts what safe mode accepts); anything else
    runs :func:`expand`.
    """
    loader = loader or default_loader
    if type(document) is dict:
        try:
            _fast_memoized(document, loader, limits)
            return
        except Exception:  # NotCovered, or input the fast path did not foresee: the reference path decides
            pass
    expand(document, loader=loader, limits=limits)


def to_quads(
    document: dict[str, Any],
    *,
    loader: DocumentLoader | None = None,
    limits: CanonLimits = DEFAULT_LIMITS,
    fast: bool = True,
) -> list[rdfc.Quad]:
    """The RDF dataset of ``document`` as :data:`microcred.jsonld.rdfc.Quad` tuples (safe mode, ``limits``).

    ``fast=True`` converts common credential shapes directly and falls back to pyld for anything else;
    both give the same set of quads (blank-node labels may differ). Raises as :func:`canonicalize` does.
    """
    quads = _to_quads(document, loader or default_loader, limits, fast)
    check_dataset(quads, limits)
    return quads


def _to_quads(
    document: dict[str, Any], loader: DocumentLoader, limits: CanonLimits, fast: bool
) -> list[rdfc.Quad]:
    if fast and type(document) is dict:
        try:
            return _fast_memoized(document, loader, limits)
        except Exception:  # NotCovered, or input the fast path did not foresee: the reference path decides
            pass
    return rdfc.quads_from_pyld(to_dataset(document, loader=loader, limits=limits))


def canonicalize(
    document: dict[str, Any],
    *,
    loader: DocumentLoader | None = None,
    limits: CanonLimits = DEFAULT_LIMITS,
    hash_algorithm: str = "sha256",
    fast: bool = True,
    reference: bool = False,
) -> str:
    """RDFC-1.0 canonical N-Quads of ``document`` (safe mode, packaged contexts, guarded by ``limits``).

    ``fast=False`` takes the general path (pyld expansion and RDF conversion, then
    :mod:`microcred.jsonld.rdfc`); the default fast path gives byte-identical output and falls back to
    it for anything it does not cover. ``hash_algorithm`` is RDFC-1.0's (``sha256`` or ``sha384``).
    ``reference=True`` is :func:`canonicalize_reference` (sha256 only).
    Raises :class:`JsonLdError` (safe mode, unknown context) or :class:`CanonicalizationError`
    (``canon.limit_exceeded`` for a limit crossed).
    """
    if reference:
        if hash_algorithm.lower().replace("-", "") != "sha256":
            raise CanonicalizationError(
                f"the pyld reference path only canonicalizes with sha256, not {hash_algorithm!r}",
                code="canon.unsupported_hash",
            )
        return canonicalize_reference(document, loader=loader, limits=limits)
    quads = _to_quads(document, loader or default_loader, limits, fast)
    return rdfc.canonicalize(
        quads,
        hash_algorithm=hash_algorithm,
        max_calls=limits.max_calls,
        max_permutations=limits.max_permutations,
        max_quads=limits.max_quads,
        max_blank_nodes=limits.max_blank_nodes,
        max_work=limits.max_work,
    )


def canonicalize_reference(
    document: dict[str, Any], *, loader: DocumentLoader | None = None, limits: CanonLimits = DEFAULT_LIMITS
) -> str:
    """Canonical N-Quads by pyld alone (safe-mode expansion, ``to_rdf``, pyld's URDNA2015): the baseline.

    Only the JSON limits of ``limits`` apply. It agrees byte for byte with :func:`canonicalize` except
    where pyld 3.3 departs from RDFC-1.0: it writes control characters other than TAB, LF and CR raw
    inside literals (RDFC-1.0 escapes them, as Digital Bazaar's rdf-canonize does), and it writes IRIs
    without escaping characters N-Quads forbids in them.
    """
    return canonicalize_pyld(document, loader, limits)
